"""Provenance: every number the engine will use, with its unit, range and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Assumption:
    """One input of the engine: a point or a 90% interval, and where it came from.

    `origin` is `user` (flag, spec or API argument), `preset` (a --model row), `catalog` (a
    reference data row), `default` (a method constant) or `derived` (computed from other inputs).
    """

    value: float
    unit: str
    source: str
    origin: str
    low: float | None = None
    high: float | None = None
    upper_bound: float | None = None

    @property
    def uncertain(self) -> bool:
        return self.low is not None and self.high is not None and self.low < self.high

    def to_dict(self) -> dict[str, float | str | None]:
        out: dict[str, float | str | None] = {
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "origin": self.origin,
        }
        if self.uncertain:
            out["low"], out["high"] = self.low, self.high
        return out


@dataclass(frozen=True)
class Caveat:
    """A soft problem: a code for programs and a sentence for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Assumptions:
    """The resolved inputs of one estimate, plus labels (ids chosen) and warnings."""

    values: dict[str, Assumption]
    labels: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Caveat, ...] = ()

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str) -> Assumption:
        return self.values[name]

    def central(self) -> dict[str, float]:
        return {name: a.value for name, a in self.values.items()}
