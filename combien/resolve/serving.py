"""What serving a model takes: its size and shape (weights, KV cache), the request, the batch,
the replica's accelerators, and the traffic. Stages of the one resolver (`resolver.py`); the
site, prices and embodied carbon come from `site.py` as for a training run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from combien.data import catalog
from combien.engine import serving as equations
from combien.errors import IncompleteError, InputError
from combien.provenance import Assumption, Assumptions
from combien.resolve import replica, site
from combien.resolve.resolver import (
    CATALOG,
    DERIVED,
    PRESET,
    USER,
    Resolver,
    default_assumption,
    scaled_assumption,
)
from combien.resolve.spec import InferenceRun
from combien.units import (
    BYTES_PER_GB,
    BYTES_PER_PARAM,
    BYTES_PER_TB,
    MICRO,
    SECONDS_PER_DAY,
    count,
)

#: serving hardware when none is given and the model's organisation states none (or its part
#: cannot hold the model): the H100 SXM, EcoLogits' reference GPU (its methodology fits ML.ENERGY
#: measurements on H100); the bill warns which part was assumed and why
DEFAULT_HARDWARE = "h100-sxm"
#: serving settings with a default from defaults.csv: (field, defaults row, unit, upper bound)
REQUEST_DEFAULTS = (
    ("tokens_in", "request_tokens_in", "tokens", None),
    ("tokens_out", "request_tokens_out", "tokens", None),
    ("cached_share", "request_cached_share", "fraction", 1.0),
)
#: method constants of the serving model: fractions of a peak, and the engine's time per token
SERVING_CONSTANTS = (
    "prefill_mfu",
    "decode_mfu",
    "decode_bw_efficiency",
    "serving_token_overhead_s",
    "serving_power_fraction",
    "serving_power_fraction_compute",
    "idle_power_fraction",
)


@dataclass(frozen=True)
class Serving:
    """The resolved inputs of serving, and the replica they imply."""

    assumptions: Assumptions
    replica: dict[str, float | str] = field(default_factory=dict)
    requests_per_day: float | None = None


def resolve_serving(run: InferenceRun) -> Serving:
    """Fill every unknown of a served model from the catalog; record where each came from."""
    product = (
        catalog.products().get(run.model) if run.model and run.model in catalog.products() else None
    )
    if product is not None:  # a product's name: the model it answers with by default
        run = run.merged(model=product.model)
    r = Resolver(run, preset_describes_run=False)
    if product is not None:
        r.warn(
            "product-model",
            f"{product.name} answers with {product.model} by default since {product.since}: "
            f"{product.model} is served ({product.source.split(';')[0]}) — pass --model for "
            "another",
        )
    replica: dict[str, float | str] = {}
    energy_given = run.request_energy_kwh is not None
    assumed = None if "hardware" in r.given or energy_given else assumed_hardware(r)
    hw = site.hardware(r) or assumed
    site.site(r)
    site.embodied(r, hw)
    site.money(r, hw)
    if energy_given:
        r.put("it_energy_kwh", float(run.request_energy_kwh or 0), "kWh", USER)
        r.warn(
            "request-energy-given",
            "request energy given: model size, hardware and batch are not used; embodied "
            "carbon and GPU costs are not computed",
        )
    traffic = requests_per_day(r)
    if not energy_given:
        assert hw is not None
        language_model(r.preset)
        computed_precision(hw, run.precision, assumed=assumed is not None)
        model_size(r)
        request(r)
        within_context(r)
        replica = sized_replica(r, hw, traffic)
    return Serving(r.result(), replica, traffic)


def organisation(r: Resolver[InferenceRun]) -> str | None:
    """Who serves the model: the preset's organisation, else the served model's provider."""
    if r.preset is not None:
        return r.preset.organization or None
    estimate = size_estimate(r.spec.model)
    return estimate.provider if estimate else None


def typical_hardware(organisation: str | None) -> catalog.ServingHardware | None:
    """The serving_hardware.csv row of an organisation: its latest public statement."""
    if not organisation:
        return None
    name = organisation.lower()
    rows = [
        row
        for row in catalog.serving_hardware()
        if any(o.lower() in name or name in o.lower() for o in row.organizations)
    ]
    return max(rows, key=lambda row: row.start, default=None)


def _params_known(r: Resolver[InferenceRun]) -> float | None:
    if r.spec.params:
        return r.spec.params
    if r.preset and r.preset.params:
        return r.preset.params
    estimate = size_estimate(r.spec.model)
    return estimate.params if estimate else None


def _holds(hw: catalog.Hardware, params: float | None, precision: str) -> bool:
    """Whether the model's weights fit on at most `max_gpus_per_replica` of `hw`."""
    if params is None or not hw.memory_gb:
        return True
    usable = hw.memory_gb * catalog.default("gpu_memory_usable_fraction").value
    gb = params * BYTES_PER_PARAM.get(precision, BYTES_PER_PARAM["bf16"]) / BYTES_PER_GB
    return equations.replica_gpus(gb, hw.memory_gb, usable / hw.memory_gb) <= (
        catalog.default("max_gpus_per_replica").value
    )


def assumed_hardware(r: Resolver[InferenceRun]) -> catalog.Hardware:
    """The accelerator assumed when none is given: the one the model's organisation publicly
    serves on (serving_hardware.csv), else the H100; the bill warns which, and why."""
    org = organisation(r)
    row = typical_hardware(org)
    chosen = catalog.hardware().get(DEFAULT_HARDWARE)
    if row is None:
        who = f"{org} states" if org else "the model's maker is unknown and states"
        why = f"{who} no serving hardware in combien's data"
    else:
        part = catalog.hardware().get(row.hardware)
        who = row.source.split(",", 1)[0]
        named = {part.id.lower(), part.name.lower(), *(a.lower() for a in part.aliases)}
        # the part itself when the statement names it and no other part
        alone = not any(sep in row.stated for sep in (" and ", ";", ","))
        exact = alone and any(n in row.stated.lower() for n in named)
        said = f"{org} states it serves on {row.stated} ({who}, {row.as_of}); " + (
            f"{part.id} is that part" if exact else f"{part.id} stands for it"
        )
        if _holds(part, _params_known(r), r.spec.precision or "bf16"):
            chosen, why = part, said
        else:
            why = f"{said}, but the model's weights do not fit on one replica of it"
    r.labels["hardware"] = chosen.id
    r.warn(
        "default-hardware",
        f"no hardware given: {chosen.id} is assumed — {why} — pass --hardware",
    )
    return chosen


def language_model(preset: catalog.ModelPreset | None) -> None:
    """The serving model bills generated tokens: a preset that is no language model (AlexNet,
    AlphaGo: models.csv's domain, Epoch AI's) is an error."""
    if preset is None or not preset.domain or "language" in preset.domain:
        return
    raise InputError(
        f"{preset.id} ({preset.name}) is not a language model — Epoch AI files it under "
        f"{', '.join(preset.domain)} — and combien bills requests of generated tokens: give "
        "the energy of one of its requests (`combien infer --request-energy-kwh`), or "
        "--params without --model for a language model of that size",
        field="model",
    )


def within_context(r: Resolver[InferenceRun]) -> None:
    """A warning when a request (tokens in + out) is longer than the model's context window,
    where architectures.csv knows it."""
    arch = catalog.architecture(r.preset.id) if r.preset else None
    if arch is None or arch.context is None:
        return
    tokens = r.values["tokens_in"].value + r.values["tokens_out"].value
    if tokens > arch.context:
        r.warn(
            "beyond-context",
            f"a request of {count(tokens)} tokens (in + out) is longer than {arch.id}'s "
            f"context window of {count(arch.context)} tokens (architectures.csv): no request "
            "this long can be served — this bill prices it anyway; pass fewer --tokens-in/"
            "--tokens-out",
        )


def computed_precision(hw: catalog.Hardware, precision: str | None, *, assumed: bool) -> None:
    """A given weight format that the chip computes in (one of precisions.csv's: fp8, bf16,
    fp16) must be one the chip has, as in training: fp8 weights on an A100 are an error.
    int8, int4 and mxfp4 weights are stored formats, computed at the bf16 peak."""
    support = catalog.precisions().get(hw.id)
    computed = {p for row in catalog.precisions().values() for p in row.precisions}
    if precision is None or support is None or precision not in computed:
        return
    if precision not in support.precisions:
        hint = " — pass --hardware for a chip that has it" if assumed else ""
        raise InputError(
            f"{hw.id} has no {precision} — its precisions: {', '.join(support.precisions)}{hint}",
            field="precision",
        )


def model_size(r: Resolver[InferenceRun]) -> None:
    """Total and active parameters: the user's, else the preset's published size, else the
    catalog's estimate for a model whose maker publishes none (with its range, and a warning)."""
    run, preset = r.spec, r.preset
    if run.params:
        r.put("params", run.params, "parameters", USER)
        r.put("active_params", run.active_params or run.params, "parameters", USER)
        return
    if preset and preset.params:
        r.put("params", preset.params, "parameters", PRESET)
        r.put("active_params", preset.active_params or preset.params, "parameters", PRESET)
        return
    estimate = size_estimate(r.spec.model)
    if estimate is None and preset is not None:
        raise IncompleteError(
            f"the {preset.id} preset ({preset.name}, {preset.organization}) has no parameter "
            "count: none is published in its sources, and combien holds no size estimate for "
            "it — give --params (e.g. 70B), and --active-params for a mixture of experts"
        )
    if estimate is None:
        raise IncompleteError(
            "model size unknown — give --params (e.g. 70B) or --model PRESET (`combien data "
            "models`)"
        )
    source = f"size_estimates:{estimate.id} — {estimate.source}"
    r.labels.setdefault("model", estimate.id)
    r.values["params"] = Assumption(
        estimate.params, "parameters", source, CATALOG, estimate.params_low, estimate.params_high
    )
    if estimate.architecture == "moe" and estimate.active_params:
        r.values["active_params"] = Assumption(
            estimate.active_params,
            "parameters",
            source,
            CATALOG,
            estimate.active_low,
            estimate.active_high,
        )
    else:
        r.values["active_params"] = r.values["params"]
    if estimate.basis != "published":
        low, high = (r.values["active_params"].low, r.values["active_params"].high)
        span = f" ({count(low)}–{count(high)} active)" if low and high else ""
        r.warn(
            "estimated-size",
            f"{estimate.name}'s size is not published: {count(estimate.params)} parameters"
            f"{span}, {'a mixture of experts' if estimate.architecture == 'moe' else 'dense'}, "
            f"is an estimate from {estimate.basis} (EcoLogits) — pass --params and "
            "--active-params if you know better",
        )


def size_estimate(model: str | None) -> catalog.SizeEstimate | None:
    """The size_estimates.csv row of a model id or alias, if any."""
    if model and model in catalog.size_estimates():
        return catalog.size_estimates().get(model)
    return None


def request(r: Resolver[InferenceRun]) -> None:
    for name, default, unit, upper in REQUEST_DEFAULTS:
        value = getattr(r.spec, name)
        if value is not None:
            r.put(name, value, unit, USER)
        else:
            r.values[name] = default_assumption(default, upper=upper)
    for name in SERVING_CONSTANTS:  # a fraction is at most 1; the engine's time is in seconds
        fraction = catalog.default(name).unit == "fraction"
        r.values[name] = default_assumption(name, upper=1.0 if fraction else None)
    if r.spec.engine_time_us is not None:  # another engine's host time per sequence and step
        r.put("serving_token_overhead_s", r.spec.engine_time_us * MICRO, "s", USER)
    if r.spec.chip_power_w is not None:  # the accelerators' power while serving, as given
        r.put("chip_power_w", float(r.spec.chip_power_w), "W", USER)
        del r.values["serving_power_fraction"], r.values["serving_power_fraction_compute"]
    r.values["serving_model_error"] = default_assumption("serving_model_error")


def sized_replica(
    r: Resolver[InferenceRun], hw: catalog.Hardware, requests_per_day: float | None
) -> dict[str, float | str]:
    """One replica (its accelerators and batch: given, or from memory and latency targets) and
    the fleet that carries the traffic."""
    precision = r.spec.precision or "bf16"
    r.labels["precision"] = precision
    weight_bytes = BYTES_PER_PARAM[precision]
    peak = hw.peak_flops("fp8" if precision == "fp8" and hw.peak_flops_fp8 else "bf16")
    if not (peak and hw.memory_gb and hw.memory_bw_tbs and hw.tdp_w):
        raise InputError(
            f"{hw.id} lacks the peak FLOP/s, memory or bandwidth needed to model serving — "
            "pass --request-energy-kwh",
            field="hardware",
        )
    source = f"hardware:{hw.id} — {hw.source}"
    r.values["peak_flops"] = Assumption(peak, "FLOP/s", source, CATALOG)
    r.values["bandwidth_bps"] = Assumption(hw.memory_bw_tbs * BYTES_PER_TB, "B/s", source, CATALOG)
    r.values["tdp_w"] = Assumption(hw.tdp_w, "W", source, CATALOG)
    if hw.decode_bw_efficiency is not None:  # calibrated on this chip: the default's range
        r.values["decode_bw_efficiency"] = chip_efficiency(hw)
    r.values["server_overhead"] = scaled_assumption(
        hw.server_power_multiplier, "server_power_multiplier_rel", "×", source, CATALOG
    )
    r.values["weight_bytes"] = Assumption(
        weight_bytes, "B/parameter", f"{precision} weights (by definition of the format)", DERIVED
    )
    kv = kv_per_token(r, r.values["params"].value, r.values["active_params"].value)
    chosen = replica.shape(r, hw, kv, requests_per_day)
    counts = replica.fleet(r, chosen, requests_per_day)
    usable = catalog.default("gpu_memory_usable_fraction").value
    return {
        "gpus_per_replica": chosen.gpus,
        # what the replica's memory alone needs (fewer than its GPUs: more were taken for speed)
        "gpus_for_memory": equations.replica_gpus(chosen.memory_gb, hw.memory_gb, usable),
        "batch": chosen.batch,
        "replica_memory_gb": chosen.memory_gb,
        "decode_step_ms": chosen.step_s / replica.MILLISECONDS,
        # where the step's time goes: reading memory, computing, and the engine's host time
        **{
            f"decode_{part}_ms": seconds / replica.MILLISECONDS
            for part, seconds in zip(
                ("memory", "compute", "engine"), chosen.step_parts, strict=True
            )
        },
        "prefill_ms": chosen.prefill_s / replica.MILLISECONDS,
        "kv_cache_bytes_per_token": kv,
        "weight_bytes_per_param": weight_bytes,
        "hardware": hw.id,
        **counts,
    }


def chip_efficiency(hw: catalog.Hardware) -> Assumption:
    """An accelerator's own decode bandwidth efficiency, with the default's relative range."""
    assert hw.decode_bw_efficiency is not None
    value = hw.decode_bw_efficiency
    row = catalog.default("decode_bw_efficiency")
    scale = value / row.value
    return Assumption(
        value,
        row.unit,
        f"hardware:{hw.id} decode_bw_efficiency — {hw.source}",
        CATALOG,
        row.low * scale if row.low is not None else None,
        min(1.0, row.high * scale) if row.high is not None else None,
        1.0,
    )


def kv_per_token(r: Resolver[InferenceRun], params: float, active: float) -> float:
    """KV cache bytes per token: from the model's architecture (layers × KV heads × head size,
    grouped-query and latent attention included), else estimated from its size — for a mixture
    of experts from its active parameters, which measure the attention layers' width — at the
    KV cache's precision (`--kv-precision`; bf16, the engines' default, when not given)."""
    kv_precision = r.spec.kv_precision or "bf16"
    r.labels["kv_precision"] = kv_precision
    kv_bytes = BYTES_PER_PARAM[kv_precision]
    arch = catalog.architecture(r.preset.id) if r.preset else None
    if arch is not None and not r.spec.params:
        kv = equations.kv_bytes_per_token(arch.layers, arch.kv_heads, arch.head_dim, kv_bytes)
        source = f"architectures:{arch.id} × {kv_precision} ({kv_bytes:g} bytes) — {arch.source}"
        r.values["kv_bytes_per_token"] = Assumption(kv, "B/token", source, CATALOG)
        return kv
    ratio = catalog.default("kv_elements_per_param")
    basis = active if active < params else params
    kv = ratio.value * basis * kv_bytes
    which = "active parameters" if active < params else "parameters"
    r.warn(
        "estimated-kv",
        f"model shape unknown: KV cache per token estimated from the {which} ({ratio.source})",
    )
    r.values["kv_bytes_per_token"] = Assumption(
        kv,
        "B/token",
        f"defaults:{ratio.id} × {which} × {kv_bytes:g} bytes ({kv_precision}) — {ratio.source}",
        DERIVED,
    )
    return kv


def requests_per_day(r: Resolver[InferenceRun]) -> float | None:
    if r.spec.rps is not None:
        return r.spec.rps * SECONDS_PER_DAY
    if r.spec.requests_per_day is not None:
        return r.spec.requests_per_day
    r.warn(
        "no-traffic",
        "no traffic given: per-day and per-year lines are not computed — pass --rps or "
        "--requests-per-day",
    )
    return None
