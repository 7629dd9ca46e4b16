"""Monte Carlo over uncertain inputs.

Each uncertain input is a (central, low, high) triple read as the median and the 90% interval of
a two-piece lognormal: below the median its log-spread is ln(central/low)/z95, above it
ln(high/central)/z95. P5, P50 and P95 of the samples are then low, central and high exactly, and
the distribution is skewed where the published interval is. Inputs bounded above (fractions such
as MFU) are clipped at their bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from combien.units import Z95


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


def stream(name: str, seed: int) -> np.random.Generator:
    """The random stream of one input: seeded by the seed and the input's name (its UTF-8
    bytes as one integer, the same in every process, unlike Python's salted `hash`)."""
    key = int.from_bytes(name.encode(), "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))


def normals(names: Sequence[str], samples: int, seed: int) -> np.ndarray:
    """One row of standard normals per name, each from the input's own stream: an input's
    draws depend on the seed and its name only, not on which other inputs are drawn (common
    random numbers: a run that adds an uncertain input keeps the draws of the others)."""
    out = np.empty((len(names), samples))
    for i, name in enumerate(names):
        stream(name, seed).standard_normal(out=out[i])
    return out


def draw(spreads: dict[str, Spread], samples: int, seed: int) -> dict[str, np.ndarray]:
    """Independent samples of every spread (deterministic for a seed): one row of standard
    normals per spread, each from its own stream (`normals`), transformed all at once."""
    if not spreads:
        return {}
    names = sorted(spreads)
    z = normals(names, samples, seed)
    rows = [spreads[n] for n in names]
    down = np.array([[np.log(s.central / s.low) / Z95 if s.low > 0 else 0.0] for s in rows])
    up = np.array([[np.log(s.high / s.central) / Z95] for s in rows])
    out = np.where(z < 0, down, up)
    np.multiply(z, out, out=out)
    np.exp(out, out=out)
    out *= np.array([[s.central] for s in rows])
    for i, s in enumerate(rows):
        if s.upper_bound is not None:
            np.minimum(out[i], s.upper_bound, out=out[i])
    return {name: out[i] for i, name in enumerate(names)}


def interval(values: Any) -> tuple[float, float]:
    """5th and 95th percentiles of samples (a scalar gives itself twice)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        return float(arr), float(arr)
    low, high = percentiles_5_95(arr[np.newaxis, :])
    return float(low[0]), float(high[0])


def percentiles_5_95(stack: np.ndarray, *, own: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """5th and 95th percentile of each row, interpolated linearly between order statistics
    (numpy's default method), from one sort of the whole stack (in place if the caller gives
    the stack away: `own`, which saves a copy of it)."""
    n = stack.shape[1]
    ordered = stack if own else stack.copy()
    ordered.sort(axis=1)
    out = []
    for q in (0.05, 0.95):
        rank = q * (n - 1)
        below = int(np.floor(rank))
        lower, upper = ordered[:, below], ordered[:, min(below + 1, n - 1)]
        out.append(lower + (rank - below) * (upper - lower))
    return out[0], out[1]


def propagate(
    chain: Callable[[Mapping[str, Any]], dict[str, Any]],
    central: Mapping[str, float],
    spreads: Mapping[str, Spread],
    samples: int,
    seed: int,
    same: Mapping[str, str] | None = None,
) -> dict[str, tuple[float, float, float]]:
    """Every output of `chain` as (value at the central inputs, P5, P95 over `samples` draws).
    `same` names inputs that take another's draws (name → the input it is), not their own.

    With `samples` 0 the chain runs once, at the central inputs, and P5 = P95 = the value. An
    output that some draws do not give (a share of water per litre where a draw uses none) has
    no range over the draws: it is left out, as the chain leaves out what it cannot compute.
    """
    point = chain(central)
    if samples == 0:
        return {k: (float(v), float(v), float(v)) for k, v in point.items()}
    inputs = draw(dict(spreads), samples, seed)
    for name, other in (same or {}).items():
        inputs[name] = inputs[other]
    drawn = chain({**central, **inputs})
    point = {k: v for k, v in point.items() if k in drawn}
    varying = [k for k in point if np.ndim(drawn[k]) > 0]
    result = {
        k: (float(point[k]), float(drawn[k]), float(drawn[k])) for k in point if k not in varying
    }
    if varying:
        stack = np.empty((len(varying), samples))
        for i, k in enumerate(varying):
            stack[i] = drawn[k]
        low, high = percentiles_5_95(stack, own=True)
        for i, k in enumerate(varying):
            result[k] = (float(point[k]), float(low[i]), float(high[i]))
    return result
