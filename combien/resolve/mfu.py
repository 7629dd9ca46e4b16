"""How well a training run uses its accelerators: the precision it computes in, its model FLOP
utilisation (MFU) and its goodput. Stages of the training resolver (`training.py`).

- **Precision**: a chip computes only the formats it has (precisions.csv); a chip without bf16
  (V100, T4) is read at its fp16 peak under an fp16 label; a format the chip lacks is an error.
- **MFU**: the user's, else the convention's, else the fitted model of mfu_fit.csv:
  log(MFU) = intercept + Σ coefficient × (term − center), terms known from the run (chips,
  parameters, year, TPU or not; an unknown term sits at its center), with the 90% range of the
  fit's residuals. The fit is relative to the bf16 peak; at fp8, MFU relative to the fp8 peak
  is MFU_bf16 × `fp8_throughput_gain` × peak_bf16 / peak_fp8.
- **Goodput**: the share of wall-clock time spent training (`--goodput`, else `goodput` from
  defaults.csv); it stretches a time derived from the compute, never a published time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from combien.data import catalog
from combien.engine import compute as equations
from combien.engine.uncertainty import Z95
from combien.errors import InputError
from combien.provenance import Assumption
from combien.resolve.resolver import CATALOG, DEFAULT, USER, Resolver, default_assumption
from combien.resolve.spec import TrainingRun
from combien.units import count, parse_date

#: the terms of the MFU model, as mfu_fit.csv names them
MFU_TERMS = ("log10_chips", "log10_params", "year", "tpu")


def supported_precision(
    r: Resolver[TrainingRun], hw: catalog.Hardware, precision: str, *, given: bool
) -> str:
    """The precision the chip computes the run in: fp16 for bf16 on a chip without bf16;
    an InputError for a format the chip lacks."""
    support = catalog.precisions().get(hw.id)
    if support is None or precision in support.precisions:
        return precision
    has_fp16_peak = hw.peak_flops("fp16") is not None
    if precision == "bf16" and "fp16" in support.precisions and has_fp16_peak and not given:
        r.warn(
            "precision-fp16",
            f"{hw.id} has no bf16: its fp16 tensor peak is used — pass --precision to choose",
        )
        return "fp16"
    if precision == "bf16" and not given:
        return precision  # the caller falls back to tf32, then fp32
    raise InputError(
        f"{hw.id} has no {precision} — its precisions: {', '.join(support.precisions)}",
        field="precision",
    )


def mfu_terms(
    chips: float | None, params: float | None, date: str | None, kind: str
) -> dict[str, float | None]:
    """The values of the MFU model's terms for a run (None: unknown)."""
    year = None
    if date:
        when = parse_date(date)
        year = when.year + (when.month - 1) / 12
    return {
        "log10_chips": math.log10(chips) if chips else None,
        "log10_params": math.log10(params) if params else None,
        "year": year,
        "tpu": 1.0 if kind == "tpu" else 0.0,
    }


def predicted_log_mfu(
    fit: Mapping[str, catalog.MfuTerm], terms: Mapping[str, float | None]
) -> tuple[float, float]:
    """The model's log(MFU) for a run and the log-spread of its 90% range (the residual
    spread, inflated by √(1 + p/n) for the uncertainty of the coefficients)."""
    names = [t for t in MFU_TERMS if t in fit]
    centred = [
        (terms[t] - fit[t].center) if terms.get(t) is not None else 0.0  # type: ignore[operator]
        for t in names
    ]
    mfu = equations.log_linear_mfu(
        fit["intercept"].coefficient, [fit[t].coefficient for t in names], centred
    )
    runs = fit["runs"].coefficient
    spread = fit["residual_sd"].coefficient * math.sqrt(1 + (len(names) + 1) / runs)
    return math.log(mfu), spread


def fitted_mfu(r: Resolver[TrainingRun], hw: catalog.Hardware) -> Assumption:
    """The MFU model's value for this run, with its 90% range, at the run's precision."""
    chips = r.values.get("chips")
    params = r.number("params")
    date = str(r.option("start") or (r.run_preset.date if r.run_preset else "") or "") or None
    terms = mfu_terms(chips.value if chips else None, params[0] if params else None, date, hw.kind)
    precision = r.labels.get("precision", "bf16")
    mfu = mfu_from_fit(catalog.mfu_fit(), terms, precision, hw)
    known = [t for t, v in terms.items() if v is not None]
    cap = catalog.default("mfu_plausible_max")
    capped = f", capped at {cap.value:.0%}" if mfu.high == cap.value else ""
    outside = beyond_the_runs(terms)
    extrapolated = (
        f"; the run is far outside the published runs the fit was made on ({'; '.join(outside)}): "
        "the fit is extrapolated"
        if outside
        else ""
    )
    r.warn(
        "default-mfu",
        f"MFU not given: {mfu.value:.0%} ({mfu.low:.0%}–{mfu.high:.0%}{capped}) from the MFU fit "
        f"of published runs ({', '.join(known)}) at {precision}{extrapolated}; pass --mfu if you "
        "know it",
    )
    return mfu


def beyond_the_runs(terms: Mapping[str, float | None]) -> list[str]:
    """The terms of a run more than `mfu_fit_margin` (defaults.csv) beyond those of every run
    the MFU model was fitted on (mfu_runs.csv), each said with the runs' range."""
    margin = catalog.default("mfu_fit_margin").value
    runs = [mfu_terms(x.chips, x.params, x.date, x.kind) for x in catalog.mfu_runs()]
    said = {
        "log10_chips": ("chips", lambda v: count(10**v)),
        "log10_params": ("parameters", lambda v: count(10**v)),
        "year": ("date", lambda v: f"{int(v)}-{round(v % 1 * 12) + 1:02d}"),
    }
    out = []
    for term, (name, shown) in said.items():
        value = terms.get(term)
        seen = [t[term] for t in runs if t[term] is not None]
        if value is None or not seen:
            continue
        low, high = min(seen), max(seen)  # type: ignore[type-var]
        if value < low - margin or value > high + margin:  # type: ignore[operator]
            out.append(f"{name} {shown(value)}, the runs {shown(low)} to {shown(high)}")
    return out


def mfu_from_fit(
    fit: Mapping[str, catalog.MfuTerm],
    terms: Mapping[str, float | None],
    precision: str,
    hw: catalog.Hardware,
) -> Assumption:
    """A fit's MFU for a run's terms, with its 90% range, relative to the peak at `precision`
    (validation passes a fit made without the run it checks)."""
    log_mfu, spread = predicted_log_mfu(fit, terms)
    source = f"mfu_fit: {fit['intercept'].source}"
    if precision == "fp8" and hw.peak_flops_bf16 and hw.peak_flops_fp8:
        gain = catalog.default("fp8_throughput_gain")
        log_mfu = math.log(
            equations.precision_mfu(
                math.exp(log_mfu), hw.peak_flops_bf16, hw.peak_flops_fp8, gain.value
            )
        )
        gain_spread = math.log((gain.high or gain.value) / (gain.low or gain.value)) / (2 * Z95)
        spread = math.hypot(spread, gain_spread)
        source += f"; at fp8: × {gain.value:g} × bf16 peak ÷ fp8 peak (defaults:{gain.id})"
    cap = catalog.default("mfu_plausible_max")
    low, high = math.exp(log_mfu - Z95 * spread), math.exp(log_mfu + Z95 * spread)
    if high > cap.value:
        source += f"; capped at {cap.value:g} (defaults:{cap.id})"
    return Assumption(
        min(math.exp(log_mfu), cap.value),
        "fraction",
        source,
        CATALOG,
        min(low, cap.value),
        min(high, cap.value),
        cap.value,
    )


def mfu_input(r: Resolver[TrainingRun], hw: catalog.Hardware) -> Assumption:
    """The user's MFU, else the convention's, else the fitted one."""
    got = r.number("mfu")
    if got:
        return Assumption(got[0], "fraction", r.source_of(got[1]), got[1])
    if r.convention.mfu is not None:
        return Assumption(
            r.convention.mfu,
            "fraction",
            f"conventions:{r.convention.id} — {r.convention.source}",
            DEFAULT,
        )
    return fitted_mfu(r, hw)


def goodput_input(r: Resolver[TrainingRun]) -> Assumption:
    """The user's goodput, else the sourced default with its range."""
    if "goodput" in r.given:
        return Assumption(float(r.spec.goodput or 1.0), "fraction", USER, USER)
    return default_assumption("goodput", upper=1.0)
