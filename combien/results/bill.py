"""The Bill: the frozen result of an estimate or a measurement, schema `combien.bill/1`.

Its lines are those of `combien.fields.OUTPUTS` (key, label, unit, JSON place): each a central
value (the result at central inputs) and the 5th–95th percentile of the Monte Carlo samples. A
line that cannot be computed is None, with a warning saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from combien.fields import HEAT_LINES, OUTPUTS, TRAINING_LINES
from combien.provenance import Assumption, Caveat
from combien.results.document import (
    JSON,
    Footnotes,
    csv_text,
    dumps,
    markdown_table,
    rich_table,
)
from combien.units import SECONDS_PER_HOUR, count, money, quantity, span

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.bill/1"


@dataclass(frozen=True)
class Line:
    """A quantity: central value (the result at central inputs) and the 5th–95th percentile of
    the Monte Carlo samples."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}

    def scaled(self, factor: float) -> Line:
        """The same line times a constant."""
        return Line(self.value * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Span:
    """A quantity over a span of scenarios: the value at the central scenario and the results at
    the lowest and highest ones. Not a percentile range: nothing says how likely the ends are."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | str]:
        return {"value": self.value, "low": self.low, "high": self.high, "range": "scenarios"}

    def scaled(self, factor: float) -> Span:
        """The same span times a constant."""
        return Span(self.value * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Bill:
    """Itemised footprint and cost of a run, with the inputs and warnings behind it.

    `bill.energy_kwh`, `bill.co2e_total_kg`, ... are the lines of `combien.fields.OUTPUTS`.
    """

    lines: dict[str, Line | None]
    inputs: dict[str, Assumption]
    flop: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Caveat, ...] = ()
    samples: int = 0
    seed: int = 0
    title: str = "training estimate"
    #: more objects for the JSON document (a measured run's `run`, a `forecast`, a `scenario`)
    extra: dict[str, JSON] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Line | None:
        if name in OUTPUTS:
            return self.__dict__["lines"].get(name)
        raise AttributeError(f"'Bill' object has no attribute {name!r}")

    def line(self, key: str) -> Line | None:
        """The line of an output key (None when it was not computed)."""
        return self.lines.get(key)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> JSON:
        """The `combien.bill/1` JSON object: each line at its place in `OUTPUTS[key].json`."""
        out: JSON = {
            "schema": SCHEMA,
            "labels": dict(self.labels),
            "inputs": {name: a.to_dict() for name, a in self.inputs.items()},
            "compute": {"flop": self.flop},
        }
        for key in TRAINING_LINES + HEAT_LINES:
            if key in HEAT_LINES and key not in self.lines:
                continue
            line = self.lines.get(key)
            _place(out, OUTPUTS[key].json, line.to_dict() if line else None)
        out["warnings"] = [w.message for w in self.warnings]
        out["warning_codes"] = [w.code for w in self.warnings]
        out["uncertainty"] = {"samples": self.samples, "seed": self.seed, "interval": "p5-p95"}
        out.update(self.extra)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def to_csv(self) -> str:
        """One row per line: key, label, unit, value, low, high (empty when not computed)."""
        rows = []
        for key in TRAINING_LINES + tuple(k for k in HEAT_LINES if k in self.lines):
            line, output = self.lines.get(key), OUTPUTS[key]
            numbers = (line.value, line.low, line.high) if line else (None, None, None)
            rows.append((key, output.label, output.unit, *numbers))
        return csv_text(("line", "label", "unit", "value", "low", "high"), rows)

    # ------------------------------------------------------------------ text

    def text(self, key: str) -> str:
        """One line as `rows()` prints it: "CO2e total: 1.2 kg (90% range: 0.98–1.5 kg)"."""
        if key not in self.row_keys():
            raise KeyError(f"no line {key!r} — lines: {', '.join(self.row_keys())}")
        label, value, spread = self.rows()[self.row_keys().index(key)]
        return f"{label}: {value} ({'90% range: ' if '–' in spread else ''}{spread})"

    def row_keys(self) -> tuple[str, ...]:
        """The output keys of `rows()`, in the same order."""
        return TRAINING_LINES + tuple(k for k in HEAT_LINES if k in self.lines)

    def rows(self) -> list[tuple[str, str, str]]:
        """(label, value, 90% range) of every line, in OUTPUTS order."""
        out = []
        for key in self.row_keys():
            output, line = OUTPUTS[key], self.lines.get(key)
            if line is None:
                measured = self._measured_hours() if key == "wall_hours" else None
                if measured is not None:  # a tracked run: its wall-clock time as measured
                    out.append((output.label, quantity(measured, output.unit), "measured"))
                else:
                    out.append((output.label, "—", "not computed"))
                continue
            unit = output.unit
            low_high = span(line.low, line.high, unit) if line.low < line.high else "no spread"
            given = self.inputs.get(key)
            if given is not None and given.origin == "measured" and line.low == line.high:
                low_high = "measured"  # a tracked run's own figure (its duration, its hours)
            out.append((output.label, quantity(line.value, unit), low_high))
        return out

    def _measured_hours(self) -> float | None:
        """A tracked run's measured duration in hours (None for an estimate)."""
        run = self.extra.get("run")
        duration = run.get("duration_s") if isinstance(run, dict) else None
        return duration / SECONDS_PER_HOUR if isinstance(duration, int | float) else None

    def heading(self) -> str:
        """What the bill is of, and of which run: 'training estimate: gpt-3 · v100 · US'."""
        keys = ("model", "hardware", "location", "facility")
        parts = [self.labels[k] for k in keys if self.labels.get(k)]
        if self.flop:
            parts.append(f"{count(self.flop)} FLOP")
        return f"{self.title}: " + " · ".join(parts)

    def to_markdown(self) -> str:
        """The bill as a markdown document (for issues and notes; `combien report` makes the
        documents for papers and model cards): sources once each, as numbered footnotes."""
        notes = Footnotes(brief=BRIEF_SOURCE_CHARS)
        out = [f"## combien — {self.heading()}", ""]
        out += markdown_table(("line", "value", "90% range"), self.rows())
        out += ["", "### Inputs", ""]
        out += markdown_table(INPUT_HEADER, input_rows(self.inputs, notes), left=(2, 3))
        if self.warnings:
            out += ["", "### Warnings", ""] + [f"- {w.message}" for w in self.warnings]
        out += ["", self.method_note(), "", "### Sources", "", *notes.markdown()]
        return "\n".join(out) + "\n"

    def method_note(self) -> str:
        return (
            f"Ranges: 5th–95th percentile of {self.samples:,} Monte Carlo samples "
            f"(seed {self.seed}). Sources shortened; in full with --format json."
        )

    def to_table(self) -> RenderableType:
        """A rich renderable: the lines, the inputs with their origin and a footnote to their
        source, the sources, then the warnings; at 80 columns nothing is cut."""
        from rich.console import Group
        from rich.text import Text

        notes = Footnotes(brief=BRIEF_SOURCE_CHARS, inline=False)
        parts: list[RenderableType] = [
            rich_table(self.heading(), ("line", "value", "90% range"), self.rows()),
            inputs_table(self.inputs, notes),
        ]
        parts += [Text(f"[{n}] {text}", style="dim") for n, text in notes.notes]
        parts += [Text(f"! {w.message}", style="yellow") for w in self.warnings]
        return Group(*parts)


INPUT_HEADER = ("input", "value", "origin", "source")


def input_rows(inputs: dict[str, Assumption], notes: Footnotes) -> list[tuple[str, ...]]:
    """(name, value, origin, source) of every input, its source cited in `notes`."""
    return [(n, input_text(a), a.origin, notes.cite(a.source)) for n, a in inputs.items()]


def inputs_table(inputs: dict[str, Assumption], notes: Footnotes) -> RenderableType:
    """The inputs as a borderless terminal table (values never wrap)."""
    return rich_table("inputs", INPUT_HEADER, input_rows(inputs, notes), compact=True)


#: how long a source may be in a bill's table or markdown (the JSON has it in full)
BRIEF_SOURCE_CHARS = 100

_UNITLESS = {"parameters", "tokens", "count", "fraction", "×"}
#: units an input shows with a prefix or a symbol ('989 TFLOP/s', '$33,750'), each end of its
#: range too; the others as a count and the unit once ('370 [314–425] gCO2e/kWh')
_SYMBOLIC = {"FLOP/s", "W", "B/s", "year"}


def input_text(a: Assumption) -> str:
    """An input's value for people: '70B', '0.375 [0.2–0.55]', '700 W', '$33,750'."""
    if a.unit.startswith("USD"):  # '$4.86 [$1.99–$12.3] per h'
        low_high = f" [{money(a.low or 0)}–{money(a.high or 0)}]" if a.uncertain else ""
        per = a.unit.partition("/")[2]
        return money(a.value) + low_high + (f" per {per}" if per else "")
    if a.unit in _SYMBOLIC:
        low_high = f" [{quantity(a.low, a.unit)}–{quantity(a.high, a.unit)}]"
        return quantity(a.value, a.unit) + (low_high if a.uncertain else "")
    low_high = f" [{count(a.low)}–{count(a.high)}]" if a.uncertain else ""
    unit = "" if a.unit in _UNITLESS else f" {a.unit}"
    return f"{count(a.value)}{low_high}{unit}"


def _place(out: JSON, path: tuple[str, ...], value: object) -> None:
    """Set out[path[0]][path[1]]... = value, creating the objects on the way."""
    node = out
    for key in path[:-1]:
        child = node.setdefault(key, {})
        assert isinstance(child, dict)
        node = child
    node[path[-1]] = value
