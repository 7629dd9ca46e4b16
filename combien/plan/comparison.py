"""The Comparison: variants of a run side by side, schema `combien.compare/1`.

Each variant keeps its whole bill (lines, inputs, warnings); each variant after the first has,
per line, its difference from the first: the difference at central inputs, the 5th–95th
percentile of the per-draw differences (common random numbers, `draws.py`) and the share of
draws in which the variant is below and above the first.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from combien.fields import OUTPUTS
from combien.provenance import Caveat
from combien.results.bill import Bill, Line
from combien.results.document import JSON, dumps, markdown_table
from combien.units import quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.compare/1"
#: beyond this many variants, a terminal shows one row per variant and the headline lines
COLUMNS_MAX = 4
ROW_LINES = ("wall_hours", "energy_kwh", "co2e_total_kg", "water_total_l", "cost_usd")
#: words for "below" and "above" the first variant, by the unit of a line
_BELOW_ABOVE = {"USD": ("cheaper", "dearer"), "h": ("faster", "slower")}


@dataclass(frozen=True)
class Difference:
    """A line of one variant minus the same line of the first: the difference at central
    inputs, its 90% range over common draws, and the shares of draws below and above zero."""

    value: float
    low: float
    high: float
    p_lower: float
    p_higher: float
    ratio: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "ratio": self.ratio,
            "p_lower": self.p_lower,
            "p_higher": self.p_higher,
        }

    def verdict(self, unit: str) -> str:
        """'cheaper in 97% of draws', 'same in every draw'."""
        if self.p_lower == 0 and self.p_higher == 0:
            return "same in every draw"
        below, above = _BELOW_ABOVE.get(unit, ("lower", "higher"))
        word, share = (
            (below, self.p_lower) if self.p_lower >= self.p_higher else (above, self.p_higher)
        )
        return f"{word} in {percent(share)} of draws"

    def text(self, unit: str, sep: str = " ") -> str:
        """'+6,958 t (4.37×) [+4,728 t – +10,344 t], higher in 100% of draws'; `sep` between
        the value, its range and the verdict (a new line in a terminal)."""
        if self.p_lower == 0 and self.p_higher == 0 and self.value == 0:
            return "same"
        ratio = f" ({self.ratio:.2f}×)" if self.ratio is not None else ""
        span = f"[{signed(self.low, unit)} – {signed(self.high, unit)}]"
        comma = "," if sep == " " else ""
        return f"{signed(self.value, unit)}{ratio}{sep}{span}{comma}{sep}{self.verdict(unit)}"


@dataclass(frozen=True)
class Variant:
    """One variant: its name, the values that make it differ, and its bill."""

    name: str
    varies: dict[str, str]
    bill: Bill


@dataclass(frozen=True)
class Comparison:
    """Variants of a run side by side, with each one's differences from the first."""

    variants: tuple[Variant, ...]
    #: per variant after the first: line key → its difference from the first (None: not
    #: computed for one of the two)
    differences: tuple[dict[str, Difference | None], ...]
    keys: tuple[str, ...]
    samples: int
    seed: int
    warnings: tuple[Caveat, ...] = field(default_factory=tuple)

    @property
    def baseline(self) -> Variant:
        return self.variants[0]

    def difference(self, name: str, key: str) -> Difference | None:
        """The difference of a line between variant `name` and the first."""
        index = [v.name for v in self.variants].index(name)
        if index == 0:
            raise ValueError(f"{name} is the first variant: the differences are against it")
        return self.differences[index - 1].get(key)

    # ------------------------------------------------------------------ JSON, CSV

    def to_dict(self) -> JSON:
        base = self.baseline.name
        return {
            "schema": SCHEMA,
            "baseline": base,
            "variants": [
                {"name": v.name, "varies": dict(v.varies), "bill": v.bill.to_dict()}
                for v in self.variants
            ],
            "differences": [
                {
                    "variant": v.name,
                    "against": base,
                    "lines": {k: d.to_dict() if d else None for k, d in diffs.items()},
                }
                for v, diffs in zip(self.variants[1:], self.differences, strict=True)
            ],
            "warnings": [w.message for w in self.warnings],
            "uncertainty": {
                "samples": self.samples,
                "seed": self.seed,
                "interval": "p5-p95",
                "draws": "common random numbers: an input shared by two variants takes the "
                "same draw in both",
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def to_csv(self) -> str:
        """One row per variant and line: its value and range, and its difference from the
        first with that difference's range and the share of draws below the first."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["variant", "line", "unit", "value", "low", "high",
             "diff_value", "diff_low", "diff_high", "diff_ratio", "p_lower", "p_higher"]
        )  # fmt: skip
        for i, variant in enumerate(self.variants):
            for key in self.keys:
                line = variant.bill.line(key)
                diff = self.differences[i - 1].get(key) if i else None
                cells: list[object] = [variant.name, key, OUTPUTS[key].unit]
                cells += [line.value, line.low, line.high] if line else ["", "", ""]
                cells += (
                    [diff.value, diff.low, diff.high, diff.ratio, diff.p_lower, diff.p_higher]
                    if diff
                    else [""] * 6
                )
                writer.writerow(["" if c is None else c for c in cells])
        return out.getvalue()

    # ------------------------------------------------------------------ text

    def heading(self) -> str:
        names = " vs ".join(v.name for v in self.variants)
        return f"combien — compare: {names}"

    def line_rows(self, sep: str = " ") -> list[list[str]]:
        rows = []
        for key in self.keys:
            output = OUTPUTS[key]
            cells = [output.label]
            for v in self.variants:
                cells.append(line_text(v.bill.line(key), output.unit, sep))
            rows.append(cells)
        return rows

    def difference_rows(self, sep: str = " ") -> list[list[str]]:
        rows = []
        for key in self.keys:
            unit = OUTPUTS[key].unit
            cells = [OUTPUTS[key].label]
            for diffs in self.differences:
                diff = diffs.get(key)
                cells.append(diff.text(unit, sep) if diff else "—")
            rows.append(cells)
        return rows

    def warning_lines(self) -> list[str]:
        out = [w.message for w in self.warnings]
        for v in self.variants:
            out += [f"{v.name}: {w.message}" for w in v.bill.warnings]
        return out

    def _headers(self) -> tuple[list[str], list[str]]:
        base = self.baseline.name
        lines = ["line", *(v.name for v in self.variants)]
        diffs = ["line", *(f"{v.name} − {base}" for v in self.variants[1:])]
        return lines, diffs

    def to_markdown(self) -> str:
        lines, diffs = self._headers()
        out = [f"## {self.heading()}", ""]
        out += markdown_table(lines, self.line_rows())
        if self.differences:
            out += ["", f"### Differences from {self.baseline.name}", ""]
            out += markdown_table(diffs, self.difference_rows())
        warnings = self.warning_lines()
        if warnings:
            out += ["", "### Warnings", ""] + [f"- {w}" for w in warnings]
        out += ["", self.footnote()]
        return "\n".join(out) + "\n"

    def footnote(self) -> str:
        return (
            f"Values: central [5th–95th percentile] of {self.samples:,} Monte Carlo samples "
            f"(seed {self.seed}); differences over common draws."
        )

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        lines, diffs = self._headers()
        if len(self.variants) > COLUMNS_MAX:
            note = "one row per variant; every line: --format markdown, json or csv"
            parts: list[RenderableType] = [self._row_table(), Text(note, style="italic")]
        else:
            parts = [_table(self.heading(), lines, self.line_rows("\n"))]
            if self.differences:
                title = f"differences from {self.baseline.name}"
                parts.append(_table(title, diffs, self.difference_rows("\n")))
        parts += [Text(f"! {w}", style="yellow") for w in self.warning_lines()]
        parts.append(Text(self.footnote(), style="italic"))
        return Group(*parts)

    def _row_table(self) -> RenderableType:
        """One row per variant (when there are too many for a column each): the headline
        lines, each with its difference from the first and the share of draws below it."""
        keys = [k for k in ROW_LINES if k in self.keys]
        header = ["variant", *(OUTPUTS[k].label for k in keys)]
        rows = [[self.baseline.name, *(line_text(self.baseline.bill.line(k), OUTPUTS[k].unit,
                                                 "\n") for k in keys)]]  # fmt: skip
        for variant, diffs in zip(self.variants[1:], self.differences, strict=True):
            cells = [variant.name]
            for key in keys:
                unit, diff = OUTPUTS[key].unit, diffs.get(key)
                cell = line_text(variant.bill.line(key), unit, "\n")
                cells.append(cell + ("\n" + diff.text(unit, "\n") if diff else ""))
            rows.append(cells)
        return _table(self.heading(), header, rows)


def _table(title: str, header: list[str], rows: list[list[str]]) -> RenderableType:
    """A terminal table whose first column (the line's label) is never squeezed away."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column(header[0], no_wrap=True)
    for column in header[1:]:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def line_text(line: Line | None, unit: str, sep: str = " ") -> str:
    """'2,064 t [1,402 t – 3,068 t]': the value and its 90% range."""
    if line is None:
        return "—"
    if line.low == line.high:
        return quantity(line.value, unit)
    low, high = quantity(line.low, unit), quantity(line.high, unit)
    return f"{quantity(line.value, unit)}{sep}[{low} – {high}]"


def signed(value: float, unit: str) -> str:
    """A quantity with its sign: '−340 t', '+1.2 d'."""
    sign = "−" if value < 0 else "+" if value > 0 else ""
    return sign + quantity(abs(value), unit)


def percent(share: float) -> str:
    """A share of draws: '97%'; never rounded to 0% or 100% unless it is."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"
