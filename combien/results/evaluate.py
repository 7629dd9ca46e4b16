"""The one Monte Carlo driver: resolved Assumptions → the one chain of equations, at the central
inputs and over seeded samples of every uncertain one → Lines (value, P5, P95)."""

from __future__ import annotations

from dataclasses import dataclass

from combien.engine import evaluate as chain
from combien.engine.uncertainty import Spread, propagate
from combien.provenance import Assumptions
from combien.results.bill import Line


@dataclass(frozen=True)
class Evaluated:
    """Every quantity the chain computed: its central value and, as a Line, its 90% range."""

    central: dict[str, float]
    lines: dict[str, Line]


def evaluate(assumptions: Assumptions, *, samples: int, seed: int) -> Evaluated:
    """Run the chain once at the central inputs and over `samples` draws (0: central only,
    each line's range is then its value)."""
    # an input that is another (a dense model's active size is its size) takes its draws
    spreads: dict[str, Spread] = {}
    first: dict[int, str] = {}
    same: dict[str, str] = {}
    for name, a in assumptions.values.items():
        if not a.uncertain:
            continue
        if id(a) in first:
            same[name] = first[id(a)]
            continue
        first[id(a)] = name
        spreads[name] = Spread(a.value, a.low, a.high, a.upper_bound)  # type: ignore[arg-type]
    result = propagate(chain, assumptions.central(), spreads, samples, seed, same)
    return Evaluated(
        {k: v for k, (v, _, _) in result.items()},
        {k: Line(*triple) for k, triple in result.items()},
    )
