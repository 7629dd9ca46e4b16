"""Tracked runs: run a command under the tracker, and read the runs back from the store."""

from __future__ import annotations

import csv
import io
import json
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from combien.errors import InputError
from combien.fields import OUTPUTS
from combien.measure.sensors import Device
from combien.results.bill import Bill
from combien.results.document import JSON, dumps, markdown_table, rich_table
from combien.store import Store
from combien.units import SECONDS_PER_HOUR, kwh_from_j, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

    from combien.resolve.spec import TrainingRun

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


def stored_bill(run: dict[str, Any]) -> Bill:
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


#: the lines of a bill that a measurement and an estimate both give
COMPARED = (
    "energy_kwh",
    "it_energy_kwh",
    "co2e_operational_kg",
    "co2e_embodied_kg",
    "co2e_total_kg",
    "water_onsite_l",
    "water_offsite_l",
    "cost_cloud_usd",
    "cost_energy_usd",
)


@dataclass(frozen=True)
class Comparison:
    """A measured run beside the estimate of the same run, line by line."""

    lines: dict[str, JSON]

    def to_dict(self) -> JSON:
        return {"schema": "combien.compare/1", "lines": dict(self.lines)}

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def rows(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for key, line in self.lines.items():
            unit, est = OUTPUTS[key].unit, line["estimated"]
            ratio = line["ratio"]
            out.append(
                (
                    OUTPUTS[key].label,
                    quantity(line["measured"], unit),  # type: ignore[arg-type]
                    quantity(est["value"], unit) if isinstance(est, dict) else "—",
                    f"{quantity(est['low'], unit)} – {quantity(est['high'], unit)}"
                    if isinstance(est, dict)
                    else "—",
                    f"{ratio:.2f}" if isinstance(ratio, float) else "—",
                )
            )
        return out

    def to_markdown(self) -> str:
        out = ["## combien — measured vs estimated", ""]
        return "\n".join(out + markdown_table(_COMPARE_HEADER, self.rows())) + "\n"

    def to_table(self) -> RenderableType:
        return rich_table("measured vs estimated", _COMPARE_HEADER, self.rows())


_COMPARE_HEADER = ("line", "measured", "estimated", "90% range", "measured ÷ estimated")


def compare(measured: Bill, estimated: Bill) -> Comparison:
    """Line by line: measured, estimated (with range), measured ÷ estimated, inside the range?"""
    lines: dict[str, JSON] = {}
    for key in COMPARED:
        m, e = measured.line(key), estimated.line(key)
        lines[key] = {
            "measured": m.value if m else None,
            "estimated": e.to_dict() if e else None,
            "ratio": (m.value / e.value) if m and e and e.value else None,
            "inside_range": (e.low <= m.value <= e.high) if m and e else None,
        }
    return Comparison(lines)


@dataclass(frozen=True)
class RunList:
    """Tracked runs, newest first: one summary row each (JSON: a list of rows)."""

    rows: list[dict[str, Any]]

    def to_dict(self) -> JSON:
        return {"runs": self.rows}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.rows, indent=indent)

    def text_rows(self) -> list[tuple[str, ...]]:
        import datetime as dt

        return [
            (
                r["id"],
                r["project"] or "",
                r["status"],
                dt.datetime.fromtimestamp(r["started_at"]).strftime("%Y-%m-%d %H:%M"),
                f"{r['duration_s']:.0f} s",
                quantity(r["energy_kwh"], "kWh"),
                quantity(r.get("co2e_kg"), "kg"),
                r["command"] or "",
            )
            for r in self.rows
        ]

    def to_markdown(self) -> str:
        out = [f"## runs ({len(self.rows)})", ""]
        return "\n".join(out + markdown_table(_RUNS_HEADER, self.text_rows(), left=(7,))) + "\n"

    def to_table(self) -> RenderableType:
        from rich.table import Table

        table = Table(title=f"runs ({len(self.rows)})", title_justify="left")
        for column in _RUNS_HEADER:
            table.add_column(column, overflow="ellipsis", no_wrap=column != "command")
        for row in self.text_rows():
            table.add_row(*row)
        return table


_RUNS_HEADER = ("id", "project", "status", "started", "duration", "energy (IT)", "CO2e", "command")


def estimate_for_run(run: dict[str, Any], spec: TrainingRun) -> Bill:
    """The estimate of a tracked run from a spec; its hardware and time default to the run's."""
    from combien.training.estimate import estimate

    fields = spec.model_dump(exclude_defaults=True)
    gpus = [d for d in run["devices"] if d["kind"] == "gpu"]
    for key, value in (run["options"] or {}).items():
        fields.setdefault(key, value)
    if gpus and not ({"chip_hours", "flop", "params", "tokens"} & set(fields)):
        fields["chip_hours"] = len(gpus) * run["duration_s"] / SECONDS_PER_HOUR
    return estimate(**fields)


__all__ = [
    "Comparison",
    "RunList",
    "compare",
    "export",
    "get_run",
    "stored_bill",
    "track_command",
]
