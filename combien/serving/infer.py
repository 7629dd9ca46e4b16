"""infer(): the cost of every answer — per request, per 1,000, per day and per year of traffic.

An InferenceRun → Assumptions (model size and shape, request, batch, hardware, site) → the
serving equations (engine/serving.py) at central inputs and over Monte Carlo samples → an
InferenceBill (schema `combien.inference/1`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from combien.data import catalog
from combien.engine import serving
from combien.engine.uncertainty import Spread, draw, interval
from combien.errors import IncompleteError, InputError
from combien.fields import SITE_KEYS
from combien.provenance import Assumption, Assumptions, Caveat
from combien.resolve.site import default_assumption, resolve_site
from combien.resolve.spec import InferenceRun, TrainingRun
from combien.results.bill import Line
from combien.units import BYTES_PER_GB, BYTES_PER_PARAM, BYTES_PER_TB, SECONDS_PER_DAY

SCHEMA = "combien.inference/1"
LINES = (
    "energy_kwh",
    "it_energy_kwh",
    "co2e_total_kg",
    "co2e_operational_kg",
    "co2e_embodied_kg",
    "water_total_l",
    "water_onsite_l",
    "water_offsite_l",
    "cost_usd",
    "cost_cloud_usd",
    "cost_ownership_usd",
    "cost_energy_usd",
)
BOTTLE_L = 0.5
#: serving hardware when none is given: the H100 SXM, EcoLogits' reference GPU (its methodology
#: fits ML.ENERGY measurements on H100); the bill warns that it was assumed
DEFAULT_HARDWARE = "h100-sxm"


@dataclass(frozen=True)
class InferenceBill:
    """Per-request lines and their scaling to traffic, with the serving set-up behind them."""

    per_request: dict[str, Line]
    requests_per_day: float | None
    requests_per_500ml: Line
    serving: dict[str, Any]
    inputs: dict[str, Assumption]
    labels: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Caveat, ...] = ()
    samples: int = 0
    seed: int = 0

    def scaled(self, factor: float) -> dict[str, Line]:
        return {k: v.scaled(factor) for k, v in self.per_request.items()}

    def per_day(self) -> dict[str, Line] | None:
        return None if self.requests_per_day is None else self.scaled(self.requests_per_day)

    def per_year(self) -> dict[str, Line] | None:
        days = catalog.default("hours_per_year").value / 24
        return None if self.requests_per_day is None else self.scaled(self.requests_per_day * days)

    def to_dict(self) -> dict[str, Any]:
        def block(lines: dict[str, Line] | None) -> dict[str, Any] | None:
            if lines is None:
                return None
            out: dict[str, Any] = {k: v.to_dict() for k, v in lines.items()}
            out["co2e_kg"] = out.get("co2e_total_kg")
            out["water_l"] = out.get("water_total_l")
            return out

        return {
            "schema": SCHEMA,
            "labels": dict(self.labels),
            "inputs": {k: a.to_dict() for k, a in self.inputs.items()},
            "serving": dict(self.serving),
            "requests_per_day": self.requests_per_day,
            "per_request": block(self.per_request),
            "per_1000_requests": block(self.scaled(1000)),
            "per_day": block(self.per_day()),
            "per_year": block(self.per_year()),
            "requests_per_500ml": self.requests_per_500ml.to_dict(),
            "warnings": [w.message for w in self.warnings],
            "warning_codes": [w.code for w in self.warnings],
            "uncertainty": {"samples": self.samples, "seed": self.seed, "interval": "p5-p95"},
        }

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


class _Serving:
    """Resolve an InferenceRun into the serving equations' inputs."""

    def __init__(self, run: InferenceRun) -> None:
        self.run = run
        self.given = run.given() - {"samples", "seed"}
        self.values: dict[str, Assumption] = {}
        self.labels: dict[str, str] = {}
        self.warnings: list[Caveat] = []
        self.serving: dict[str, Any] = {}
        self.preset = catalog.models().get(run.model) if run.model else None
        self.arch = catalog.architecture(self.preset.id) if self.preset else None
        if self.preset:
            self.labels["model"] = self.preset.id

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Caveat(code, message))

    def user(self, name: str, value: float, unit: str) -> None:
        self.values[name] = Assumption(value, unit, "user", "user")

    def build(self) -> Assumptions:
        site = self.site()
        if self.run.request_energy_kwh is not None:
            self.user("request_energy_kwh", self.run.request_energy_kwh, "kWh")
            self.warn(
                "request-energy-given",
                "request energy given: model size, hardware and "
                "batch are not used; embodied carbon and GPU costs are not computed",
            )
        else:
            self.model_size()
            self.request()
            self.replica(site)
        self.traffic()
        return Assumptions(self.values, self.labels, tuple(self.warnings))

    def site(self) -> Assumptions:
        fields = {k: getattr(self.run, k) for k in SITE_KEYS if getattr(self.run, k) is not None}
        if "hardware" not in fields and self.run.request_energy_kwh is None:
            fields["hardware"] = DEFAULT_HARDWARE
            self.warn(
                "default-hardware",
                f"no hardware given: {fields['hardware']} is assumed — pass --hardware",
            )
        site = resolve_site(TrainingRun.parse(fields))
        self.values.update(site.values)
        self.labels.update(site.labels)
        self.warnings.extend(site.warnings)
        return site

    def model_size(self) -> None:
        params = self.run.params or (self.preset.params if self.preset else None)
        if not params:
            raise IncompleteError(
                "model size unknown — give --params (e.g. 70B) or --model "
                "PRESET (`combien data models`)"
            )
        active = (
            self.run.active_params
            or (self.preset.active_params if self.preset and not self.run.params else None)
            or params
        )
        origin = "user" if self.run.params else "preset"
        source = "user" if origin == "user" else f"models:{self.preset.id} — {self.preset.source}"  # type: ignore[union-attr]
        self.values["params"] = Assumption(params, "parameters", source, origin)
        self.values["active_params"] = Assumption(active, "parameters", source, origin)

    def request(self) -> None:
        for name, default in (
            ("tokens_in", "request_tokens_in"),
            ("tokens_out", "request_tokens_out"),
        ):
            value = getattr(self.run, name)
            if value is not None:
                self.user(name, value, "tokens")
            else:
                self.values[name] = default_assumption(default)
        if self.run.batch is not None:
            self.user("batch", self.run.batch, "requests")
        else:
            self.values["batch"] = default_assumption("serving_batch")
        if self.run.utilisation is not None:
            self.user("utilisation", self.run.utilisation, "fraction")
        else:
            self.values["utilisation"] = default_assumption("serving_utilisation", upper=1.0)
        for name in (
            "prefill_mfu",
            "decode_bw_efficiency",
            "serving_power_fraction",
            "idle_power_fraction",
        ):
            self.values[name] = default_assumption(name, upper=1.0)

    def replica(self, site: Assumptions) -> None:
        hw = catalog.hardware().get(site.labels["hardware"])
        precision = self.run.precision or "bf16"
        self.labels["precision"] = precision
        weight_bytes = BYTES_PER_PARAM[precision]
        compute = "fp8" if precision == "fp8" and hw.peak_flops_fp8 else "bf16"
        peak = hw.peak_flops(compute)
        if not (peak and hw.memory_gb and hw.memory_bw_tbs and hw.tdp_w):
            raise InputError(
                f"{hw.id} lacks the peak FLOP/s, memory or bandwidth needed to "
                "model serving — pass --request-energy-kwh",
                field="hardware",
            )
        src = f"hardware:{hw.id} — {hw.source}"
        self.values["peak_flops"] = Assumption(peak, "FLOP/s", src, "catalog")
        self.values["bandwidth_bps"] = Assumption(
            hw.memory_bw_tbs * BYTES_PER_TB, "B/s", src, "catalog"
        )
        self.values["tdp_w"] = Assumption(hw.tdp_w, "W", src, "catalog")
        self.values["server_overhead"] = Assumption(
            hw.server_power_multiplier,
            "×",
            src,
            "catalog",
            *(hw.server_power_multiplier * r for r in _rel("server_power_multiplier_rel")),
        )
        params = self.values["params"].value
        active = self.values["active_params"].value
        kv = self.kv_per_token(params)
        batch = self.values["batch"].value
        tokens_in, tokens_out = (self.values[n].value for n in ("tokens_in", "tokens_out"))
        memory = serving.replica_memory_gb(params, weight_bytes, batch, tokens_in + tokens_out, kv)
        usable = catalog.default("gpu_memory_usable_fraction").value
        limit = int(catalog.default("max_gpus_per_replica").value)
        if self.run.gpus is not None:
            gpus = self.run.gpus
            weights = params * weight_bytes / BYTES_PER_GB
            if weights > gpus * hw.memory_gb * usable:
                raise InputError(
                    f"the weights need {weights:,.0f} GB: they do not fit on {gpus} × {hw.id} "
                    f"({hw.memory_gb:g} GB) — raise --gpus or use --precision fp8/int4",
                    field="gpus",
                )
            if memory > gpus * hw.memory_gb * usable:
                self.warn(
                    "kv-cache-full",
                    f"the KV cache of {batch:g} requests at full context "
                    f"does not fit beside the weights on {gpus} × {hw.id}: the engine "
                    "would run fewer at once",
                )
        else:
            gpus = serving.replica_gpus(memory, hw.memory_gb, usable)
            if gpus > limit:
                raise InputError(
                    f"the model needs {memory:,.0f} GB at batch {batch:g}: it cannot fit on "
                    f"{hw.id} ({hw.memory_gb:g} GB) at any replica size up to {limit} — "
                    "use a larger accelerator, --precision fp8/int4, or a smaller --batch",
                    field="hardware",
                )
        self.user("gpus", float(gpus), "count") if self.run.gpus else self.values.__setitem__(
            "gpus",
            Assumption(
                float(gpus),
                "count",
                "derived: replica memory ÷ usable GPU memory, rounded up to a power of two",
                "derived",
            ),
        )
        moe_bytes = min(params, batch * active) * weight_bytes
        kv_bytes = batch * (tokens_in + tokens_out / 2) * kv
        self.values["decode_bytes"] = Assumption(
            moe_bytes + kv_bytes,
            "B",
            "derived: weights read once per step + the batch's KV cache at mean context",
            "derived",
        )
        self.serving.update(
            {
                "gpus_per_replica": gpus,
                "replica_memory_gb": memory,
                "kv_cache_bytes_per_token": kv,
                "weight_bytes_per_param": weight_bytes,
                "hardware": hw.id,
            }
        )

    def kv_per_token(self, params: float) -> float:
        kv_bytes = BYTES_PER_PARAM["bf16"]
        if self.arch is not None and not self.run.params:
            a = self.arch
            return serving.kv_bytes_per_token(a.layers, a.kv_heads, a.head_dim, kv_bytes)
        ratio = catalog.default("kv_elements_per_param")
        self.warn(
            "estimated-kv",
            "model shape unknown: KV cache per token estimated from the "
            f"parameter count ({ratio.source})",
        )
        return ratio.value * params * kv_bytes

    def traffic(self) -> None:
        if self.run.rps is not None:
            self.serving["requests_per_day"] = self.run.rps * SECONDS_PER_DAY
        elif self.run.requests_per_day is not None:
            self.serving["requests_per_day"] = self.run.requests_per_day
        else:
            self.serving["requests_per_day"] = None
            self.warn(
                "no-traffic",
                "no traffic given: per-day and per-year lines are not "
                "computed — pass --rps or --requests-per-day",
            )


def _rel(name: str) -> tuple[float, float]:
    row = catalog.default(name)
    return (row.low or 1.0), (row.high or 1.0)


def infer(run: InferenceRun | None = None, **fields: Any) -> InferenceBill:
    """The bill of serving a model: per request, and at the given traffic."""
    if run is None:
        run = InferenceRun.parse(fields)
    resolver = _Serving(run)
    assumptions = resolver.build()
    central_in = assumptions.central()
    central = serving.serving_chain(central_in)
    spreads = {
        n: Spread(a.value, a.low, a.high, a.upper_bound)  # type: ignore[arg-type]
        for n, a in assumptions.values.items()
        if a.uncertain
    }
    sampled = serving.serving_chain({**central_in, **draw(spreads, run.samples, run.seed)})
    lines = {}
    for name in LINES:
        if name in central:
            low, high = interval(sampled[name])
            lines[name] = Line(float(central[name]), low, high)
    water = lines["water_total_l"]
    bottle = Line(BOTTLE_L / water.value, *interval(BOTTLE_L / sampled["water_total_l"]))
    info = dict(resolver.serving)
    per_day = info.get("requests_per_day")
    if "replica_s" in central:
        info["replica_seconds_per_request"] = float(central["replica_s"])
        info["tokens_per_s_per_replica"] = float(central["tokens_per_s"])
        if per_day:
            util = central_in["utilisation"]
            replicas = math.ceil(per_day / SECONDS_PER_DAY * central["replica_s"] / util)
            info["replicas"] = replicas
            info["gpus_total"] = replicas * info["gpus_per_replica"]
    return InferenceBill(
        lines,
        per_day,
        bottle,
        info,
        dict(assumptions.values),
        dict(assumptions.labels),
        assumptions.warnings,
        run.samples,
        run.seed,
    )
