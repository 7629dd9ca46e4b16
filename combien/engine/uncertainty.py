"""Monte Carlo over uncertain inputs.

Each uncertain input is a (central, low, high) triple read as the median and the 90% interval of
a two-piece lognormal: below the median its log-spread is ln(central/low)/z95, above it
ln(high/central)/z95. P5, P50 and P95 of the samples are then low, central and high exactly, and
the distribution is skewed where the published interval is. Inputs bounded above (fractions such
as MFU) are clipped at their bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

Z95 = NormalDist().inv_cdf(0.95)  # 1.6449: the 95th percentile of a standard normal


@dataclass(frozen=True)
class Spread:
    """An uncertain positive quantity: median `central`, 90% interval [low, high]."""

    central: float
    low: float
    high: float
    upper_bound: float | None = None

    def sample(self, normals: np.ndarray) -> np.ndarray:
        """Transform standard-normal draws into draws of this quantity."""
        down = np.log(self.central / self.low) / Z95 if self.low > 0 else 0.0
        up = np.log(self.high / self.central) / Z95
        out = self.central * np.exp(np.where(normals < 0, normals * down, normals * up))
        if self.upper_bound is not None:
            np.minimum(out, self.upper_bound, out=out)
        return out


def draw(spreads: dict[str, Spread], samples: int, seed: int) -> dict[str, np.ndarray]:
    """Independent samples of every spread, from one seeded generator (deterministic)."""
    rng = np.random.default_rng(seed)
    normals = rng.standard_normal((len(spreads), samples))
    return {
        name: spread.sample(normals[i]) for i, (name, spread) in enumerate(sorted(spreads.items()))
    }


def interval(values: Any) -> tuple[float, float]:
    """5th and 95th percentiles of samples (a scalar gives itself twice)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        return float(arr), float(arr)
    low, high = percentiles_5_95(arr[np.newaxis, :])
    return float(low[0]), float(high[0])


def percentiles_5_95(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5th and 95th percentile of each row, interpolated linearly between order statistics
    (numpy's default method), from one partial sort of the whole stack."""
    n = stack.shape[1]
    ranks = [q * (n - 1) for q in (0.05, 0.95)]
    below = [int(np.floor(r)) for r in ranks]
    kth = sorted({k for b in below for k in (b, min(b + 1, n - 1))})
    part = np.partition(stack, kth, axis=1)
    out = []
    for rank, b in zip(ranks, below, strict=True):
        lower, upper = part[:, b], part[:, min(b + 1, n - 1)]
        out.append(lower + (rank - b) * (upper - lower))
    return out[0], out[1]


def propagate(
    chain: Callable[[Mapping[str, Any]], dict[str, Any]],
    central: Mapping[str, float],
    spreads: Mapping[str, Spread],
    samples: int,
    seed: int,
) -> dict[str, tuple[float, float, float]]:
    """Every output of `chain` as (value at the central inputs, P5, P95 over `samples` draws).

    With `samples` 0 the chain runs once, at the central inputs, and P5 = P95 = the value.
    """
    point = chain(central)
    if samples == 0:
        return {k: (float(v), float(v), float(v)) for k, v in point.items()}
    drawn = chain({**central, **draw(dict(spreads), samples, seed)})
    varying = [k for k in point if np.ndim(drawn[k]) > 0]
    result = {
        k: (float(point[k]), float(drawn[k]), float(drawn[k])) for k in point if k not in varying
    }
    if varying:
        low, high = percentiles_5_95(np.vstack([drawn[k] for k in varying]))
        for i, k in enumerate(varying):
            result[k] = (float(point[k]), float(low[i]), float(high[i]))
    return result
