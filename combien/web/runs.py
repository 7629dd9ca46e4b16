"""Runs for the pages and the API: a run found by id or prefix, its power per device."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request

from combien.results.document import JSON
from combien.web.errors import NotFound
from combien.web.state import store_of


def find_run(request: Request, run_id: str) -> dict[str, Any]:
    store = store_of(request)
    found = store.run(run_id) if run_id else None
    if found is None:
        raise NotFound(f"no run {run_id!r} in the store (or the prefix is ambiguous)")
    return found


def power_document(run: dict[str, Any], samples: list[dict[str, Any]]) -> JSON:
    """A run's status, energy so far and, per device, its average power between samples (W)."""
    by_device: dict[str, list[tuple[float, float]]] = {}
    for sample in samples:
        if sample["t"] is None or sample["energy_j"] is None:  # damaged in the store
            continue
        by_device.setdefault(f"{sample['node']}/{sample['key']}", []).append(
            (float(sample["t"]), float(sample["energy_j"]))
        )
    series: dict[str, list[list[float]]] = {}
    for device, points in by_device.items():
        series[device] = [
            [t1, (e1 - e0) / (t1 - t0)]
            for (t0, e0), (t1, e1) in itertools.pairwise(points)
            if t1 > t0 and e1 >= e0
        ]
    return {
        "id": run["id"],
        "status": run["status"],
        "duration_s": run["duration_s"],
        "energy_j": run["energy_j"],
        "samples": len(samples),
        "power_w": series,
    }
