"""Renderers: a Bill as a rich table or markdown (JSON is Bill.to_json)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from combien.units import count, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

    from combien.assumptions import Assumption
    from combien.bill import Bill, Line

_ROWS: list[tuple[str, str, str]] = [
    ("Compute", "chip_hours", "h"),
    ("Wall-clock time", "wall_hours", "h"),
    ("Energy (facility)", "energy_kwh", "kWh"),
    ("Energy (IT)", "it_energy_kwh", "kWh"),
    ("CO2e operational", "co2e_operational_kg", "kg"),
    ("CO2e embodied", "co2e_embodied_kg", "kg"),
    ("CO2e total", "co2e_total_kg", "kg"),
    ("Water on-site", "water_onsite_l", "L"),
    ("Water off-site", "water_offsite_l", "L"),
    ("Water total", "water_total_l", "L"),
    ("Cost: cloud rental", "cost_cloud_usd", "USD"),
    ("Cost: ownership (amortised + energy)", "cost_ownership_usd", "USD"),
    ("Cost: energy", "cost_energy_usd", "USD"),
    ("Cost: hardware purchase", "cost_hardware_capex_usd", "USD"),
]


def _cells(line: Line | None, unit: str) -> tuple[str, str]:
    if line is None:
        return "—", "not computed"
    return quantity(line.value, unit), f"{quantity(line.low, unit)} – {quantity(line.high, unit)}"


def _rows(bill: Bill) -> Iterator[tuple[str, str, str]]:
    for label, attr, unit in _ROWS:
        line = getattr(bill, attr)
        if attr == "chip_hours":
            text = count(line.value) + " chip-h" if line else "—"
            span = f"{count(line.low)} – {count(line.high)}" if line else "not computed"
            yield label, text, span
            continue
        value, span = _cells(line, unit)
        yield label, value, span


_UNITLESS = {"parameters", "tokens", "count", "fraction", "×"}


def _input_value(a: Assumption) -> str:
    span = f" [{count(a.low)}–{count(a.high)}]" if a.uncertain else ""
    unit = "" if a.unit in _UNITLESS else f" {a.unit}"
    return f"{count(a.value)}{span}{unit}"


def _title(bill: Bill) -> str:
    labels = bill.labels
    parts = [labels.get(k) for k in ("model", "hardware", "location", "facility") if labels.get(k)]
    flop = f", {count(bill.flop)} FLOP" if bill.flop else ""
    return "combien — training bill: " + " · ".join(p for p in parts if p) + flop


def bill_table(bill: Bill, *, show_inputs: bool = True) -> RenderableType:
    """A rich renderable: the lines, then the inputs with their origin, then warnings."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=_title(bill), title_justify="left", show_lines=False)
    table.add_column("line")
    table.add_column("value", justify="right")
    table.add_column("90% range", justify="right")
    for label, value, span in _rows(bill):
        table.add_row(label, value, span)
    parts: list[RenderableType] = [table]
    if show_inputs:
        inputs = Table(title="inputs", title_justify="left")
        inputs.add_column("name", no_wrap=True, min_width=22)
        inputs.add_column("value", justify="right", no_wrap=True, min_width=16)
        inputs.add_column("origin", no_wrap=True, min_width=7)
        inputs.add_column("source", overflow="ellipsis", no_wrap=True, max_width=60)
        for name, a in bill.inputs.items():
            inputs.add_row(name, _input_value(a), a.origin, a.source)
        parts.append(inputs)
    for w in bill.warnings:
        parts.append(Text(f"! {w.message}", style="yellow"))
    return Group(*parts)


def bill_markdown(bill: Bill) -> str:
    """The bill as a markdown document (for papers, model cards, issues)."""
    out = [f"## {_title(bill)}", "", "| line | value | 90% range |", "| --- | ---: | ---: |"]
    out += [f"| {label} | {value} | {span} |" for label, value, span in _rows(bill)]
    out += [
        "",
        "### Inputs",
        "",
        "| name | value | origin | source |",
        "| --- | ---: | --- | --- |",
    ]
    for name, a in bill.inputs.items():
        source = a.source.replace("|", "/")
        out.append(f"| {name} | {_input_value(a)} | {a.origin} | {source} |")
    if bill.warnings:
        out += ["", "### Warnings", ""] + [f"- {w.message}" for w in bill.warnings]
    out.append("")
    out.append(
        f"Ranges: 5th–95th percentile of {bill.samples:,} Monte Carlo samples (seed {bill.seed})."
    )
    return "\n".join(out) + "\n"


def runs_table(rows: list[dict[str, Any]]) -> RenderableType:
    """Tracked runs, newest first."""
    import datetime as dt

    from rich.table import Table

    table = Table(title=f"runs ({len(rows)})", title_justify="left")
    for column in (
        "id",
        "project",
        "status",
        "started",
        "duration",
        "energy (IT)",
        "CO2e",
        "command",
    ):
        table.add_column(column, overflow="ellipsis", no_wrap=column != "command")
    for r in rows:
        started = dt.datetime.fromtimestamp(r["started_at"]).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            r["id"],
            r["project"] or "",
            r["status"],
            started,
            f"{r['duration_s']:.0f} s",
            quantity(r["energy_kwh"], "kWh"),
            quantity(r.get("co2e_kg"), "kg"),
            r["command"] or "",
        )
    return table


def compare_table(result: dict[str, Any]) -> RenderableType:
    """Measured vs estimated, line by line."""
    from rich.table import Table

    units = {"kwh": "kWh", "kg": "kg", "l": "L", "usd": "USD"}
    table = Table(title="measured vs estimated", title_justify="left")
    for column in ("line", "measured", "estimated", "90% range", "measured ÷ estimated"):
        table.add_column(column, justify="left" if column == "line" else "right")
    for name, line in result["lines"].items():
        unit = units[name.rsplit("_", 1)[-1]]
        est = line["estimated"]
        table.add_row(
            name,
            quantity(line["measured"], unit),
            quantity(est["value"], unit) if est else "—",
            f"{quantity(est['low'], unit)} – {quantity(est['high'], unit)}" if est else "—",
            f"{line['ratio']:.2f}" if line["ratio"] is not None else "—",
        )
    return table
