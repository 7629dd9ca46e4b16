"""A replica under real traffic: the batch its latency targets allow, the accelerators its
memory needs, and how busy the fleet that carries the traffic is. Stages of the one resolver
(`resolver.py`), for serving; the equations are the engine's, at the inputs' central values.

- batch and accelerators: the user's; else the power-of-two batch (up to `serving_max_batch`)
  and replica size (from what the memory needs, doubling up to `max_gpus_per_replica`) that
  serve a request on the fewest accelerator-seconds while the decode step meets the
  time-per-output-token target and the prefill the time-to-first-token target;
- utilisation: the user's; else, with traffic, the share of the provisioned accelerators'
  time spent serving — replicas sized for the peak (`--peak-to-mean`), whole servers of
  `gpus_per_server` accelerators; else `serving_utilisation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from combien.data import catalog
from combien.engine import serving as equations
from combien.errors import InputError
from combien.resolve.resolver import DERIVED, USER, Resolver, default_assumption
from combien.resolve.spec import InferenceRun
from combien.units import BYTES_PER_GB, SECONDS_PER_DAY, plural

MILLISECONDS = 1e-3


@dataclass(frozen=True)
class Shape:
    """What one replica is: its accelerators, its batch, its memory and its timings."""

    gpus: int
    batch: float
    memory_gb: float
    prefill_s: float
    #: the decode step's memory, compute and engine times (s)
    step_parts: tuple[float, float, float]

    @property
    def step_s(self) -> float:
        """A decode step's time (s): the sum of its parts."""
        return float(equations.decode_step_s(*self.step_parts))

    def replica_s(self, tokens_out: float) -> float:
        """Replica-seconds one request uses (prefill + its share of the decode steps)."""
        return equations.request_replica_s(self.prefill_s, self.step_s, tokens_out, self.batch)


class Timing:
    """A replica's step and prefill times at central inputs, for a batch and a GPU count."""

    def __init__(self, r: Resolver[InferenceRun], kv: float) -> None:
        self.x = {name: a.value for name, a in r.values.items()}
        self.kv = kv

    def memory_gb(self, batch: float) -> float:
        x = self.x
        context = x["tokens_in"] + x["tokens_out"]
        return equations.replica_memory_gb(x["params"], x["weight_bytes"], batch, context, self.kv)

    def step_parts(self, batch: float, gpus: float) -> tuple[float, float, float]:
        """A decode step's memory, compute and engine times (s)."""
        x = self.x
        read = equations.decode_bytes(
            x["params"],
            x["active_params"],
            batch,
            x["weight_bytes"],
            x["tokens_in"],
            x["tokens_out"],
            self.kv,
        )
        flop = equations.decode_flop(x["active_params"], batch)
        return (
            float(
                equations.decode_memory_s(read, gpus, x["bandwidth_bps"], x["decode_bw_efficiency"])
            ),
            float(equations.decode_compute_s(flop, gpus, x["peak_flops"], x["decode_mfu"])),
            float(equations.decode_overhead_s(batch, x["serving_token_overhead_s"])),
        )

    def prefill_s(self, gpus: float) -> float:
        x = self.x
        prefilled = equations.prefilled_tokens(x["tokens_in"], x["cached_share"])
        return equations.prefill_s(
            x["active_params"], prefilled, gpus, x["peak_flops"], x["prefill_mfu"]
        )

    def shape(self, batch: float, gpus: int) -> Shape:
        """The replica at this batch on this many accelerators."""
        parts = self.step_parts(batch, gpus)
        return Shape(gpus, batch, self.memory_gb(batch), self.prefill_s(gpus), parts)


def shape(
    r: Resolver[InferenceRun],
    hw: catalog.Hardware,
    kv: float,
    requests_per_day: float | None = None,
) -> Shape:
    """The replica's batch and accelerators, recorded as inputs with their origin."""
    timing = Timing(r, kv)
    if r.spec.batch is not None:
        batch = r.spec.batch
        r.put("batch", batch, "requests", USER)
        gpus = replica_gpus(r, hw, timing.memory_gb(batch), batch, timing.memory_gb(0))
        given = timing.shape(batch, gpus)
        _check_targets(r, hw, given)
        return given
    if r.spec.gpus is not None:
        _check_weights_fit(r, hw, r.spec.gpus)
    chosen = latency_bound(r, hw, timing, requests_per_day)
    r.put(
        "batch",
        chosen.batch,
        "requests",
        DERIVED,
        f"derived: the batch (up to {int(_default('serving_max_batch')):,}) and GPUs per "
        "replica serving a request on the fewest GPU-seconds while the decode step meets "
        f"{r.values['tpot_ms'].value:g} ms per output token and the prefill "
        f"{r.values['ttft_ms'].value:g} ms to the first token",
    )
    # records the GPUs, warns
    least = replica_gpus(r, hw, chosen.memory_gb, chosen.batch, timing.memory_gb(0))
    if chosen.gpus > least:
        r.put(
            "gpus",
            float(chosen.gpus),
            "count",
            DERIVED,
            f"derived: {chosen.gpus} accelerators, more than the {least} its memory needs, so "
            f"that the decode step meets {r.values['tpot_ms'].value:g} ms per output token",
        )
    return chosen


def _check_targets(r: Resolver[InferenceRun], hw: catalog.Hardware, given: Shape) -> None:
    """The user's latency targets for a replica whose batch the user gave: kept as inputs, and
    a warning for each that the replica misses, with the time it takes."""
    for name, what, seconds in (("tpot_ms", "each output token", given.step_s),
                                ("ttft_ms", "the first token", given.prefill_s)):  # fmt: skip
        target = getattr(r.spec, name)
        if target is None:
            continue
        r.put(name, target, "ms", USER)
        took = seconds / MILLISECONDS
        if took > target:
            flag = "--" + name.replace("_", "-")
            r.warn(
                "latency-target-missed",
                f"{flag} {target:g} is not met: at batch {given.batch:g} on {given.gpus} × "
                f"{hw.id} {what} takes {took:,.1f} ms; this bill serves the batch as given — "
                f"drop --batch for one that meets {flag}, or pass more --gpus",
            )


def latency_bound(
    r: Resolver[InferenceRun],
    hw: catalog.Hardware,
    timing: Timing,
    requests_per_day: float | None = None,
) -> Shape:
    """The replica that serves the traffic on the fewest accelerators while meeting the latency
    targets: for each power-of-two batch, the fewest GPUs (from those its memory needs, doubling
    up to `max_gpus_per_replica`) whose decode step and prefill meet them — more GPUs shorten
    the step when a replica's memory alone would be too slow — scored by `_provisioned` (an
    error if none meets them)."""
    for name, row, field in (("tpot_ms", "serving_tpot_ms", r.spec.tpot_ms),
                             ("ttft_ms", "serving_ttft_ms", r.spec.ttft_ms)):  # fmt: skip
        if field is not None:
            r.put(name, field, "ms", USER)
        else:
            r.values[name] = default_assumption(row)
    tpot_s = r.values["tpot_ms"].value * MILLISECONDS
    ttft_s = r.values["ttft_ms"].value * MILLISECONDS
    tokens_out = timing.x["tokens_out"]
    largest = _default("serving_max_batch")
    best: Shape | None = None
    best_cost: tuple[float, float, float] | None = None
    fastest: Shape | None = None
    batch = 1
    while batch <= largest:
        least = _gpus_for(r, hw, timing.memory_gb(batch))
        if least is None:
            break
        for gpus in _sizes(r, least):
            candidate = timing.shape(batch, gpus)
            if batch == 1:  # the fastest replica: batch 1 on the most GPUs tried
                fastest = candidate
            if candidate.step_s <= tpot_s and candidate.prefill_s <= ttft_s:
                cost = _provisioned(r, candidate, tokens_out, requests_per_day)
                if best_cost is None or cost <= best_cost:
                    best, best_cost = candidate, cost
                break  # more GPUs at this batch: about as many GPU-seconds, a larger replica
        batch *= 2
    if best is not None:
        return best
    if fastest is None:
        limit = int(_default("max_gpus_per_replica"))
        raise InputError(
            f"the model needs {timing.memory_gb(1):,.0f} GB at batch 1: it cannot fit on "
            f"{hw.id} ({hw.memory_gb:g} GB) at any replica size up to {limit} — use a larger "
            "accelerator or --precision fp8/int4",
            field="hardware",
        )
    raise InputError(
        f"no batch meets the latency targets on {hw.id}: at batch 1 on "
        f"{plural(fastest.gpus, 'GPU')} a "
        f"token takes {fastest.step_s / MILLISECONDS:,.0f} ms and the first "
        f"{fastest.prefill_s / MILLISECONDS:,.0f} ms — raise --tpot-ms/--ttft-ms, or pass "
        "--gpus or --batch",
        field="tpot_ms",
    )


def _provisioned(
    r: Resolver[InferenceRun], candidate: Shape, tokens_out: float, requests_per_day: float | None
) -> tuple[float, float, float]:
    """What a replica costs the traffic, to compare replicas: (accelerators provisioned for
    the peak in whole servers, GPUs per replica, busy GPU-seconds per request); without
    traffic, the replicas are taken as busy and only the GPU-seconds count. A larger batch
    saves GPU-seconds only where the traffic fills it: where it does not, the fleet is the same
    and the smaller replica is kept."""
    replica_s = candidate.replica_s(tokens_out)
    busy = candidate.gpus * replica_s
    if requests_per_day is None:
        return (0.0, 0.0, busy)
    _, provisioned = _sized(
        candidate.gpus,
        replica_s,
        requests_per_day / SECONDS_PER_DAY,
        r.spec.peak_to_mean or _default("serving_peak_to_mean"),
        r.spec.utilisation,
    )
    return (provisioned, candidate.gpus, busy)


def _sized(
    gpus: int, replica_s: float, mean_rps: float, peak_to_mean: float, utilisation: float | None
) -> tuple[int, int]:
    """(replicas, accelerators provisioned) for a traffic: with a given utilisation, the
    replicas it implies; else replicas for the peak, packed into whole servers of
    `gpus_per_server`."""
    if utilisation is not None:
        replicas = max(1, math.ceil(mean_rps * replica_s / utilisation))
        return replicas, replicas * gpus
    replicas = max(1, math.ceil(mean_rps * peak_to_mean * replica_s))
    per_server = int(_default("gpus_per_server"))
    servers = math.ceil(replicas * gpus / per_server)
    return replicas, servers * per_server  # at least replicas × gpus: whole servers


def _sizes(r: Resolver[InferenceRun], least: int) -> list[int]:
    """Replica sizes to try: the user's GPUs alone; else the fewest that hold the memory,
    doubling up to `max_gpus_per_replica`."""
    if r.spec.gpus is not None:
        return [least]
    limit = _default("max_gpus_per_replica")
    sizes = [least]
    while sizes[-1] * 2 <= limit:
        sizes.append(sizes[-1] * 2)
    return sizes


def _gpus_for(r: Resolver[InferenceRun], hw: catalog.Hardware, memory_gb: float) -> int | None:
    """The user's GPUs if the memory fits on them, else the fewest that hold it (None if more
    than `max_gpus_per_replica`)."""
    assert hw.memory_gb is not None
    usable = hw.memory_gb * _default("gpu_memory_usable_fraction")
    if r.spec.gpus is not None:
        return r.spec.gpus if memory_gb <= r.spec.gpus * usable else None
    gpus = equations.replica_gpus(memory_gb, hw.memory_gb, _default("gpu_memory_usable_fraction"))
    return gpus if gpus <= _default("max_gpus_per_replica") else None


def replica_gpus(
    r: Resolver[InferenceRun],
    hw: catalog.Hardware,
    memory_gb: float,
    batch: float,
    weights_gb: float,
) -> int:
    """Accelerators per replica: the user's (checked against the weights), or from memory."""
    assert hw.memory_gb is not None
    usable = _default("gpu_memory_usable_fraction")
    gpus = r.spec.gpus
    if gpus is not None:
        _check_weights_fit(r, hw, gpus)
        if memory_gb > gpus * hw.memory_gb * usable:
            per_request = (memory_gb - weights_gb) / batch
            fits = max(0, math.floor((gpus * hw.memory_gb * usable - weights_gb) / per_request))
            hint = f"pass --batch {fits:,} (or more --gpus)" if fits else "pass more --gpus"
            r.warn(
                "kv-cache-full",
                f"the KV cache of {plural(batch, 'request')} at full context does not fit "
                f"beside the weights on {gpus} × {hw.id}: {fits:,} would, and the engine would "
                f"run no more at once; this bill serves the batch as given — {hint} for what "
                "the engine would run",
            )
        r.put("gpus", float(gpus), "count", USER)
        return gpus
    gpus = equations.replica_gpus(memory_gb, hw.memory_gb, usable)
    limit = int(_default("max_gpus_per_replica"))
    if gpus > limit:
        raise InputError(
            f"the model needs {memory_gb:,.0f} GB at batch {batch:g}: it cannot fit on "
            f"{hw.id} ({hw.memory_gb:g} GB) at any replica size up to {limit} — use a larger "
            "accelerator, --precision fp8/int4, or a smaller --batch",
            field="hardware",
        )
    r.put(
        "gpus",
        float(gpus),
        "count",
        DERIVED,
        "derived: replica memory ÷ usable GPU memory, rounded up to a power of two",
    )
    return gpus


def _check_weights_fit(r: Resolver[InferenceRun], hw: catalog.Hardware, gpus: int) -> None:
    assert hw.memory_gb is not None
    weights_gb = r.values["params"].value * r.values["weight_bytes"].value / BYTES_PER_GB
    if weights_gb > gpus * hw.memory_gb * _default("gpu_memory_usable_fraction"):
        raise InputError(
            f"the weights need {weights_gb:,.0f} GB: they do not fit on {gpus} × {hw.id} "
            f"({hw.memory_gb:g} GB) — raise --gpus or use --precision fp8/int4",
            field="gpus",
        )


def fleet(
    r: Resolver[InferenceRun], replica: Shape, requests_per_day: float | None
) -> dict[str, float]:
    """Replicas, servers and accelerators for the traffic, and the utilisation they imply
    (recorded as an input); with no traffic, the utilisation is the user's or the default."""
    if r.spec.utilisation is not None:
        r.put("utilisation", r.spec.utilisation, "fraction", USER)
    if requests_per_day is None:
        r.values.setdefault("utilisation", default_assumption("serving_utilisation", upper=1.0))
        return {}
    if r.spec.peak_to_mean is not None:
        r.put("peak_to_mean", r.spec.peak_to_mean, "×", USER)
    else:
        r.values["peak_to_mean"] = default_assumption("serving_peak_to_mean")
    mean_rps = requests_per_day / SECONDS_PER_DAY
    replica_s = replica.replica_s(r.values["tokens_out"].value)
    given = r.values["utilisation"].value if "utilisation" in r.values else None
    replicas, provisioned = _sized(
        replica.gpus, replica_s, mean_rps, r.values["peak_to_mean"].value, given
    )
    if given is not None:  # the user's: replicas follow from it
        return _counts(replicas, replica.gpus, provisioned)
    per_server = int(_default("gpus_per_server"))
    utilisation = mean_rps * replica_s * replica.gpus / provisioned
    r.put(
        "utilisation",
        utilisation,
        "fraction",
        DERIVED,
        f"derived: mean traffic × replica-seconds per request × {plural(replica.gpus, 'GPU')} "
        f"per replica ÷ {plural(provisioned, 'GPU')} provisioned ({plural(replicas, 'replica')} "
        f"for the peak, on {plural(provisioned // per_server, 'whole server')} of {per_server})",
    )
    return _counts(replicas, replica.gpus, provisioned)


def _counts(replicas: int, gpus: int, provisioned: int) -> dict[str, float]:
    return {"replicas": replicas, "gpus_total": provisioned, "gpus_busy": replicas * gpus}


def _default(name: str) -> float:
    return catalog.default(name).value
