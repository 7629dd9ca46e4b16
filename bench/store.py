"""The tracker and its store at scale: `progress()` over a month-long run, and the store's
listing, lookup and export at 100,000 runs.

    python bench/store.py [RUNS]

- progress: a run replayed on a ManualClock, its counters read every 5 s (the default flush)
  with progress reported at each reading, for 30 days (518,400 readings); the time of one
  `progress()` call is sampled after 1 hour, 1 day, 10 days and 30 days. Flat means constant
  time per call.
- store: RUNS finished runs with their bills (~9 KB each, as a real bill) written straight into
  a fresh store, then `runs list` (first page, a project's page, a page 90% down), `runs show`
  by prefix and `runs export` (CSV, every run), each timed in process; each must stay
  interactive (well under a second for a page, seconds for the whole export).
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from combien.measure.accounting import Accounting
from combien.measure.runs import export, summary_rows
from combien.store import Store

DAY_S = 86_400
READ_EVERY_S = 5


def bench_progress() -> None:
    accounting = Accounting(total=30 * DAY_S)
    marks = {3600: "1 hour", DAY_S: "1 day", 10 * DAY_S: "10 days", 30 * DAY_S: "30 days"}
    print(f"{'progress() after':>18}{'per call':>14}")
    for t in range(READ_EVERY_S, 30 * DAY_S + 1, READ_EVERY_S):
        accounting.progress(t)
        accounting.pair(float(t), 100.0 * t)
        if t in marks:
            calls = 2000
            start = time.perf_counter()
            for _ in range(calls):
                accounting.progress(t)
                accounting.forecast()
            per_call_us = (time.perf_counter() - start) / calls * 1e6
            print(f"{marks[t]:>18}{per_call_us:>11.1f} µs")


def fill(store: Store, runs: int) -> None:
    bill = json.dumps(
        {
            "schema": "combien.bill/1",
            "padding": "x" * 9000,
            "energy_kwh": {"value": 1.0},
            "co2e_kg": {"total": {"value": 0.1}},
            "water_l": {"total": {"value": 2.0}},
        }
    )
    rows = [
        (
            f"{i:012x}",
            f"project-{i % 20}",
            "python train.py",
            "finished",
            1.7e9 + 60 * i,
            1.7e9 + 60 * i + 30,
            1.7e9 + 60 * i + 30,
            30.0,
            1,
            "bench",
            "process",
            5.0,
            "{}",
            bill,
            1000.0 * i,
            1.0,
            0.1,
            2.0,
        )
        for i in range(runs)
    ]
    with store._tx() as db:
        db.executemany(
            "INSERT INTO runs (id, project, command, status, started_at, ended_at, last_seen, "
            "duration_s, pid, host, scope, flush_s, options, bill, energy_j, "
            "facility_energy_kwh, co2e_kg, water_l) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def timed(label: str, action: object) -> None:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:>34}{elapsed * 1000:>10.1f} ms   ({result})")


def bench_store(runs: int) -> None:
    path = Path(tempfile.mkdtemp()) / "runs.db"
    store = Store(path)
    start = time.perf_counter()
    fill(store, runs)
    print(
        f"\n{runs:,} runs written in {time.perf_counter() - start:.1f} s "
        f"({os.path.getsize(path) / 1e6:.0f} MB)"
    )
    reader = Store(path, read_only=True)
    timed("runs list (newest 50)", lambda: len(summary_rows(reader, 50)))
    timed("runs list --project (50)", lambda: len(summary_rows(reader, 50, project="project-7")))
    timed(
        "runs list --offset 90% (50)", lambda: len(summary_rows(reader, 50, offset=runs * 9 // 10))
    )
    timed(
        "runs list --before (50)",
        lambda: len(summary_rows(reader, 50, before=1.7e9 + 60 * runs / 2)),
    )
    timed("runs show PREFIX", lambda: reader.run(f"{runs // 3:012x}")["id"])  # type: ignore[index]
    timed(
        "runs export --format csv (all)",
        lambda: len(export(reader, "csv", out=io.StringIO()) or "") or runs,
    )


if __name__ == "__main__":
    bench_progress()
    bench_store(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
