"""Chains the equations, stage by stage: compute → time → energy → carbon, water, money.

One chain for every verb: a training run enters with its compute (FLOP, chip-hours), a served
request with its replica's time (engine/serving.py), a measured run with its IT energy; from the
energy on, every line is the same equation. `evaluate` takes a mapping of canonical input names
to floats or numpy arrays (the same code gives the point value and the Monte Carlo samples) and
returns every quantity it can compute; a quantity whose inputs are missing is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from combien.engine import carbon, compute, energy, money, serving, water

Inputs = Mapping[str, Any]
Outputs = dict[str, Any]


def _time(x: Inputs, out: Outputs) -> None:
    if "chip_hours" in x:
        out["chip_hours"] = x["chip_hours"]
    elif "flop" in x and "peak_flops" in x and "mfu" in x:
        out["chip_hours"] = compute.chip_hours_from_flop(
            x["flop"], x["peak_flops"], x["mfu"], x.get("goodput", 1.0)
        )
    if "flop" in x:
        out["flop"] = x["flop"]
    if "chip_hours" in out and "chips" in x:
        out["wall_hours"] = compute.wall_hours(out["chip_hours"], x["chips"])
    elif "wall_hours" in x:
        out["wall_hours"] = x["wall_hours"]
        if "chip_hours" in out:
            out["chips"] = out["chip_hours"] / x["wall_hours"]
    if "chips" in x:
        out["chips"] = x["chips"]


def decode_read_bytes(x: Inputs) -> Any:
    """Bytes a decode step reads (weights and KV cache), from a served model's inputs."""
    return serving.decode_bytes(
        x["params"],
        x["active_params"],
        x["batch"],
        x["weight_bytes"],
        x["tokens_in"],
        x["tokens_out"],
        x["kv_bytes_per_token"],
    )


def _request_times(x: Inputs) -> tuple[Any, Any, Any]:
    """(prefill, decode step, its compute part) of one request, in seconds."""
    step_compute = serving.decode_compute_s(
        serving.decode_flop(x["active_params"], x["batch"]),
        x["gpus"],
        x["peak_flops"],
        x["decode_mfu"],
    )
    step_memory = serving.decode_memory_s(
        decode_read_bytes(x), x["gpus"], x["bandwidth_bps"], x["decode_bw_efficiency"]
    )
    step_engine = serving.decode_overhead_s(x["batch"], x["serving_token_overhead_s"])
    prefill = serving.prefill_s(
        x["active_params"],
        serving.prefilled_tokens(x["tokens_in"], x["cached_share"]),
        x["gpus"],
        x["peak_flops"],
        x["prefill_mfu"],
    )
    return prefill, serving.decode_step_s(step_memory, step_compute, step_engine), step_compute


def request_replica_s(x: Inputs) -> Any:
    """Replica-seconds one request holds, by the serving model alone (its prefill and its share
    of the decode steps, before the model-error factor), from a served model's inputs."""
    prefill, step, _ = _request_times(x)
    return serving.request_replica_s(prefill, step, x["tokens_out"], x["batch"])


def request_compute_share(x: Inputs) -> Any:
    """Share of a request's replica time spent computing (prefill and decode FLOP), not
    reading memory, from a served model's inputs."""
    prefill, step, compute = _request_times(x)
    return serving.compute_share(prefill, compute, step, x["tokens_out"], x["batch"])


def _serving_time(x: Inputs, out: Outputs) -> None:
    """One request: replica-seconds, then the accelerator-hours provisioned for it (idle time
    included) and the accelerators' energy, busy and idle."""
    if "kv_bytes_per_token" not in x:
        return
    prefill, step, compute = _request_times(x)  # once: arrays of every draw
    replica_s = (
        serving.request_replica_s(prefill, step, x["tokens_out"], x["batch"])
        * x["serving_model_error"]
    )
    out["replica_s"] = replica_s
    out["tokens_per_s"] = x["tokens_out"] / replica_s
    busy_h = serving.busy_gpu_hours(x["gpus"], replica_s)
    out["chip_hours"] = busy_h / x["utilisation"]
    busy_w = x.get("chip_power_w")  # measured, or a power cap: replaces TDP × fraction
    if busy_w is None:
        busy_w = energy.average_chip_power_w(
            x["tdp_w"],
            serving.busy_power_fraction(
                serving.compute_share(prefill, compute, step, x["tokens_out"], x["batch"]),
                x["serving_power_fraction"],
                x["serving_power_fraction_compute"],
            ),
        )
    out["accelerator_energy_kwh"] = energy.accelerator_energy_kwh(
        busy_h, busy_w
    ) + energy.accelerator_energy_kwh(
        out["chip_hours"] - busy_h,
        energy.average_chip_power_w(x["tdp_w"], x["idle_power_fraction"]),
    )


def _energy(x: Inputs, out: Outputs) -> None:
    if "it_energy_kwh" in x:
        out["it_energy_kwh"] = x["it_energy_kwh"]
    elif "accelerator_energy_kwh" in out:
        out["it_energy_kwh"] = energy.it_energy_kwh(
            out["accelerator_energy_kwh"], x["server_overhead"]
        )
    elif "chip_hours" in out:
        power = x.get("chip_power_w")
        if power is None and "tdp_w" in x:
            power = energy.average_chip_power_w(x["tdp_w"], x["power_fraction"])
        if power is not None:
            out["chip_power_w"] = power
            accel = energy.accelerator_energy_kwh(out["chip_hours"], power)
            out["accelerator_energy_kwh"] = accel
            out["it_energy_kwh"] = energy.it_energy_kwh(accel, x["server_overhead"])
    if "it_energy_kwh" in out and "pue" in x:
        out["energy_kwh"] = energy.facility_energy_kwh(out["it_energy_kwh"], x["pue"])


def _carbon(x: Inputs, out: Outputs) -> None:
    if "energy_kwh" in out and "grid_gco2e_per_kwh" in x:
        out["co2e_operational_kg"] = carbon.operational_co2e_kg(
            out["energy_kwh"], x["grid_gco2e_per_kwh"]
        )
    if "chip_hours" in out and "embodied_kgco2e" in x:
        out["co2e_embodied_kg"] = carbon.embodied_co2e_kg(
            out["chip_hours"],
            x["embodied_kgco2e"],
            x["embodied_lifetime_years"],
            x["hours_per_year"],
        )
    if "co2e_operational_kg" in out:  # without embodied data, the total is operational only
        out["co2e_total_kg"] = out["co2e_operational_kg"] + out.get("co2e_embodied_kg", 0.0)


def _water(x: Inputs, out: Outputs) -> None:
    if "it_energy_kwh" in out and "wue_l_per_kwh" in x:
        out["water_onsite_l"] = water.onsite_water_l(out["it_energy_kwh"], x["wue_l_per_kwh"])
    if "energy_kwh" in out and "ewif_l_per_kwh" in x:
        out["water_offsite_l"] = water.offsite_water_l(out["energy_kwh"], x["ewif_l_per_kwh"])
    if "water_onsite_l" in out and "water_offsite_l" in out:
        out["water_total_l"] = out["water_onsite_l"] + out["water_offsite_l"]


def _money(x: Inputs, out: Outputs) -> None:
    if "energy_kwh" in out and "price_usd_per_kwh" in x:
        out["cost_energy_usd"] = money.energy_cost_usd(out["energy_kwh"], x["price_usd_per_kwh"])
    if "chip_hours" in out and "price_usd_per_hour" in x:
        out["cost_cloud_usd"] = money.cloud_cost_usd(out["chip_hours"], x["price_usd_per_hour"])
    if "server_price_usd" not in x:
        return
    if "chip_hours" in out:
        rate = money.depreciation_per_year(x["price_performance_ooms_per_year"])
        price = money.price_at_start(
            x["server_price_usd"],
            x.get("years_since_price", 0.0),
            x["price_performance_ooms_per_year"],
        )
        out["cost_amortized_hardware_usd"] = money.amortized_hardware_usd(
            out["chip_hours"], price, rate, x["hours_per_year"], x["interconnect_cost_fraction"]
        )
        if "cost_energy_usd" in out:
            out["cost_ownership_usd"] = out["cost_amortized_hardware_usd"] + out["cost_energy_usd"]
    if "chips" in out:
        out["cost_hardware_capex_usd"] = money.upfront_hardware_usd(
            out["chips"], x["server_price_usd"], x["interconnect_cost_fraction"]
        )


def _heat(x: Inputs, out: Outputs) -> None:
    if "it_energy_kwh" in out and "heat_reuse_fraction" in x:
        out["heat_recoverable_kwh"] = energy.recoverable_heat_kwh(
            out["it_energy_kwh"], x["heat_reuse_fraction"]
        )
        out["heat_homes_year"] = out["heat_recoverable_kwh"] / x["heat_use_per_home_kwh"]


def _per_water(x: Inputs, out: Outputs) -> None:
    """How many of this (runs, requests) one litre of water pays for (when some water is used)."""
    water = out.get("water_total_l")
    if water is not None and bool((water > 0).all() if hasattr(water, "all") else water > 0):
        out["per_litre_of_water"] = 1 / water


def _headline_cost(x: Inputs, out: Outputs) -> None:
    """The cost a reader compares first: cloud rental where priced, else ownership, else
    the energy alone."""
    for key in ("cost_cloud_usd", "cost_ownership_usd", "cost_energy_usd"):
        if key in out:
            out["cost_usd"] = out[key]
            return


STAGES = (
    _time,
    _serving_time,
    _energy,
    _carbon,
    _water,
    _per_water,
    _money,
    _heat,
    _headline_cost,
)


def evaluate(x: Inputs) -> Outputs:
    """Every quantity that the inputs allow, in canonical units."""
    out: Outputs = {}
    for stage in STAGES:
        stage(x, out)
    return out
