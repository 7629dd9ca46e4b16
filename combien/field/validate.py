"""combien checked against published runs, with only what a user would know.

Two reference sets, both data:

- `validation_runs.csv`: published energy, carbon and cost figures, each with the inputs a
  reader of the publication has (hardware, chips, days or chip-hours, the publication's counting
  convention, a PUE or location where published) and nothing measured.
- `mfu_runs.csv`: runs with a published compute, hardware, chips and duration. Their
  accelerator-hours and wall-clock are derived from the compute, the MFU model and the goodput;
  the MFU model is refitted without each run before it is checked (leave-one-out), so every
  figure is out of sample.

For each quantity: the median absolute error of the central value, the bias (median ratio − 1),
the share of published figures inside combien's 90% range and the median width (high ÷ low).

`validate_serving()` does the same for serving, on the published energies of
`inference_measurements.csv` (see `combien.serving.calibration`), per scope of energy.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from combien.data import catalog
from combien.engine import compute as equations
from combien.provenance import Assumptions
from combien.resolve import mfu as utilisation
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.serving import calibration
from combien.serving.infer import GPU_LINE
from combien.training.estimate import bill_from

if TYPE_CHECKING:
    from rich.console import RenderableType

#: the score of energies a publication counted by a convention combien applies as given
#: (TDP × hours × PUE: BLOOM, LLaMA) — a reproduction, kept apart from the power model's test
REPRODUCED = "energy_kwh (convention)"
#: the quantities of the table, in order: (name, line of the bill)
QUANTITIES = (
    ("chip-hours from compute", "chip_hours"),
    ("wall-clock from compute", "wall_hours"),
    ("energy, measured power (power model)", "energy_kwh"),
    ("energy, a published convention (reproduced)", REPRODUCED),
    ("carbon", "co2e_operational_kg"),
    ("cost", "cost_usd"),
)
SAMPLES = 20_000
HEADER = ("quantity", "n", "median abs. error", "bias", "in 90% range", "median width")
NOTE = (
    "out of sample: chip-hours and wall-clock with the MFU model refitted without each run "
    "(DeepSeek-V3 also informed the fp8 gain it uses); width = high ÷ low"
)


# ---------------------------------------------------------------- the MFU model


@dataclass(frozen=True)
class MfuModel:
    """A least-squares fit of log(MFU) on centred terms."""

    terms: tuple[str, ...]
    centers: tuple[float, ...]
    coefficients: tuple[float, ...]  # the intercept first
    residual_sd: float
    runs: int

    def rows(self) -> list[tuple[str, float, float]]:
        """(term, center, coefficient), as mfu_fit.csv holds them."""
        out = [("intercept", 0.0, self.coefficients[0])]
        out += list(zip(self.terms, self.centers, self.coefficients[1:], strict=True))
        return [*out, ("residual_sd", 0.0, self.residual_sd), ("runs", 0.0, float(self.runs))]

    def as_fit(self, source: str = "leave-one-out refit") -> dict[str, catalog.MfuTerm]:
        return {
            t: catalog.MfuTerm(term=t, center=c, coefficient=k, source=source, as_of="")
            for t, c, k in self.rows()
        }


def run_terms(run: catalog.MfuRun) -> dict[str, float | None]:
    return utilisation.mfu_terms(run.chips, run.params, run.date, run.kind)


def fit_mfu_model(runs: Sequence[catalog.MfuRun]) -> MfuModel:
    """Fit log(MFU) on the terms of `resolve.mfu.MFU_TERMS`, each centred on its mean."""
    terms = utilisation.MFU_TERMS
    table = np.array([[run_terms(r)[t] for t in terms] for r in runs], dtype=float)
    centers = table.mean(axis=0)
    design = np.column_stack([np.ones(len(runs)), table - centers])
    coefficients, sd = equations.fit_log_linear(design, np.array([r.mfu for r in runs]))
    return MfuModel(
        terms,
        tuple(float(c) for c in centers),
        tuple(float(c) for c in coefficients),
        sd,
        len(runs),
    )


# ---------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    """One published figure against combien's estimate of it."""

    case: str
    quantity: str
    published: float
    value: float
    low: float
    high: float
    out_of_sample: bool
    rounded_to: float = 0.0  # the published figure is exact to half this either side

    @property
    def ratio(self) -> float:
        return self.value / self.published

    @property
    def inside(self) -> bool:
        half = self.rounded_to / 2
        return self.low <= self.published + half and self.published - half <= self.high


def _lines(assumptions: Assumptions, *lines: str) -> list[tuple[float, float, float] | None]:
    """(value, low, high) of each line of one bill (one Monte Carlo run for them all)."""
    bill = bill_from(assumptions, samples=SAMPLES, seed=0)
    got = [bill.lines.get(line) for line in lines]
    return [(g.value, g.low, g.high) if g else None for g in got]


def compute_checks(runs: Sequence[catalog.MfuRun] | None = None) -> list[Check]:
    """Accelerator-hours and wall-clock of each run with a published duration, derived from its
    compute with the MFU model refitted without it (leave-one-out)."""
    runs = tuple(runs if runs is not None else catalog.mfu_runs())
    checks = []
    for i, run in enumerate(runs):
        hours = run.chip_hours or (run.training_hours * run.chips if run.training_hours else None)
        if not (run.flop and run.hardware and hours):
            continue
        peak = catalog.hardware().get(run.hardware).peak_flops_bf16
        if peak and equations.implied_mfu(run.flop, hours, peak) > 1:
            continue  # the compute and the time describe different runs (e.g. a fine-tune's)
        others = runs[:i] + runs[i + 1 :]
        fit = fit_mfu_model(others).as_fit()
        precision = "fp8" if (run.precision or "").upper().startswith("FP8") else None
        spec = TrainingRun.parse(
            {"flop": run.flop, "hardware": run.hardware, "chips": run.chips, "start": run.date}
            | ({"precision": precision} if precision else {})
        )
        resolved = resolve_training(spec)
        hw = catalog.hardware().get(run.hardware)
        mfu = utilisation.mfu_from_fit(
            fit, run_terms(run), resolved.labels.get("precision", "bf16"), hw
        )
        values = dict(resolved.values) | {"mfu": mfu}
        refit = dataclasses.replace(resolved, values=values)
        truths = (("chip_hours", hours), ("wall_hours", run.training_hours or hours / run.chips))
        for (line, truth), got in zip(truths, _lines(refit, *(t[0] for t in truths)), strict=True):
            if got:
                # fp8_throughput_gain was read partly from DeepSeek-V3, the one fp8 run here
                checks.append(Check(run.model, line, truth, *got, out_of_sample=not precision))
    return checks


def published_checks() -> list[Check]:
    """Each published energy, carbon and cost figure of validation_runs.csv."""
    checks = []
    for case in catalog.validation_runs():
        spec = TrainingRun.parse(case.spec())
        (got,) = _lines(resolve_training(spec), case.line)
        if got:
            checks.append(Check(case.id, case.line, case.published, *got, True, case.rounded_to))
    return checks


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Score:
    """How combien does on one quantity."""

    quantity: str
    line: str
    n: int
    median_abs_error: float
    bias: float
    coverage: float
    median_width: float

    def to_dict(self) -> JSON:
        return dataclasses.asdict(self)


def score(name: str, line: str, checks: Iterable[Check]) -> Score | None:
    mine = [c for c in checks if c.quantity == line]
    if not mine:
        return None
    return Score(
        name,
        line,
        len(mine),
        statistics.median(abs(c.ratio - 1) for c in mine),
        statistics.median(c.ratio for c in mine) - 1,
        sum(c.inside for c in mine) / len(mine),
        statistics.median(c.high / c.low for c in mine),
    )


@dataclass(frozen=True)
class Validation:
    """The table of scores and every check behind it."""

    scores: tuple[Score, ...]
    checks: tuple[Check, ...]
    note: str = NOTE
    title: str = "validation"
    extra: JSON = dataclasses.field(default_factory=dict)

    def to_dict(self) -> JSON:
        return {
            "schema": "combien.validation/1",
            "leave_one_out": True,
            "in_sample": sorted({c.case for c in self.checks if not c.out_of_sample}),
            **self.extra,
            "scores": [s.to_dict() for s in self.scores],
            "checks": [
                dataclasses.asdict(c) | {"ratio": c.ratio, "inside": c.inside} for c in self.checks
            ],
        }

    def to_csv(self) -> str:
        """One row per check (the scores are their medians and shares, by quantity)."""
        return records_csv(self.to_dict()["checks"])  # type: ignore[arg-type]

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (
                s.quantity,
                str(s.n),
                f"{s.median_abs_error:.0%}",
                f"{s.bias:+.0%}",
                f"{s.coverage:.0%}",
                f"{s.median_width:.2f}",
            )
            for s in self.scores
        ]

    def to_markdown(self) -> str:
        lines = markdown_table(HEADER, self.rows())
        return "\n".join([f"## combien — {self.title}", "", *lines, "", self.note]) + "\n"

    def to_table(self) -> RenderableType:
        return rich_table(f"combien — {self.title} ({self.note})", HEADER, self.rows())


def validate() -> Validation:
    """Every check, and the score of each quantity."""
    checks = compute_checks() + published_checks()
    cost = [dataclasses.replace(c, quantity="cost_usd") for c in checks if "cost" in c.quantity]
    by_convention = {r.id for r in catalog.validation_runs() if "convention" in r.spec()}
    pool = [
        dataclasses.replace(c, quantity=REPRODUCED)
        if c.quantity == "energy_kwh" and c.case in by_convention
        else c
        for c in checks
        if "cost" not in c.quantity
    ] + cost
    scores = tuple(s for name, line in QUANTITIES if (s := score(name, line, pool)))
    return Validation(scores, tuple(checks))


# ---------------------------------------------------------------- serving

#: the serving table: (name, scope line, which checks) — a check is (line, leave-one-out)
SERVING_QUANTITIES = (
    ("GPU energy: ML.ENERGY calibration rows, leave-one-out", "gpu_energy_kwh", True),
    ("GPU energy: other engine versions and prompts", "gpu_energy_kwh", False),
    ("GPU energy: all", "gpu_energy_kwh", None),
    ("server (IT) energy at the wall", "it_energy_kwh", None),
    ("facility energy", "energy_kwh", None),
)
SERVING_NOTE = (
    "out of sample: energy per output token (per request where only that is published), "
    "the values calibrated on ML.ENERGY (the engine's time per sequence, the decode bandwidth "
    "efficiency of H100 and of B200, the power line) refitted without each calibration row; "
    "width = high ÷ low"
)


def serving_checks(
    rows: Sequence[catalog.InferenceMeasurement] | None = None,
) -> tuple[list[Check], list[str], list[tuple[str, str]]]:
    """Each published serving energy against combien's estimate: the checks, the ids checked
    leave-one-out, and each row left aside with the reason."""
    done, aside = calibration.checks(rows)
    checks = [
        Check(c.case, GPU_LINE.get(c.line, c.line), c.published, c.value, c.low, c.high, True)
        for c in done
    ]
    return checks, [c.case for c in done if c.leave_one_out], aside


def validate_serving() -> Validation:
    """Every serving check, and the score of each scope of energy."""
    checks, loo, aside = serving_checks()
    scores = []
    for name, line, left_out in SERVING_QUANTITIES:
        mine = [c for c in checks if left_out is None or (c.case in loo) == left_out]
        if s := score(name, line, mine):
            scores.append(s)
    missing = [
        name for name, line, _ in SERVING_QUANTITIES if not any(c.quantity == line for c in checks)
    ]
    deployed = [(d, calibration.deployment_gpus(d)) for d in catalog.deployments()]
    note = (
        SERVING_NOTE
        + "".join(f"; {name}: no published measurement to check" for name in missing)
        + "".join(
            f"; real traffic: for {d.provider}'s published day ({d.as_of}), combien provisions "
            f"{gpus:,.0f} {d.hardware} where {d.provider} ran {d.gpus_mean:,.0f} on average "
            f"(×{gpus / d.gpus_mean:.2f})"
            for d, gpus in deployed
        )
    )
    extra: JSON = {
        "kind": "serving",
        "leave_one_out_cases": loo,
        "set_aside": [{"case": case, "reason": reason} for case, reason in aside],
        "deployments": [
            {
                "case": d.id,
                "hardware": d.hardware,
                "published_gpus_mean": d.gpus_mean,
                "published_gpus_peak": d.gpus_peak,
                "combien_gpus": gpus,
                "ratio": gpus / d.gpus_mean,
            }
            for d, gpus in deployed
        ],
    }
    return Validation(tuple(scores), tuple(checks), note, "serving validation", extra)
