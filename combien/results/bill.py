"""The Bill: the frozen result of an estimate (or a measurement), schema `combien.bill/1`.

Lines hold a central value (the result at central inputs) and the 5th–95th percentile of the
Monte Carlo samples. A line that cannot be computed is None, with a warning saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from combien.provenance import Assumption, Caveat

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


def _line_dict(line: Line | None) -> dict[str, float] | None:
    return line.to_dict() if line is not None else None


@dataclass(frozen=True)
class Bill:
    """Itemised footprint and cost of a run, with the inputs and warnings behind it."""

    inputs: dict[str, Assumption]
    flop: float | None
    chip_hours: Line | None
    wall_hours: Line | None
    energy_kwh: Line | None
    it_energy_kwh: Line | None
    co2e_operational_kg: Line | None
    co2e_embodied_kg: Line | None
    co2e_total_kg: Line | None
    water_onsite_l: Line | None
    water_offsite_l: Line | None
    water_total_l: Line | None
    cost_cloud_usd: Line | None
    cost_ownership_usd: Line | None
    cost_energy_usd: Line | None
    cost_hardware_capex_usd: Line | None
    labels: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Caveat, ...] = ()
    samples: int = 0
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `combien.bill/1` JSON object."""
        compute = {
            "flop": self.flop,
            "chip_hours": self.chip_hours.value if self.chip_hours else None,
            "wall_hours": self.wall_hours.value if self.wall_hours else None,
            "chip_hours_range": _range(self.chip_hours),
            "wall_hours_range": _range(self.wall_hours),
        }
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "labels": dict(self.labels),
            "inputs": {name: a.to_dict() for name, a in self.inputs.items()},
            "compute": compute,
            "energy_kwh": _line_dict(self.energy_kwh),
            "it_energy_kwh": _line_dict(self.it_energy_kwh),
            "co2e_kg": {
                "operational": _line_dict(self.co2e_operational_kg),
                "embodied": _line_dict(self.co2e_embodied_kg),
                "total": _line_dict(self.co2e_total_kg),
            },
            "water_l": {
                "onsite": _line_dict(self.water_onsite_l),
                "offsite": _line_dict(self.water_offsite_l),
                "total": _line_dict(self.water_total_l),
            },
            "cost_usd": {
                "cloud": _line_dict(self.cost_cloud_usd),
                "ownership": _line_dict(self.cost_ownership_usd),
                "energy": _line_dict(self.cost_energy_usd),
                "hardware_capex": _line_dict(self.cost_hardware_capex_usd),
            },
            "warnings": [w.message for w in self.warnings],
            "warning_codes": [w.code for w in self.warnings],
            "uncertainty": {"samples": self.samples, "seed": self.seed, "interval": "p5-p95"},
        }
        out.update(self.extra)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(self) -> str:
        from combien.results.render import bill_markdown

        return bill_markdown(self)


def _range(line: Line | None) -> list[float] | None:
    return [line.low, line.high] if line is not None else None
