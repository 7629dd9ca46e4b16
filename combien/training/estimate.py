"""estimate(): a TrainingRun → the one resolver → the one chain (central + Monte Carlo) → Bill."""

from __future__ import annotations

from combien.fields import HEAT_LINES, OUTPUTS, TRAINING_LINES
from combien.provenance import Assumptions, Caveat
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training
from combien.results.bill import Bill
from combien.results.document import JSON, check_finite
from combien.results.evaluate import evaluate


def estimate(run: TrainingRun | None = None, **fields: object) -> Bill:
    """The bill of a training run.

    >>> bill = estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384,
    ...                 location="US-IA")
    """
    if run is None:
        run = TrainingRun.parse(fields)
    elif fields:
        run = run.merged(**fields)
    return bill_from(resolve_training(run), samples=run.samples, seed=run.seed)


def central(run: TrainingRun) -> dict[str, float]:
    """Every quantity of a run's bill at its central inputs, without the Monte Carlo ranges
    (for views over many runs that read only central values)."""
    return evaluate(resolve_training(run), samples=0, seed=run.seed).central


def bill_from(
    assumptions: Assumptions,
    *,
    samples: int,
    seed: int,
    title: str = "training estimate",
    hints: bool = True,
) -> Bill:
    """The Bill of resolved assumptions: each line of TRAINING_LINES (and the heat lines of a
    heat-reuse scenario), a warning for each that cannot be computed, with the flags that would
    give it where `hints` (not for a measured run: `track` has no such flags)."""
    result = evaluate(assumptions, samples=samples, seed=seed)
    check_finite(result.lines)  # inputs at the edges of their ranges must not overflow
    keys = TRAINING_LINES + tuple(k for k in (*HEAT_LINES, "cost_usd") if k in result.lines)
    warnings = list(assumptions.warnings)
    for key in TRAINING_LINES:
        out = OUTPUTS[key]
        if out.missing and key not in result.lines:
            hint = f" — {out.hint}" if hints and out.hint else ""
            warnings.append(Caveat(f"null-{key}", f"{key} not computed: {out.missing}{hint}"))
    extra: dict[str, JSON] = {}
    if "compute_factor" in assumptions.values:
        extra["scenario"] = {"compute_factor": assumptions.values["compute_factor"].value}
    return Bill(
        lines={k: result.lines.get(k) for k in keys},
        inputs=dict(assumptions.values),
        flop=result.central.get("flop"),
        labels=dict(assumptions.labels),
        warnings=tuple(warnings),
        samples=samples,
        seed=seed,
        title=title,
        extra=extra,
    )
