"""A model's whole life: the training bill, then months of serving; when serving overtakes.

lifecycle(TrainingRun(model="llama-3.1-405b", location="US"),
          InferenceRun(model="llama-3.1-405b", rps=100, location="US"), months=24)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from combien.fields import HEADLINES, OUTPUTS
from combien.provenance import Caveat
from combien.resolve.spec import InferenceRun, TrainingRun
from combien.results.bill import Bill, Line
from combien.results.document import JSON, csv_text, dumps, markdown_table, rich_table
from combien.serving.infer import InferenceBill, infer
from combien.training.estimate import estimate
from combien.units import DAYS_PER_YEAR, count, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.lifecycle/1"
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
_HEADER = (
    "quantity",
    "training",
    "serving per day",
    "serving",
    "total",
    "serving overtakes training",
)
#: the same columns, named to fit a terminal of 80 columns
_SHORT_HEADER = ("quantity", "training", "serving/day", "serving", "total", "overtakes on")


@dataclass(frozen=True)
class Lifecycle:
    training: Bill
    serving: InferenceBill
    months: float

    def rows(self) -> list[JSON]:
        """Per headline quantity (energy, CO2e, water, cost): training, serving per day, serving
        over the months, total, and the day serving overtakes training (with the range from the
        two lines' ranges)."""
        out = []
        days = self.months * DAYS_PER_MONTH
        per_day = self.serving.per_day() or {}
        for name, key in HEADLINES:
            train: Line | None = self.training.line(key)
            day = per_day.get(key)
            row: JSON = {
                "quantity": name,
                "training": train.to_dict() if train else None,
                "serving_per_day": day.to_dict() if day else None,
            }
            if train and day and day.value > 0:
                serving = day.scaled(days)
                row["serving"] = serving.to_dict()
                row["total"] = {
                    "value": train.value + serving.value,
                    "low": train.low + serving.low,
                    "high": train.high + serving.high,
                }
                row["serving_overtakes_training_day"] = {
                    "value": train.value / day.value,
                    "low": train.low / day.high if day.high else None,
                    "high": train.high / day.low if day.low else None,
                }
            out.append(row)
        return out

    def to_dict(self) -> JSON:
        return {
            "schema": SCHEMA,
            "months": self.months,
            "requests_per_day": self.serving.requests_per_day,
            "quantities": self.rows(),
            "training": self.training.to_dict(),
            "serving": self.serving.to_dict(),
            "warnings": self.warnings(),
        }

    def to_csv(self) -> str:
        """One row per quantity: the central values, and the day serving overtakes training
        with its range."""
        header = ("quantity", "training", "serving_per_day", "serving", "total")
        day = ("overtakes_day", "overtakes_day_low", "overtakes_day_high")
        rows = []
        for row in self.rows():
            values = [_value(row.get(k)) for k in header[1:]]
            when = row.get("serving_overtakes_training_day")
            ends = [when.get(k) for k in ("value", "low", "high")] if isinstance(when, dict) else []
            rows.append((row["quantity"], *values, *(ends or [None] * 3)))
        return csv_text(header + day, rows)

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def text_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for (_, key), row in zip(HEADLINES, self.rows(), strict=True):
            unit = OUTPUTS[key].unit

            def cell(line: object, unit: str = unit) -> str:
                return quantity(line["value"], unit) if isinstance(line, dict) else "—"

            day = row.get("serving_overtakes_training_day")
            when = _overtakes_text(day) if isinstance(day, dict) else "—"
            rows.append(
                (
                    OUTPUTS[key].label,
                    cell(row["training"]),
                    cell(row["serving_per_day"]),
                    cell(row.get("serving")),
                    cell(row.get("total")),
                    when,
                )
            )
        return rows

    def warnings(self) -> list[str]:
        """The training bill's and the serving bill's warnings, each said once; a warning the
        two bills give with different words (a facility default for each) names its phase."""
        phases = {"training": self.training.warnings, "serving": self.serving.warnings}
        said = {p: {w.code: w.message for w in ws} for p, ws in phases.items()}
        out = []
        for phase, ws in phases.items():
            other = said["serving" if phase == "training" else "training"]
            for w in ws:
                differs = w.code in other and other[w.code] != w.message
                out.append(f"{phase}: {w.message}" if differs else w.message)
        return list(dict.fromkeys(out))

    def to_markdown(self) -> str:
        out = [f"## combien — training + {self.months:g} months of serving", ""]
        out += markdown_table(_HEADER, self.text_rows())
        if self.warnings():
            out += ["", "### Warnings", ""] + [f"- {w}" for w in self.warnings()]
        return "\n".join(out) + "\n"

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        title = (
            f"a model's life: training + {self.months:g} months of serving "
            f"({count(self.serving.requests_per_day)} requests/day)"
        )
        # the first word of each label ('Energy (facility)' → 'Energy'), said once below
        rows = [(label.split(" ")[0], *rest) for label, *rest in self.text_rows()]
        table = rich_table(title, _SHORT_HEADER, rows, compact=True)
        note = (
            "energy at the facility; CO2e and water totals; the day (beyond two years, the year) "
            "serving overtakes training"
        )
        parts: list[RenderableType] = [table, Text(note, style="dim")]
        parts += [Text(f"! {w}", style="yellow") for w in self.warnings()]
        return Group(*parts)


def _overtakes_text(day: dict[str, float | None]) -> str:
    """'day 273 [60–1,208]'; beyond two years in years, 'year 2.3 [0.9–4.6]', 'year 748
    [165–3,310]' (a day count of six digits says less and does not fit 80 columns); an end
    that cannot be had (serving's per-day range reaching 0) reads '—'."""
    in_days = (day["value"] or 0) < 2 * DAYS_PER_YEAR

    def text(d: float | None) -> str:
        if d is None:
            return "—"
        if in_days:
            return f"{d:,.0f}"
        y = d / DAYS_PER_YEAR
        return f"{y:,.1f}" if y < 10 else f"{y:,.0f}"

    ends = f"[{text(day['low'])}–{text(day['high'])}]"
    return f"{'day' if in_days else 'year'} {text(day['value'])} {ends}"


def _value(line: object) -> object:
    return line.get("value") if isinstance(line, dict) else None


def lifecycle(training: TrainingRun, serving: InferenceRun, months: float) -> Lifecycle:
    """The training bill plus `months` of serving at the serving run's traffic."""
    return Lifecycle(estimate(training), _serving_flags(infer(serving)), months)


def _serving_flags(bill: InferenceBill) -> InferenceBill:
    """The serving bill as lifecycle words it: there --hardware is the training accelerator,
    and the serving one is --serve-hardware."""
    warnings = tuple(
        Caveat(
            w.code,
            w.message.replace("no hardware given", "no serving hardware given").replace(
                "pass --hardware", "pass --serve-hardware"
            ),
        )
        if w.code == "default-hardware"
        else w
        for w in bill.warnings
    )
    return replace(bill, warnings=warnings)
