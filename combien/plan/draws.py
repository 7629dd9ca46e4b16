"""Monte Carlo draws shared by several runs (common random numbers).

`combien.engine.uncertainty.normals` gives each uncertain input a row of standard normals from
a stream of its own, seeded by the seed and the input's name. Here the rows are drawn once over
the union of the runs' uncertain inputs and each run transforms the rows of its own inputs, so
that an input two runs share (the MFU of the same chip, the server overhead) takes the same draw
in both: the difference between the runs is then sampled without the noise of independent draws.
Each run's draws are exactly those of its own estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from combien.engine import evaluate as chain
from combien.engine.uncertainty import Spread, normals, percentiles_5_95
from combien.provenance import Assumptions
from combien.results.bill import Line


@dataclass(frozen=True)
class Sampled:
    """One run through the chain: every output at the central inputs, and over the draws
    (an output that no uncertain input reaches is a scalar in `drawn`)."""

    central: dict[str, float]
    drawn: dict[str, Any]

    def samples(self, key: str, n: int) -> np.ndarray:
        """The draws of an output as an array of n (a constant repeated)."""
        return np.broadcast_to(np.asarray(self.drawn[key], dtype=float), (n,))

    def line(self, key: str, n: int) -> Line:
        low, high = percentiles_5_95(self.samples(key, n)[np.newaxis, :])
        return Line(self.central[key], float(low[0]), float(high[0]))


def spreads(assumptions: Assumptions) -> dict[str, Spread]:
    """The uncertain inputs of a run as spreads (as the one Monte Carlo driver reads them)."""
    return {
        name: Spread(a.value, a.low, a.high, a.upper_bound)  # type: ignore[arg-type]
        for name, a in assumptions.values.items()
        if a.uncertain
    }


def sample_runs(runs: Sequence[Assumptions], samples: int, seed: int) -> list[Sampled]:
    """Each run's outputs at its central inputs and over draws common to all the runs."""
    each = [spreads(a) for a in runs]
    names = sorted(set().union(*each))
    rows = normals(names, samples, seed)
    row = {name: rows[i] for i, name in enumerate(names)}
    out = []
    for assumptions, own in zip(runs, each, strict=True):
        central = assumptions.central()
        drawn = {name: spread.sample(row[name]) for name, spread in own.items()}
        point = {k: float(v) for k, v in chain(central).items()}
        out.append(Sampled(point, chain({**central, **drawn})))
    return out
