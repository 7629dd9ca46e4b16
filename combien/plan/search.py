"""The search: every configuration (hardware × chip count × placement) through the one chain at
once, on arrays, and the Pareto front of the results.

The chain (`engine.chain.evaluate`) takes floats or arrays alike: here each input is an array
with one element per configuration, gathered from the resolved parts (`space.py`), so a hundred
thousand configurations cost a few chain evaluations. Only central values are computed here;
the Monte Carlo ranges are the front's (`plan.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from combien.data import catalog
from combien.engine import evaluate as chain
from combien.plan.space import (
    Part,
    Placement,
    hardware_part,
    price_part,
    site_keys,
    site_part,
)

#: the objectives of a plan, each minimised: (name, output of the search)
OBJECTIVES = ("cost_usd", "co2e_kg", "water_l", "wall_hours")
#: the chain's output behind each objective (the cost depends on the placement)
_OUTPUT = {"co2e_kg": "co2e_total_kg", "water_l": "water_total_l", "wall_hours": "wall_hours"}


@dataclass(frozen=True)
class Excluded:
    """A (hardware, placement) pair, or a whole hardware, left out before the chain, and why."""

    code: str
    reason: str
    hardware: str
    placement: Placement | None = None


@dataclass
class Grid:
    """Every configuration evaluated: which hardware, chips and placement, and its objectives
    at central inputs (NaN where the catalog cannot say, e.g. a cost without a price)."""

    hardware: tuple[str, ...]
    placements: tuple[Placement, ...]
    hw: np.ndarray
    chips: np.ndarray
    place: np.ndarray
    values: dict[str, np.ndarray]
    excluded: list[Excluded] = field(default_factory=list)
    #: the training compute, as the resolver reads it (NaN when no hardware could run it)
    flop: float = float("nan")

    def __len__(self) -> int:
        return len(self.hw)

    def objectives(self, index: np.ndarray | None = None) -> np.ndarray:
        """The objectives of (some) configurations as an (n, 4) array."""
        cols = [self.values[o] if index is None else self.values[o][index] for o in OBJECTIVES]
        return np.column_stack(cols)


def evaluate_grid(
    work: Mapping[str, object],
    method: Mapping[str, object],
    hardware: Sequence[str],
    chip_counts: Sequence[float],
    placements: Sequence[Placement],
) -> Grid:
    """Resolve each part once, then run the chain over every configuration."""
    skip = site_keys() | {"price_usd_per_hour"}
    sites = {(p.location, p.facility): p for p in placements}
    site_parts = {key: site_part(method, *key) for key in sites}
    prices = {
        (h, p.provider, p.commitment): price_part(h, p.provider, str(p.commitment))
        for h in hardware
        for p in placements
        if not p.owned
    }
    grid = Grid(tuple(hardware), tuple(placements), *_empty(), values={})
    chunks: list[dict[str, np.ndarray]] = []
    for h_index, h in enumerate(hardware):
        parts = [hardware_part(work, h, c, skip) for c in chip_counts]
        broken = next((p.problem for p in parts if p.problem), "")
        if broken:
            grid.excluded.append(Excluded("unusable", broken, h))
            continue
        grid.flop = parts[0].values.get("flop", grid.flop)
        usable = []
        # a chip no one sells (a TPU: its price is Epoch AI's equivalent) is only rented
        sold = catalog.hardware().get(h).price_basis != "equivalent"
        for p_index, place in enumerate(placements):
            if place.owned and not sold:
                grid.excluded.append(Excluded("not-sold", f"{h} is not sold", h, place))
                continue
            price, why = (0.0, "") if place.owned else prices[(h, place.provider, place.commitment)]
            if price is None:
                code = "not-offered" if "rents no" in why else "no-commitment"
                grid.excluded.append(Excluded(code, why, h, place))
            else:
                usable.append((p_index, price))
        if usable:
            chunks.append(_evaluate(h_index, parts, chip_counts, usable, placements, site_parts))
    if chunks:
        grid.hw, grid.chips, grid.place = (
            np.concatenate([c.pop(k) for c in chunks]) for k in ("hw", "chips", "place")
        )
        grid.values = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return grid


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=int), np.zeros(0), np.zeros(0, dtype=int)


def _evaluate(
    h_index: int,
    parts: Sequence[Part],
    chip_counts: Sequence[float],
    usable: Sequence[tuple[int, float]],
    placements: Sequence[Placement],
    site_parts: Mapping[tuple[str, str | None], Part],
) -> dict[str, np.ndarray]:
    """The chain over one hardware's chip counts × its usable placements (chips vary slowest)."""
    n_place = len(usable)
    place = np.array([i for i, _ in usable])
    x: dict[str, np.ndarray] = {}
    for name in parts[0].values:
        x[name] = np.repeat([p.values.get(name, np.nan) for p in parts], n_place)
    sites = [site_parts[(placements[i].location, placements[i].facility)] for i in place]
    for name in sites[0].values:
        x[name] = np.tile([s.values[name] for s in sites], len(parts))
    owned = np.array([placements[i].owned for i in place])
    x["price_usd_per_hour"] = np.tile(np.where(owned, np.nan, [p for _, p in usable]), len(parts))
    out = chain(x)
    n = n_place * len(parts)
    cost = np.where(
        np.tile(owned, len(parts)),
        _column(out, "cost_ownership_usd", n),
        _column(out, "cost_cloud_usd", n),
    )
    result = {"cost_usd": cost}
    for objective, key in _OUTPUT.items():
        result[objective] = _column(out, key, n)
    for key in ("chip_hours", "energy_kwh"):
        result[key] = _column(out, key, n)
    result["hw"] = np.full(n, h_index)
    result["chips"] = np.repeat(np.asarray(chip_counts, dtype=float), n_place)
    result["place"] = np.tile(place, len(parts))
    return result


def _column(out: Mapping[str, object], key: str, n: int) -> np.ndarray:
    """An output of the chain as an array of n (NaN when the chain could not compute it)."""
    if key not in out:
        return np.full(n, np.nan)
    return np.broadcast_to(np.asarray(out[key], dtype=float), (n,)).copy()


def pareto(points: np.ndarray, chunk: int = 128, pivots: int = 32) -> np.ndarray:
    """Mask of the points no other point dominates (≤ in every column, < in one).

    First the points that one of a few strong points dominates are set aside (the strong
    points: the lowest sums of ranks); the rest are taken in lexicographic order, where no
    point can be dominated by a later one, each chunk checked against the front so far and
    against itself.
    """
    n = len(points)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    ranks = np.argsort(np.argsort(points, axis=0), axis=0).sum(axis=1)
    strong = points[np.argsort(ranks)[:pivots]]
    alive = np.concatenate([~_dominated(points[i : i + 4096], strong) for i in range(0, n, 4096)])
    survivors = np.flatnonzero(alive)
    order = survivors[np.lexsort(points[survivors].T[::-1])]
    front = np.empty((0, points.shape[1]))
    for start in range(0, len(order), chunk):
        idx = order[start : start + chunk]
        block = points[idx]
        alive = ~_dominated(block, front)
        idx, block = idx[alive], block[alive]
        keep = ~_dominated(block, block)
        mask[idx[keep]] = True
        front = np.vstack([front, block[keep]])
    return mask


def _dominated(candidates: np.ndarray, by: np.ndarray) -> np.ndarray:
    """For each candidate: does some row of `by` dominate it?"""
    if len(by) == 0:
        return np.zeros(len(candidates), dtype=bool)
    le = np.all(by[np.newaxis, :, :] <= candidates[:, np.newaxis, :], axis=2)
    lt = np.any(by[np.newaxis, :, :] < candidates[:, np.newaxis, :], axis=2)
    return np.any(le & lt, axis=1)
