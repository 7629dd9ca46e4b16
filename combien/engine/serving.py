"""Serving: memory, replica size, time and energy of one request, from first principles.

A replica is the set of accelerators that holds one copy of the model. Decoding is bound by
memory bandwidth (each step reads the weights once for the whole batch, plus each request's KV
cache); prefill is bound by compute. A request occupies its replica for its prefill and for 1/B
of each decode step it shares with B−1 others. See docs/methodology.md §10.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from combien.units import BYTES_PER_GB

if TYPE_CHECKING:
    from combien.units import Q


def kv_bytes_per_token(layers: float, kv_heads: float, head_dim: float, kv_bytes: float) -> float:
    """KV cache per token (bytes) = 2 (K and V) × layers × KV heads × head dim × bytes/element."""
    return 2 * layers * kv_heads * head_dim * kv_bytes


def replica_memory_gb(
    params: float, weight_bytes: float, batch: float, context_tokens: float, kv_per_token: float
) -> float:
    """Memory of one replica (GB) = weights + KV cache of `batch` requests at full context."""
    return (params * weight_bytes + batch * context_tokens * kv_per_token) / BYTES_PER_GB


def replica_gpus(memory_gb: float, gpu_memory_gb: float, usable_fraction: float) -> int:
    """Accelerators per replica: enough usable memory, rounded up to a power of two (tensor
    parallelism splits heads evenly)."""
    needed = max(1, math.ceil(memory_gb / (gpu_memory_gb * usable_fraction)))
    return 1 << (needed - 1).bit_length()


def prefill_s(active_params: Q, tokens_in: Q, gpus: Q, peak_flops: Q, prefill_mfu: Q) -> Q:
    """Prefill time of one request (s) = 2 · N_active · tokens in / (GPUs × peak × MFU)."""
    return 2 * active_params * tokens_in / (gpus * peak_flops * prefill_mfu)


def decode_step_s(
    bytes_per_step: Q,
    flop_per_step: Q,
    gpus: Q,
    bandwidth_bps: Q,
    bw_efficiency: Q,
    peak_flops: Q,
    decode_mfu: Q,
) -> Q:
    """One decode step for the whole batch (s) = memory time + compute time.

    Memory time = bytes read (weights + KV cache) / (GPUs × bandwidth × efficiency); compute
    time = 2 · N_active · batch / (GPUs × peak × MFU). The two are added, not overlapped: the
    ML.ENERGY measurements on H100 (batch 16 to 512) fit the sum, not the roofline maximum.
    """
    memory = bytes_per_step / (gpus * bandwidth_bps * bw_efficiency)
    compute = flop_per_step / (gpus * peak_flops * decode_mfu)
    return memory + compute


def request_replica_s(prefill: Q, step: Q, tokens_out: Q, batch: Q) -> Q:
    """Replica-seconds one request uses = prefill + tokens out × step time / batch."""
    return prefill + tokens_out * step / batch


def serving_chain(x: dict[str, Any]) -> dict[str, Any]:
    """Every per-request quantity, in canonical units (floats or arrays of samples alike)."""
    from combien.engine import carbon, energy, money, water
    from combien.units import SECONDS_PER_HOUR

    out: dict[str, Any] = {}
    if "request_energy_kwh" in x:  # a publication's assumption, IT energy per request
        it = x["request_energy_kwh"]
        gpu_h = None
    else:
        batch, gpus = x["batch"], x["gpus"]
        prefill = prefill_s(
            x["active_params"], x["tokens_in"], gpus, x["peak_flops"], x["prefill_mfu"]
        )
        step = decode_step_s(
            x["decode_bytes"],
            2 * x["active_params"] * batch,
            gpus,
            x["bandwidth_bps"],
            x["decode_bw_efficiency"],
            x["peak_flops"],
            x["prefill_mfu"],
        )
        replica_s = request_replica_s(prefill, step, x["tokens_out"], batch)
        out["replica_s"] = replica_s
        out["tokens_per_s"] = x["tokens_out"] / replica_s
        busy_h = gpus * replica_s / SECONDS_PER_HOUR
        gpu_h = busy_h / x["utilisation"]  # provisioned time, idle included
        busy = energy.accelerator_energy_kwh(
            busy_h, energy.average_chip_power_w(x["tdp_w"], x["serving_power_fraction"])
        )
        idle = energy.accelerator_energy_kwh(
            gpu_h - busy_h, energy.average_chip_power_w(x["tdp_w"], x["idle_power_fraction"])
        )
        out["gpu_energy_kwh"] = busy + idle
        it = energy.it_energy_kwh(busy + idle, x["server_overhead"])
        out["gpu_hours"] = gpu_h
    out["it_energy_kwh"] = it
    facility = energy.facility_energy_kwh(it, x["pue"])
    out["energy_kwh"] = facility
    out["co2e_operational_kg"] = carbon.operational_co2e_kg(facility, x["grid_gco2e_per_kwh"])
    out["co2e_total_kg"] = out["co2e_operational_kg"]
    if gpu_h is not None and "embodied_kgco2e" in x:
        emb = carbon.embodied_co2e_kg(
            gpu_h, x["embodied_kgco2e"], x["embodied_lifetime_years"], x["hours_per_year"]
        )
        out["co2e_embodied_kg"] = emb
        out["co2e_total_kg"] = out["co2e_operational_kg"] + emb
    out["water_onsite_l"] = water.onsite_water_l(it, x["wue_l_per_kwh"])
    out["water_offsite_l"] = water.offsite_water_l(facility, x["ewif_l_per_kwh"])
    out["water_total_l"] = out["water_onsite_l"] + out["water_offsite_l"]
    out["cost_energy_usd"] = money.energy_cost_usd(facility, x["price_usd_per_kwh"])
    if gpu_h is not None and "price_usd_per_hour" in x:
        out["cost_cloud_usd"] = money.cloud_cost_usd(gpu_h, x["price_usd_per_hour"])
    if gpu_h is not None and "server_price_usd" in x:
        rate = money.depreciation_per_year(x["price_performance_ooms_per_year"])
        hardware = money.amortized_hardware_usd(
            gpu_h, x["server_price_usd"], rate, x["hours_per_year"], x["interconnect_cost_fraction"]
        )
        out["cost_ownership_usd"] = hardware + out["cost_energy_usd"]
    out["cost_usd"] = out.get(
        "cost_cloud_usd", out.get("cost_ownership_usd", out["cost_energy_usd"])
    )
    return out
