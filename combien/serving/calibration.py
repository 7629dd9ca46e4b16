"""The serving model against published measurements of serving energy.

Each measurement of `inference_measurements.csv` is served by combien with only what its
publication states — the model (or its size), the accelerator, the GPUs, the batch or the
traffic, the output length, the weight format — and compared, in the scope the publication
measured (`gpu`: the accelerators; `node`: the server at the wall; `node+pue`: the facility),
with the estimate's central value and 90% range.

Constants of the serving model were calibrated on rows of that file (their `calibrates` column
says which): the serving engine's time per sequence and decode step (`serving_token_overhead_s`),
the decode bandwidth efficiency — the default's, and an accelerator's own where `hardware.csv`
holds one (`key`) — and the power line (`serving_power_fraction` memory-bound,
`serving_power_fraction_compute` compute-bound). A row that calibrated one is checked with it
refitted without the row (leave-one-out): the calibration, as a procedure, is rerun on the
other rows, and the stored value moves by the ratio of the refit to the fit on every row. The
procedure: a request is timed as the estimate times it, its prefill and its share of the
decode steps (a measured throughput includes the prefills of the benchmark's prompts;
matching it with decode alone would count them twice in the estimate); at a given engine time,
each bandwidth efficiency is the one at which combien's output throughput matches its rows'
measured throughputs in geometric mean; the engine time is the one that, so matched, brings
the throughputs closest to the measured (least squares in logs); the power line is the
least-squares line of each row's measured average power per GPU ÷ TDP on its compute share, at
those values, read at share 0 and 1.

The serving model's own error is one more calibrated constant, `serving_model_error`: a factor of
central value 1 on the time a request holds its replica, whose 90% range widens the ranges to
what the model's misses on these measurements call for. Its log-spread s is fitted on every
checkable row by matching moments: s² = mean(r²) − mean(σ²), with r the log of the central
estimate over the published figure and σ the log-spread of the estimate's range without the
factor (its 90% half-width ÷ 1.645). Each row is checked with s fitted on the other rows.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from combien.data import catalog
from combien.engine.chain import request_compute_share, request_replica_s
from combien.errors import CombienError, DataError
from combien.provenance import Assumption, Assumptions
from combien.resolve.serving import resolve_serving
from combien.resolve.spec import InferenceRun
from combien.results.evaluate import evaluate
from combien.units import Z95

#: the bill's line for each scope a publication measures
SCOPES = {"gpu": "accelerator_energy_kwh", "node": "it_energy_kwh", "node+pue": "energy_kwh"}
#: the defaults calibrated on measurements, in the order the procedure fits them
POWER, POWER_COMPUTE, BANDWIDTH, OVERHEAD = (
    "serving_power_fraction",
    "serving_power_fraction_compute",
    "decode_bw_efficiency",
    "serving_token_overhead_s",
)
FITTED = (POWER, POWER_COMPUTE, BANDWIDTH, OVERHEAD)
#: the largest engine time per token the calibration searches (s): 1 ms, far above any fit
OVERHEAD_MAX = 1e-3
#: the bandwidth efficiencies the calibration searches (a share of the peak, bisected)
EFFICIENCY_SEARCH = (0.02, 5.0)
#: the default that carries the serving model's own error, fitted on the checks' residuals
MODEL_ERROR = "serving_model_error"

SAMPLES = 4_000
WH_PER_KWH = 1_000.0


@dataclass(frozen=True)
class ServedCheck:
    """One published serving energy against combien's estimate of it (kWh per output token,
    or per request where the publication gives only that)."""

    case: str
    line: str
    per: str  # "output token" or "request"
    published: float
    value: float
    low: float
    high: float
    leave_one_out: bool
    fitted: dict[str, float] = dataclasses.field(default_factory=dict)


def skipped(row: catalog.InferenceMeasurement) -> str | None:
    """Why a row cannot be checked (None: it can)."""
    if row.scope not in SCOPES:
        return "an assumption of the publication, not a measurement"
    if not row.hardware:
        return "the publication's accelerator is not stated or not confirmed"
    if not (row.model or row.params):
        return "the model's size is not published"
    if row.energy_wh_per_token is None and row.energy_wh_per_request is None:
        return "no energy per token or per request"
    if (row.energy_wh_per_token or row.energy_wh_per_request or 0.0) <= 0:
        return "a published energy that is not positive"
    return None


def spec(row: catalog.InferenceMeasurement) -> InferenceRun:
    """The set-up as its publication states it: nothing measured (no power, no throughput)."""
    known = row.model and (row.model in catalog.models() or row.model in catalog.size_estimates())
    fields: dict[str, object] = (
        {"model": row.model}
        if known
        else {"params": row.params, "active_params": row.active_params or row.params}
    )
    stated = ("hardware", "tokens_in", "tokens_out", "batch", "requests_per_day", "precision")
    for name in (*stated, "chip_power_w"):
        value = getattr(row, name)
        if value is not None:
            fields[name] = value
    if row.gpus is not None and row.requests_per_day is None:
        fields["gpus"] = int(row.gpus)
    return InferenceRun.parse(fields)


def calibration_rows(
    rows: Sequence[catalog.InferenceMeasurement] | None = None,
) -> tuple[catalog.InferenceMeasurement, ...]:
    """The rows a serving default was calibrated on."""
    rows = catalog.inference_measurements() if rows is None else rows
    return tuple(r for r in rows if r.calibrates)


# ---------------------------------------------------------------- the calibration procedure


def _with(assumptions: Assumptions, values: dict[str, float]) -> Assumptions:
    """The same inputs with some defaults moved, each keeping its relative 90% range."""
    changed = dict(assumptions.values)
    for name, value in values.items():
        a = changed[name]
        scale = value / a.value
        low = a.low * scale if a.low is not None else None
        high = a.high * scale if a.high is not None else None
        source = f"{a.source} — refitted without the row it is checked on"
        changed[name] = Assumption(value, a.unit, source, a.origin, low, high, a.upper_bound)
    return dataclasses.replace(assumptions, values=changed)


@functools.cache
def _resolved(row: catalog.InferenceMeasurement) -> Assumptions:
    """The inputs combien resolves for a row's set-up (once: every check and fit reads them)."""
    return resolve_serving(spec(row)).assumptions


@functools.cache
def _central(row: catalog.InferenceMeasurement) -> dict[str, float]:
    """The central inputs combien resolves for a row's set-up."""
    return _resolved(row).central()


@functools.cache
def _timing(row: catalog.InferenceMeasurement) -> tuple[float, float, float]:
    """(a, b, tokens out) of a row's set-up: the replica-seconds a request holds, timed as the
    estimate times it (its prefill and its share of the decode steps), are a + b ÷ bandwidth
    efficiency + tokens out × engine time per token — exactly, the memory time being the only
    term in the efficiency; read off at two efficiencies with no engine time."""
    x = _central(row) | {OVERHEAD: 0.0}
    whole, half = (float(request_replica_s(x | {BANDWIDTH: e})) for e in (1.0, 0.5))
    return whole - (half - whole), half - whole, float(x["tokens_out"])


class _Group:
    """The timings of rows fitted together, as arrays (see `_timing`)."""

    def __init__(self, rows: Sequence[catalog.InferenceMeasurement]) -> None:
        a, b, tokens = zip(*(_timing(r) for r in rows), strict=True)
        self.ids = [r.id for r in rows]
        self.a, self.b, self.tokens = np.array(a), np.array(b), np.array(tokens)
        missing = [r.id for r in rows if not r.tokens_per_s]
        if missing:  # `fit` keeps only rows with a throughput: a caller's error, said
            raise DataError(f"calibration: no measured throughput for {', '.join(missing)}")
        self.measured = np.array([r.tokens_per_s for r in rows], dtype=float)

    def log_gaps(self, efficiency: float, overhead: float) -> np.ndarray:
        """Log of modelled ÷ measured output throughput of each row, at a bandwidth efficiency
        and an engine time per token."""
        seconds = self.a + self.b / efficiency + self.tokens * overhead
        return np.log(self.tokens / seconds / self.measured)


def key(name: str, row: catalog.InferenceMeasurement) -> str:
    """Where the value `name` that `row` calibrates is stored: `decode_bw_efficiency@<chip>`
    for an accelerator with its own bandwidth efficiency in hardware.csv, else the default."""
    hw = catalog.hardware().get(row.hardware or "")
    if name == "decode_bw_efficiency" and hw.decode_bw_efficiency is not None:
        return f"{name}@{hw.id}"
    return name


def stored(where: str) -> float:
    """The value stored at `where` (a `key`)."""
    name, _, chip = where.partition("@")
    value = catalog.hardware().get(chip).decode_bw_efficiency if chip else None
    return value if value is not None else catalog.default(name).value


def _power_line(
    rows: Sequence[catalog.InferenceMeasurement], efficiency: dict[str, float], overhead: float
) -> tuple[float, float]:
    """(memory-bound, compute-bound) power fractions: the least-squares line of each row's
    measured power per GPU ÷ TDP on its compute share, the share at the bandwidth efficiency
    `efficiency` gives its row's key and the engine time per token `overhead`."""
    points = []
    for r in rows:
        hw = catalog.hardware().get(r.hardware or "")
        if not hw.tdp_w:  # a power fraction needs the TDP: a data error, said, not a NaN
            raise DataError(f"inference_measurements.csv: {r.id} calibrates on {hw.id}, no TDP")
        bandwidth = efficiency.get(key(BANDWIDTH, r)) or stored(key(BANDWIDTH, r))
        x = _central(r) | {BANDWIDTH: bandwidth, OVERHEAD: overhead}
        share = float(request_compute_share(x))
        points.append((share, (r.power_w or 0.0) / (r.gpus or 1.0) / hw.tdp_w))
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:  # one compute share: no slope to fit, a constant power fraction
        return mean_y, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - slope * mean_x, mean_y + slope * (1 - mean_x)


def _bandwidth_efficiency(group: _Group, overhead: float) -> float:
    """The efficiency at which the modelled throughputs match the measured in geometric mean,
    at an engine time per token."""
    low, high = EFFICIENCY_SEARCH
    for _ in range(40):  # the throughput grows with the efficiency: bisect in log space
        middle = math.sqrt(low * high)
        low, high = (middle, high) if group.log_gaps(middle, overhead).sum() < 0 else (low, middle)
    return math.sqrt(low * high)


def _efficiencies(groups: dict[str, _Group], overhead: float) -> dict[str, float]:
    """Each bandwidth group's efficiency at an engine time per token."""
    return {k: _bandwidth_efficiency(g, overhead) for k, g in groups.items()}


def _overhead(rows: Sequence[catalog.InferenceMeasurement], groups: dict[str, _Group]) -> float:
    """The engine time per token that, with each bandwidth group's efficiency matched at it,
    makes the modelled throughputs of `rows` closest to the measured (least squares in logs):
    a golden-section search between 0 and `OVERHEAD_MAX`."""
    ids = {r.id for r in rows}
    mine = {k: np.array([i in ids for i in g.ids]) for k, g in groups.items()}

    def misfit(overhead: float) -> float:
        efficiency = _efficiencies(groups, overhead)
        return sum(
            float((g.log_gaps(efficiency[k], overhead)[mine[k]] ** 2).sum())
            for k, g in groups.items()
        )

    golden = (math.sqrt(5) - 1) / 2
    low, high = 0.0, OVERHEAD_MAX
    left, right = high - golden * (high - low), low + golden * (high - low)
    at_left, at_right = misfit(left), misfit(right)
    for _ in range(36):
        if at_left < at_right:
            high, right, at_right = right, left, at_left
            left = high - golden * (high - low)
            at_left = misfit(left)
        else:
            low, left, at_left = left, right, at_right
            right = low + golden * (high - low)
            at_right = misfit(right)
    best = (low + high) / 2
    if best > OVERHEAD_MAX * 0.99:  # at the search's end: the rows want more, said, not clipped
        names = ", ".join(sorted(ids))
        raise DataError(f"calibration: the engine time per token fitted on {names} reaches the "
                        f"search's bound of {OVERHEAD_MAX * 1e3:g} ms")  # fmt: skip
    return best  # at 0 where the rows want none (an engine time is never negative)


def fit(
    rows: Sequence[catalog.InferenceMeasurement], only: Collection[str] | None = None
) -> dict[str, float]:
    """The calibration procedure on `rows`, for each value they calibrate, keyed where it is
    stored (`key`): the engine time per token and, at it, each bandwidth efficiency over its
    rows (the default's, or one accelerator's), then the power line over the rows that
    calibrate it. `only`: these keys alone (the engine time is fitted with every bandwidth
    group whichever is asked for: they are fitted together)."""
    groups: dict[str, list[catalog.InferenceMeasurement]] = {}
    for r in rows:
        if r.power_w and r.tokens_per_s and r.gpus and r.hardware:
            for name in FITTED:
                if name in r.calibrates:
                    groups.setdefault(key(name, r), []).append(r)
    if not groups:
        raise ValueError("no row with a measured power and throughput to calibrate on")
    for r in groups.get(OVERHEAD, ()):  # the engine time is fitted with an efficiency, not alone
        if BANDWIDTH not in r.calibrates:
            raise DataError(f"inference_measurements.csv: {r.id} calibrates {OVERHEAD} "
                            f"without {BANDWIDTH}, which it is fitted with")  # fmt: skip
    bandwidth = {k: _Group(g) for k, g in groups.items() if k.startswith(BANDWIDTH)}
    overhead = _overhead(groups[OVERHEAD], bandwidth) if OVERHEAD in groups else stored(OVERHEAD)
    out = _efficiencies(bandwidth, overhead)
    beyond = [k for k, e in out.items() if not EFFICIENCY_SEARCH[0] * 1.01 < e < 1]
    if beyond:  # above 1 or at the search's floor: the rows and the model disagree, said
        raise DataError(f"calibration: {', '.join(beyond)} fitted outside "
                        f"{EFFICIENCY_SEARCH[0]:g}-1 — the measured throughputs exceed what the "
                        "bandwidth allows, or fall far below it")  # fmt: skip
    if OVERHEAD in groups:
        out[OVERHEAD] = overhead
    if POWER in groups:
        out[POWER], out[POWER_COMPUTE] = _power_line(groups[POWER], out, overhead)
        if not (out[POWER] > 0 and out[POWER_COMPUTE] > 0):  # a power line below zero, said
            raise DataError(f"calibration: the power line fitted on {len(groups[POWER])} rows "
                            f"runs from {out[POWER]:.3g} to {out[POWER_COMPUTE]:.3g} of the TDP "
                            "— a fraction of the TDP is positive")  # fmt: skip
    return {k: v for k, v in out.items() if only is None or k in only}


def left_out(
    row: catalog.InferenceMeasurement,
    rows: Sequence[catalog.InferenceMeasurement],
    everything: dict[str, float] | None = None,
) -> dict[str, float]:
    """The calibrated values refitted without `row`: each stored value × fit(others) ÷
    fit(all), for the values the row calibrated and those fitted at them — the power line,
    fitted at the engine time and at the efficiency of its rows, moves with either
    (`everything`: fit(rows), if already made)."""
    mine = {name: key(name, row) for name in FITTED if name in row.calibrates}
    if (POWER in mine) != (POWER_COMPUTE in mine):  # the power line's two ends, fitted together
        raise DataError(
            f"inference_measurements.csv: {row.id} calibrates one end of the power line"
        )
    others = [r for r in rows if r.id != row.id]
    everything = everything or fit(rows)
    under_power = {key(BANDWIDTH, r) for r in rows if POWER in r.calibrates}
    if POWER in everything and (OVERHEAD in mine or mine.get(BANDWIDTH) in under_power):
        mine |= {POWER: POWER, POWER_COMPUTE: POWER_COMPUTE}
    try:
        without = fit(others, only=set(mine.values()))
    except ValueError:  # no other row left to fit on
        without = {}
    alone = [k for k in mine.values() if k not in without]
    if alone:
        raise DataError(f"{row.id} is the only row calibrating {', '.join(alone)}: it cannot be "
                        "checked leave-one-out")  # fmt: skip
    return {name: stored(k) * without[k] / everything[k] for name, k in mine.items()}


# ---------------------------------------------------------------- the checks


def _model_error(assumptions: Assumptions, sigma: float, why: str) -> Assumptions:
    """The same inputs with the model-error factor's log-spread set to `sigma` (0: none)."""
    changed = dict(assumptions.values)
    a = changed[MODEL_ERROR]
    low, high = (math.exp(-Z95 * sigma), math.exp(Z95 * sigma)) if sigma > 0 else (None, None)
    changed[MODEL_ERROR] = Assumption(1.0, a.unit, f"{a.source} — {why}", a.origin, low, high)
    return dataclasses.replace(assumptions, values=changed)


def model_error_sigma(residuals: Sequence[tuple[float, float]]) -> float:
    """The log-spread of the serving model's error from (r, σ) pairs: r the log of a central
    estimate over its published figure, σ the log-spread of its range without the error;
    s² = mean(r²) − mean(σ²), 0 if that is negative."""
    if not residuals:
        return 0.0
    mean_r2 = sum(r * r for r, _ in residuals) / len(residuals)
    mean_s2 = sum(s * s for _, s in residuals) / len(residuals)
    return math.sqrt(max(0.0, mean_r2 - mean_s2))


def residual(c: ServedCheck) -> tuple[float, float]:
    """(r, σ) of a check made without the model error (see `model_error_sigma`)."""
    return math.log(c.value / c.published), math.log(c.high / c.low) / (2 * Z95)


def check(
    row: catalog.InferenceMeasurement,
    fitted: dict[str, float] | None = None,
    error_sigma: float | None = None,
) -> ServedCheck:
    """combien's estimate of one published measurement, in the publication's scope; with
    `error_sigma`, the model-error factor's log-spread (0: none) in place of the stored one."""
    resolved = _resolved(row)
    if fitted:
        resolved = _with(resolved, fitted)
    if error_sigma is not None:
        why = "without it" if error_sigma == 0 else "fitted without the row it is checked on"
        resolved = _model_error(resolved, error_sigma, why)
    lines = evaluate(resolved, samples=SAMPLES, seed=0).lines
    line = lines[SCOPES[row.scope]]
    per_token = row.energy_wh_per_token is not None
    divide = resolved.values["tokens_out"].value if per_token else 1.0
    published = (row.energy_wh_per_token if per_token else row.energy_wh_per_request) or 0.0
    return ServedCheck(
        row.id,
        SCOPES[row.scope],
        "output token" if per_token else "request",
        published / WH_PER_KWH,
        line.value / divide,
        line.low / divide,
        line.high / divide,
        bool(fitted),
        dict(fitted or {}),
    )


def checks(
    rows: Sequence[catalog.InferenceMeasurement] | None = None,
) -> tuple[list[ServedCheck], list[tuple[str, str]]]:
    """Every measurement that can be checked — leave-one-out for the calibration's rows, and
    with the model-error factor fitted on the other rows — and each row left aside, with the
    reason."""
    bare, aside = _without_model_error(rows)
    residuals = {row.id: residual(c) for row, _, c in bare}
    done = [
        check(
            row,
            fitted,
            error_sigma=model_error_sigma([v for k, v in residuals.items() if k != row.id]),
        )
        for row, fitted, _ in bare
    ]
    return done, aside


def _without_model_error(
    rows: Sequence[catalog.InferenceMeasurement] | None = None,
) -> tuple[
    list[tuple[catalog.InferenceMeasurement, dict[str, float] | None, ServedCheck]],
    list[tuple[str, str]],
]:
    """Every row that can be checked, checked without the model-error factor (calibrated
    defaults refitted without the rows they were fitted on): (row, refit, check); and each row
    left aside, with the reason."""
    rows = tuple(catalog.inference_measurements() if rows is None else rows)
    calibration = calibration_rows(rows)
    everything = fit(calibration) if calibration else None
    bare = []
    aside = []
    for row in rows:
        reason = skipped(row)
        if reason:
            aside.append((row.id, reason))
            continue
        try:
            fitted = left_out(row, calibration, everything) if row.calibrates else None
            bare.append((row, fitted, check(row, fitted, error_sigma=0.0)))
        except CombienError as exc:  # a set-up combien refuses (it does not fit): said
            aside.append((row.id, f"combien cannot serve it: {exc}"))
    return bare, aside


def fitted_model_error() -> float:
    """`serving_model_error`'s log-spread fitted on every checkable row (the stored default's)."""
    return model_error_sigma([residual(c) for _, _, c in _without_model_error()[0]])


# ---------------------------------------------------------------- deployments at real traffic


def deployment_spec(d: catalog.Deployment) -> InferenceRun:
    """A published day of traffic as `infer` is told it: the model, part and format; the output
    length o that makes the mean context the deployment states, tokens in + o/2 = C with tokens
    in = o × its input-to-output ratio; the share of input its prompt cache served; the requests
    a day that carry its output tokens; the output speed as the latency target; replicas for the
    mean (its node count follows load)."""
    ratio = d.input_tokens_per_day / d.output_tokens_per_day
    out = d.context_per_output_token / (ratio + 0.5)
    return InferenceRun.parse(
        {
            "model": d.model,
            "hardware": d.hardware,
            "precision": d.precision,
            "tokens_in": ratio * out,
            "tokens_out": out,
            "cached_share": d.cached_input_share,
            "requests_per_day": d.output_tokens_per_day / out,
            "tpot_ms": 1000 / d.output_tokens_per_s,
        }
    )


def deployment_gpus(d: catalog.Deployment) -> float:
    """The accelerators combien provisions for a published day of traffic (its central
    estimate), to compare with the mean the deployment ran."""
    return float(resolve_serving(deployment_spec(d)).replica["gpus_total"])
