"""Serving: memory, replica size, time and energy of one request, from first principles.

A replica is the set of accelerators that holds one copy of the model. Decoding is bound by
memory bandwidth (each step reads the weights once for the whole batch, plus each request's KV
cache); prefill is bound by compute. A request occupies its replica for its prefill and for 1/B
of each decode step it shares with B−1 others. See docs/methodology.md §10.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from combien.units import BYTES_PER_GB, SECONDS_PER_HOUR

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


def prefilled_tokens(tokens_in: Q, cached_share: Q) -> Q:
    """Input tokens a request prefills = tokens in × (1 − the share served from a prompt cache,
    whose KV entries are read, not computed)."""
    return tokens_in * (1 - cached_share)


def prefill_s(active_params: Q, tokens_in: Q, gpus: Q, peak_flops: Q, prefill_mfu: Q) -> Q:
    """Prefill time of one request (s) = 2 · N_active · tokens in / (GPUs × peak × MFU)."""
    return 2 * active_params * tokens_in / (gpus * peak_flops * prefill_mfu)


def decode_memory_s(bytes_per_step: Q, gpus: Q, bandwidth_bps: Q, bw_efficiency: Q) -> Q:
    """Memory time of one decode step (s) = bytes read (weights + KV cache) / (GPUs ×
    bandwidth × efficiency)."""
    return bytes_per_step / (gpus * bandwidth_bps * bw_efficiency)


def decode_compute_s(flop_per_step: Q, gpus: Q, peak_flops: Q, decode_mfu: Q) -> Q:
    """Compute time of one decode step (s) = 2 · N_active · batch / (GPUs × peak × MFU)."""
    return flop_per_step / (gpus * peak_flops * decode_mfu)


def decode_overhead_s(batch: Q, token_overhead_s: Q) -> Q:
    """Serving-engine time of one decode step (s) = batch × the engine's time per sequence and
    step (scheduling, sampling, detokenisation on the host), during which the accelerators
    neither read nor compute."""
    return batch * token_overhead_s


def decode_step_s(memory_s: Q, compute_s: Q, engine_s: Q) -> Q:
    """One decode step for the whole batch (s) = memory time + compute time + engine time.

    The three are added, not overlapped: the ML.ENERGY measurements on H100 and B200 (batch 16
    to 1,024) fit the sum, not the roofline maximum, and fall below the memory and compute
    times alone most where the batch is large and the model small — where the engine's time per
    sequence weighs most.
    """
    return memory_s + compute_s + engine_s


def compute_share(prefill: Q, compute: Q, step: Q, tokens_out: Q, batch: Q) -> Q:
    """Share of a request's replica time spent computing, not reading memory nor waiting on the
    engine = (prefill + tokens out × decode compute time / batch) ÷ (prefill + tokens out ×
    step time / batch)."""
    return (prefill + tokens_out * compute / batch) / (prefill + tokens_out * step / batch)


def busy_power_fraction(share: Q, memory_bound: Q, compute_bound: Q) -> Q:
    """Average power of a busy accelerator ÷ TDP, from its compute share: memory-bound +
    (compute-bound − memory-bound) × share, at most 1 (the TDP caps the board)."""
    return np.minimum(1.0, memory_bound + (compute_bound - memory_bound) * share)


def decode_bytes(
    params: Q,
    active_params: Q,
    batch: Q,
    weight_bytes: Q,
    tokens_in: Q,
    tokens_out: Q,
    kv_bytes_per_token: Q,
) -> Q:
    """Bytes one decode step reads = the weights the batch activates, N_total × (1 − (1 −
    N_active/N_total)^batch) × bytes per weight (each token reads N_active, routed evenly: a
    mixture of experts reads only the experts its tokens route to, some shared between tokens;
    a dense model reads all), + the batch's KV cache at mean context, batch × (tokens in +
    tokens out / 2) × KV bytes."""
    share = np.minimum(1.0, active_params / params)  # a dense model's two draws may cross
    weights = params * (1 - (1 - share) ** batch) * weight_bytes
    return weights + batch * (tokens_in + tokens_out / 2) * kv_bytes_per_token


def decode_flop(active_params: Q, batch: Q) -> Q:
    """FLOP of one decode step for the whole batch = 2 · N_active · batch."""
    return 2 * active_params * batch


def busy_gpu_hours(gpus: Q, replica_s: Q) -> Q:
    """Accelerator-hours a request keeps busy = GPUs per replica × replica-seconds / 3600."""
    return gpus * replica_s / SECONDS_PER_HOUR


def request_replica_s(prefill: Q, step: Q, tokens_out: Q, batch: Q) -> Q:
    """Replica-seconds one request uses = prefill + tokens out × step time / batch."""
    return prefill + tokens_out * step / batch
