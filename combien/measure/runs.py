"""Tracked runs: run a command under the tracker, and read the runs back from the store."""

from __future__ import annotations

import csv
import io
import json
import shlex
import signal
import subprocess
import sys
from typing import Any

from combien.errors import InputError
from combien.measure.sensors import Device
from combien.store import Store
from combien.units import SECONDS_PER_HOUR, kwh_from_j

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def track_command(command: list[str], **options: Any) -> tuple[int, Any]:
    """Run `command` under a Tracker; forward signals; return (its exit code, the bill).

    Exit code 127 (and no run) when the command cannot be found, 126 when it cannot be run.
    """
    from combien.measure.tracker import Tracker

    if not command:
        raise InputError("track: give a command after --, e.g. combien track -- python train.py")
    tracker = Tracker(command=shlex.join(command), **options)  # bad options fail here
    try:
        proc = subprocess.Popen(command)
    except FileNotFoundError:
        sys.stderr.write(f"combien: error: command not found: {command[0]}\n")
        return 127, None
    except PermissionError:
        sys.stderr.write(f"combien: error: permission denied: {command[0]}\n")
        return 126, None
    tracker.pid = proc.pid
    previous = {}
    for sig in FORWARDED:
        previous[sig] = signal.signal(sig, lambda s, _f: proc.send_signal(s))
    try:
        tracker.start()
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    status = "finished" if code == 0 else "interrupted" if code < 0 else "failed"
    bill = tracker.stop(status)
    return (128 - code if code < 0 else code), bill


def stored_bill(run: dict[str, Any]) -> Any:
    """The bill of a stored run: the one written at its end, else rebuilt from its devices."""
    from combien.measure.measured import measured_bill

    devices = [
        (Device(d["key"], d["kind"], d["name"], d["method"], d["node"]), d["energy_j"])
        for d in run["devices"]
    ]
    info = {
        "id": run["id"],
        "project": run["project"],
        "status": run["status"],
        "duration_s": run["duration_s"],
        "scope": run["scope"],
        "nodes": [
            {
                "node": n,
                "energy_kwh": sum(
                    kwh_from_j(d["energy_j"]) for d in run["devices"] if d["node"] == n
                ),
            }
            for n in sorted({d["node"] for d in run["devices"]})
        ],
        "devices": [
            {
                "node": d.node,
                "key": d.key,
                "kind": d.kind,
                "name": d.name,
                "energy_kwh": kwh_from_j(e),
                "method": d.method,
            }
            for d, e in devices
        ],
        "forecast": run["forecast"],
        "events": run["events"],
        "phases": run["phases"],
    }
    return measured_bill(run["options"] or {}, devices, run["duration_s"], run=info)


def get_run(store: Store, run_id: str) -> dict[str, Any]:
    run = store.run(run_id)
    if run is None:
        raise InputError(
            f"no run {run_id!r} in {store.path} (or the prefix is ambiguous) — "
            "see `combien runs list`"
        )
    return run


def summary_rows(store: Store, limit: int = 1000) -> list[dict[str, Any]]:
    """One row per run: id, project, status, times, energy, and the bill's totals if finished."""
    rows = []
    for run in store.runs(limit):
        bill = json.loads(run["bill"]) if run["bill"] else None
        row = {
            "id": run["id"],
            "project": run["project"],
            "status": run["status"],
            "started_at": run["started_at"],
            "duration_s": run["duration_s"],
            "command": run["command"],
            "host": run["host"],
            "energy_kwh": kwh_from_j(run["energy_j"] or 0.0),
        }
        if bill:
            row["facility_energy_kwh"] = (bill.get("energy_kwh") or {}).get("value")
            row["co2e_kg"] = ((bill.get("co2e_kg") or {}).get("total") or {}).get("value")
            row["water_l"] = ((bill.get("water_l") or {}).get("total") or {}).get("value")
        rows.append(row)
    return rows


def export(store: Store, fmt: str, run_id: str | None = None) -> str:
    """Runs (or one run's samples) as CSV or JSON."""
    rows = store.samples(get_run(store, run_id)["id"]) if run_id else summary_rows(store)
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    out = io.StringIO()
    fields = list(dict.fromkeys(k for row in rows for k in row)) or ["id"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


_COMPARED = [
    ("energy_kwh", lambda b: b.energy_kwh),
    ("it_energy_kwh", lambda b: b.it_energy_kwh),
    ("co2e_operational_kg", lambda b: b.co2e_operational_kg),
    ("co2e_embodied_kg", lambda b: b.co2e_embodied_kg),
    ("co2e_total_kg", lambda b: b.co2e_total_kg),
    ("water_onsite_l", lambda b: b.water_onsite_l),
    ("water_offsite_l", lambda b: b.water_offsite_l),
    ("cost_cloud_usd", lambda b: b.cost_cloud_usd),
    ("cost_energy_usd", lambda b: b.cost_energy_usd),
]


def compare(measured: Any, estimated: Any) -> dict[str, Any]:
    """Line by line: measured, estimated (with range), measured ÷ estimated, inside the range?"""
    lines = {}
    for name, get in _COMPARED:
        m, e = get(measured), get(estimated)
        lines[name] = {
            "measured": m.value if m else None,
            "estimated": e.to_dict() if e else None,
            "ratio": (m.value / e.value) if m and e and e.value else None,
            "inside_range": (e.low <= m.value <= e.high) if m and e else None,
        }
    return {"schema": "combien.compare/1", "lines": lines}


def estimate_for_run(run: dict[str, Any], spec: Any) -> Any:
    """The estimate of a tracked run from a spec; its hardware and time default to the run's."""
    from combien.training.estimate import estimate

    fields = spec.model_dump(exclude_defaults=True)
    gpus = [d for d in run["devices"] if d["kind"] == "gpu"]
    for key, value in (run["options"] or {}).items():
        fields.setdefault(key, value)
    if gpus and not ({"chip_hours", "flop", "params", "tokens"} & set(fields)):
        fields["chip_hours"] = len(gpus) * run["duration_s"] / SECONDS_PER_HOUR
    return estimate(**fields)


__all__ = ["compare", "export", "get_run", "stored_bill", "track_command"]
