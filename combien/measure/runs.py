"""Tracked runs: run a command under the tracker, and read the runs back from the store."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from combien.errors import InputError
from combien.fields import OUTPUTS
from combien.measure.command import track_command
from combien.measure.sensors import Device
from combien.results.bill import Bill
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.store import Store
from combien.units import SECONDS_PER_HOUR, kwh_from_j, quantity, ratio, seconds

if TYPE_CHECKING:
    from rich.console import RenderableType

    from combien.resolve.spec import TrainingRun


def printable(text: str | None) -> str:
    """Stored text made safe to print: control characters (terminal escapes) shown as
    `\\xNN`, nothing else changed (markup is not interpreted where this is printed)."""
    if not text:
        return ""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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
        "notes": [f"damaged in the store: {problem}" for problem in run.get("problems") or ()],
    }
    return measured_bill(
        run["options"] or {}, devices, run["duration_s"], run=info, started_at=run["started_at"]
    )


def get_run(store: Store, run_id: str) -> dict[str, Any]:
    run = store.run(run_id)
    if run is None:
        raise InputError(
            f"no run {run_id!r} in {store.path} (or the prefix is ambiguous) — "
            "see `combien runs list`"
        )
    return run


def summary_row(run: dict[str, Any]) -> dict[str, Any]:
    """A run's summary: id, project, status, times, energy, and its bill's totals if finished."""
    row = {
        "id": run["id"],
        "project": run["project"],
        "status": run["status"],
        "started_at": run["started_at"],
        "duration_s": run["duration_s"],
        "command": run["command"],
        "host": run["host"],
        "energy_kwh": kwh_from_j(run["energy_j"]) if run["energy_j"] is not None else None,
    }
    for key in ("facility_energy_kwh", "co2e_kg", "water_l"):
        if run.get(key) is not None:
            row[key] = run[key]
    if run.get("problems"):
        row["problems"] = list(run["problems"])
    return row


def summary_rows(store: Store, limit: int | None = 1000, **filters: Any) -> list[dict[str, Any]]:
    """One summary per run, newest first (`filters`: those of `Store.iter_runs`)."""
    return [summary_row(run) for run in store.iter_runs(limit, **filters)]


#: the first characters that make a spreadsheet read a cell as a formula
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run: text starting like a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


#: the columns of `runs export --format csv`
EXPORT_COLUMNS = (
    "id",
    "project",
    "status",
    "started_at",
    "duration_s",
    "command",
    "host",
    "energy_kwh",
    "facility_energy_kwh",
    "co2e_kg",
    "water_l",
    "problems",
)
SAMPLE_COLUMNS = ("t", "node", "key", "energy_j")


def export(store: Store, fmt: str, run_id: str | None = None, out: Any = None) -> str:
    """Every run (or one run's samples) as CSV or JSON, streamed to `out` (a text file) as it
    is read; with no `out`, returned as a string."""
    columns: tuple[str, ...]
    if run_id is not None:
        rows: Iterable[dict[str, Any]] = store.iter_samples(get_run(store, run_id)["id"])
        columns = SAMPLE_COLUMNS
    else:
        rows = (summary_row(run) for run in store.iter_runs(None))
        columns = EXPORT_COLUMNS
    target = out if out is not None else io.StringIO()
    if fmt == "json":
        for chunk in _json_array(rows):
            target.write(chunk)
    else:
        writer = csv.DictWriter(target, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(value) for key, value in row.items()})
    return target.getvalue() if out is None else ""


def _json_array(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n  " + json.dumps(row)
    yield "\n]\n"


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
            share = line["ratio"]
            out.append(
                (
                    OUTPUTS[key].label,
                    quantity(line["measured"], unit),  # type: ignore[arg-type]
                    quantity(est["value"], unit) if isinstance(est, dict) else "—",
                    f"{quantity(est['low'], unit)} – {quantity(est['high'], unit)}"
                    if isinstance(est, dict)
                    else "—",
                    ratio(share) if isinstance(share, float) else "—",
                )
            )
        return out

    def to_markdown(self) -> str:
        out = ["## combien — measured vs estimated", ""]
        return "\n".join(out + markdown_table(_COMPARE_HEADER, self.rows())) + "\n"

    def to_table(self) -> RenderableType:
        # rows of several lines where 80 columns need them: a range wraps between its two ends
        return rich_table("measured vs estimated", _COMPARE_HEADER, self.rows(), show_lines=True)

    def to_csv(self) -> str:
        """One row per line: measured, estimated with its range, measured ÷ estimated."""
        none = dict.fromkeys(("value", "low", "high"))  # a line without an estimate: same columns
        return records_csv(
            [
                {"line": key, **line, "estimated": line["estimated"] or none}
                for key, line in self.lines.items()
            ]
        )


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
                printable(r["id"]),
                printable(r["project"]),
                r["status"] + (" (damaged)" if r.get("problems") else ""),
                dt.datetime.fromtimestamp(r["started_at"]).strftime("%Y-%m-%d %H:%M"),
                seconds(r["duration_s"]),
                quantity(r["energy_kwh"], "kWh") if r["energy_kwh"] is not None else "?",
                quantity(r.get("co2e_kg"), "kg"),
                printable(r["command"]),
            )
            for r in self.rows
        ]

    def to_markdown(self) -> str:
        out = [f"## runs ({len(self.rows)})", ""]
        return "\n".join(out + markdown_table(_RUNS_HEADER, self.text_rows(), left=(7,))) + "\n"

    def to_table(self) -> RenderableType:
        from rich.markup import escape

        # a terminal shows the id's first 8 characters, enough for `runs show` (a prefix);
        # stored text is never markup (an imported run's id is any text too)
        rows: list[tuple[str, ...]] = [
            (escape(row[0][:ID_SHOWN]), *(escape(cell) for cell in row[1:]))
            for row in self.text_rows()
        ]
        header: tuple[str, ...] = _RUNS_HEADER
        title = f"runs ({len(self.rows)})"
        if not any(r["project"] for r in self.rows):  # no run names a project: no column
            header, rows = header[:1] + header[2:], [(r[0], *r[2:]) for r in rows]
        numeric_from = header.index("duration")
        left = (header.index("command"),)
        return rich_table(title, header, rows, numeric_from=numeric_from, compact=True, left=left)


#: the characters of a run's id a terminal table shows (`runs show` and `compare` take a prefix)
ID_SHOWN = 8


_RUNS_HEADER = ("id", "project", "status", "started", "duration", "energy (IT)", "CO2e", "command")


def estimate_for_run(run: dict[str, Any], spec: TrainingRun) -> Bill:
    """The estimate of a tracked run from a spec; its hardware and time default to the run's."""
    from combien.training.estimate import estimate

    fields: dict[str, Any] = spec.values()
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
