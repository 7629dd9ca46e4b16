"""Speed of `combien plan` (printed, not asserted: these machines are shared and noisy).

Aim: at least 100,000 configurations per second in process, the Monte Carlo ranges computed for
the front only.

    python bench/plan.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from combien.data import catalog
from combien.plan.constraints import chip_counts
from combien.plan.plan import plan
from combien.plan.search import evaluate_grid, pareto
from combien.plan.space import Restrictions, placements

WORK = {"params": 70e9, "tokens": 15e12}
T = TypeVar("T")


def best_of(runs: int, job: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `runs` timings of job(), and its result."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    hardware = [h.id for h in catalog.hardware()]
    places = placements(Restrictions())
    chips = chip_counts(None)
    seconds, grid = best_of(5, lambda: evaluate_grid(WORK, WORK, hardware, chips, places))
    n = len(grid)
    print(
        f"search: {n:,} configurations ({len(hardware)} hardware × {len(chips)} chip counts × "
        f"{len(places)} placements, the unoffered left out) in {seconds * 1000:.0f} ms, parts "
        f"resolved included: {n / seconds:,.0f} configurations/s"
    )
    points = grid.objectives()
    ok = np.isfinite(points).all(axis=1) & (grid.values["wall_hours"] <= 120 * 24)
    seconds, mask = best_of(5, lambda: pareto(points[ok]))
    print(
        f"pareto front: {int(mask.sum())} of {int(ok.sum()):,} configurations within 120 days "
        f"in {seconds * 1000:.0f} ms"
    )
    seconds, result = best_of(3, lambda: plan(params="70B", tokens="15T", deadline="120d"))
    print(
        f"plan --params 70B --tokens 15T --deadline 120d: {seconds:.2f} s in all, "
        f"{len(result.options)} options with 10,000 Monte Carlo samples each"
    )


if __name__ == "__main__":
    main()
