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
from combien.results.document import JSON, dumps, markdown_table, rich_table
from combien.units import count, quantity

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
    title: str = "training bill"
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

    # ------------------------------------------------------------------ text

    def rows(self) -> list[tuple[str, str, str]]:
        """(label, value, 90% range) of every line, in OUTPUTS order."""
        keys = TRAINING_LINES + tuple(k for k in HEAT_LINES if k in self.lines)
        out = []
        for key in keys:
            output, line = OUTPUTS[key], self.lines.get(key)
            if line is None:
                out.append((output.label, "—", "not computed"))
                continue
            unit = output.unit
            span = f"{quantity(line.low, unit)} – {quantity(line.high, unit)}"
            out.append((output.label, quantity(line.value, unit), span))
        return out

    def heading(self) -> str:
        keys = ("model", "hardware", "location", "facility")
        parts = [self.labels[k] for k in keys if self.labels.get(k)]
        flop = f", {count(self.flop)} FLOP" if self.flop else ""
        return f"combien — {self.title}: " + " · ".join(parts) + flop

    def to_markdown(self) -> str:
        """The bill as a markdown document (for papers, model cards, issues)."""
        out = [f"## {self.heading()}", ""]
        out += markdown_table(("line", "value", "90% range"), self.rows())
        out += ["", "### Inputs", ""]
        inputs = [(n, input_text(a), a.origin, a.source) for n, a in self.inputs.items()]
        out += markdown_table(("name", "value", "origin", "source"), inputs, left=(2, 3))
        if self.warnings:
            out += ["", "### Warnings", ""] + [f"- {w.message}" for w in self.warnings]
        out += [
            "",
            f"Ranges: 5th–95th percentile of {self.samples:,} Monte Carlo samples "
            f"(seed {self.seed}).",
        ]
        return "\n".join(out) + "\n"

    def to_table(self) -> RenderableType:
        """A rich renderable: the lines, then the inputs with their origin, then warnings."""
        from rich.console import Group
        from rich.text import Text

        parts: list[RenderableType] = [
            rich_table(self.heading(), ("line", "value", "90% range"), self.rows())
        ]
        parts.append(Text("inputs (sources in full: --format markdown or json)", style="italic"))
        width = max(map(len, self.inputs), default=0)
        for name, a in self.inputs.items():
            text = Text.assemble(
                f"  {name:<{width}}  ",
                (input_text(a), "bold"),
                (f"  {a.origin}: {a.source}", "dim"),
            )
            text.no_wrap, text.overflow = True, "ellipsis"
            parts.append(text)
        parts += [Text(f"! {w.message}", style="yellow") for w in self.warnings]
        return Group(*parts)


_UNITLESS = {"parameters", "tokens", "count", "fraction", "×"}


def input_text(a: Assumption) -> str:
    """An input's value for people: '70B', '0.375 [0.2–0.55]', '700 W'."""
    span = f" [{count(a.low)}–{count(a.high)}]" if a.uncertain else ""
    unit = "" if a.unit in _UNITLESS else f" {a.unit}"
    return f"{count(a.value)}{span}{unit}"


def _place(out: JSON, path: tuple[str, ...], value: object) -> None:
    """Set out[path[0]][path[1]]... = value, creating the objects on the way."""
    node = out
    for key in path[:-1]:
        child = node.setdefault(key, {})
        assert isinstance(child, dict)
        node = child
    node[path[-1]] = value
