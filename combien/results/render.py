"""Renderers: a Bill as a rich table or markdown (JSON is Bill.to_json)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from combien.units import count, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

    from combien.provenance import Assumption
    from combien.results.bill import Bill, Line

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
        parts.append(Text("inputs (sources in full: --format markdown or json)", style="italic"))
        width = max(map(len, bill.inputs), default=0)
        for name, a in bill.inputs.items():
            line = Text.assemble(
                f"  {name:<{width}}  ",
                (_input_value(a), "bold"),
                (f"  {a.origin}: {a.source}", "dim"),
            )
            line.no_wrap, line.overflow = True, "ellipsis"
            parts.append(line)
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


_INFER_ROWS: list[tuple[str, str, str]] = [
    ("Energy (facility)", "energy_kwh", "kWh"),
    ("CO2e (operational + embodied)", "co2e_total_kg", "kg"),
    ("Water (on-site + off-site)", "water_total_l", "L"),
    ("Cost", "cost_usd", "USD"),
]


def inference_rows(bill: Any) -> list[tuple[str, ...]]:
    """(line, per request, per 1,000, per day, per year), each 'value [low–high]'."""
    blocks = [bill.per_request, bill.scaled(1000), bill.per_day(), bill.per_year()]
    rows = []
    for label, key, unit in _INFER_ROWS:
        cells = []
        for block in blocks:
            line = block.get(key) if block else None
            cells.append(
                f"{quantity(line.value, unit)} [{quantity(line.low, unit)}–"
                f"{quantity(line.high, unit)}]"
                if line
                else "—"
            )
        rows.append((label, *cells))
    return rows


def _serving_text(bill: Any) -> str:
    s = bill.serving
    parts = []
    if "gpus_per_replica" in s:
        parts.append(
            f"{s['gpus_per_replica']} × {s['hardware']} per replica "
            f"({s['replica_memory_gb']:,.0f} GB)"
        )
    if "tokens_per_s_per_replica" in s:
        parts.append(f"{s['tokens_per_s_per_replica']:,.0f} output tokens/s per replica")
    if s.get("replicas"):
        parts.append(
            f"{s['replicas']:,} replicas = {s['gpus_total']:,} accelerators for "
            f"{count(bill.requests_per_day)} requests/day"
        )
    b = bill.requests_per_500ml
    parts.append(f"{b.value:,.1f} requests per 500 mL of water [{b.low:,.1f}–{b.high:,.1f}]")
    return "; ".join(parts)


def inference_table(bill: Any) -> RenderableType:
    """The inference bill as rich renderables."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    labels = " · ".join(
        v for k, v in bill.labels.items() if k in ("model", "hardware", "location", "facility")
    )
    table = Table(title=f"combien — serving bill: {labels}", title_justify="left")
    for column in ("line", "per request", "per 1,000 requests", "per day", "per year"):
        table.add_column(column, justify="left" if column == "line" else "right")
    for row in inference_rows(bill):
        table.add_row(*row)
    parts: list[RenderableType] = [table, Text(_serving_text(bill))]
    parts += [Text(f"! {w.message}", style="yellow") for w in bill.warnings]
    return Group(*parts)


def inference_markdown(bill: Any) -> str:
    labels = " · ".join(bill.labels.values())
    out = [
        f"## combien — serving bill: {labels}",
        "",
        "| line | per request | per 1,000 requests | per day | per year |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    out += ["| " + " | ".join(row) + " |" for row in inference_rows(bill)]
    out += ["", _serving_text(bill), ""]
    out += [f"- {w.message}" for w in bill.warnings]
    return "\n".join(out) + "\n"


_LIFE_UNITS = {"energy_kwh": "kWh", "co2e_kg": "kg", "water_l": "L", "cost_usd": "USD"}


def lifecycle_rows(result: Any) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for row in result.rows():
        unit = _LIFE_UNITS[row["quantity"]]

        def cell(line: dict[str, float] | None, unit: str = unit) -> str:
            return quantity(line["value"], unit) if line else "—"

        day = row.get("serving_overtakes_training_day")
        when = f"day {day['value']:,.0f} [{day['low']:,.0f}–{day['high']:,.0f}]" if day else "—"
        rows.append(
            (
                row["quantity"],
                cell(row["training"]),
                cell(row["serving_per_day"]),
                cell(row.get("serving")),
                cell(row.get("total")),
                when,
            )
        )
    return rows


_LIFE_HEADER = (
    "quantity",
    "training",
    "serving per day",
    "serving",
    "total",
    "serving overtakes training",
)


def lifecycle_table(result: Any) -> RenderableType:
    from rich.table import Table

    table = Table(
        title=f"combien — a model's life: training + {result.months:g} months of "
        f"serving ({count(result.serving.requests_per_day)} requests/day)",
        title_justify="left",
    )
    for column in _LIFE_HEADER:
        table.add_column(column, justify="left" if column == "quantity" else "right")
    for row in lifecycle_rows(result):
        table.add_row(*row)
    return table


def lifecycle_markdown(result: Any) -> str:
    out = [
        f"## combien — training + {result.months:g} months of serving",
        "",
        "| " + " | ".join(_LIFE_HEADER) + " |",
        "| --- |" + " ---: |" * 5,
    ]
    out += ["| " + " | ".join(row) + " |" for row in lifecycle_rows(result)]
    return "\n".join(out) + "\n"


def trends_rows(result: Any) -> list[tuple[str, ...]]:
    data = result.to_dict()
    rows: list[tuple[str, ...]] = []
    for label, key in (
        ("training compute", "compute_growth_per_year"),
        ("cost (ownership)", "cost_growth_per_year"),
        ("cost (cloud)", "cost_growth_per_year_cloud"),
    ):
        g = data[key]
        rows.append(
            (
                label,
                f"×{g['value']:.2f}",
                f"{g['low']:.2f}–{g['high']:.2f}",
                f"{g['doubling_months']:.1f}",
                str(g["n"]),
            )
        )
    return rows


def crossing_rows(result: Any) -> list[tuple[str, ...]]:
    data = result.to_dict()
    rows: list[tuple[str, ...]] = []
    for key in data["crossings"]:
        own, cloud = data["crossings"][key], data["crossings_cloud"][key]
        rows.append(
            (
                quantity(float(key), "USD"),
                f"{own['value']:.1f} [{own['low']:.1f}–{own['high']:.1f}]",
                f"{cloud['value']:.1f} [{cloud['low']:.1f}–{cloud['high']:.1f}]",
            )
        )
    return rows


_GROWTH_HEADER = ("trend", "growth per year", "90% CI", "doubling (months)", "models")
_CROSS_HEADER = ("largest run costs", "year (ownership)", "year (cloud)")


def trends_table(result: Any) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    end = f"–{result.until:g}" if result.until else ""
    growth = Table(
        title=f"combien — frontier trends since {result.since}{end}", title_justify="left"
    )
    for column in _GROWTH_HEADER:
        growth.add_column(column)
    for row in trends_rows(result):
        growth.add_row(*row)
    top = result.largest("cost_ownership_usd")
    cross = Table(
        title=f"when the largest run ({top['id']}, {quantity(top['cost_usd'], 'USD')}), "
        "growing at the fitted rate, crosses",
        title_justify="left",
    )
    for column in _CROSS_HEADER:
        cross.add_column(column)
    for row in crossing_rows(result):
        cross.add_row(*row)
    note = Text(result.to_dict()["method"]["selection"], style="dim")
    return Group(growth, cross, note)


def trends_markdown(result: Any) -> str:
    out = [
        f"## combien — frontier trends since {result.since}",
        "",
        "| " + " | ".join(_GROWTH_HEADER) + " |",
        "|" + " --- |" * len(_GROWTH_HEADER),
    ]
    out += ["| " + " | ".join(r) + " |" for r in trends_rows(result)]
    out += ["", "| " + " | ".join(_CROSS_HEADER) + " |", "|" + " --- |" * len(_CROSS_HEADER)]
    out += ["| " + " | ".join(r) + " |" for r in crossing_rows(result)]
    return "\n".join(out) + "\n"


def _claim_value(c: Any) -> str:
    def fmt(x: float) -> str:
        return f"{x:.3g}" if abs(x) < 1e4 else count(x)

    span = "" if c.low == c.high else f" [{fmt(c.low)}–{fmt(c.high)}]"
    return f"{fmt(c.value)}{span} {c.unit}"


def claims_table(claims: list[Any]) -> RenderableType:
    from rich.table import Table

    table = Table(
        title="combien — the article's claims, recomputed", title_justify="left", show_lines=True
    )
    for column in ("id", "the article says", "combien computes", "verdict", "why"):
        table.add_column(column, overflow="fold")
    colours = {
        "consistent": "green",
        "partly consistent": "yellow",
        "not consistent": "red",
        "checked fact": "cyan",
    }
    for c in claims:
        table.add_row(
            c.id,
            c.claim,
            _claim_value(c),
            f"[{colours.get(c.verdict, 'white')}]{c.verdict}[/]",
            c.reason,
        )
    return table


def claims_markdown(claims: list[Any]) -> str:
    out = [
        "## The article's claims, recomputed by combien",
        "",
        "| id | the article says | combien computes | verdict | why |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in claims:
        out.append(f"| {c.id} | {c.claim} | {_claim_value(c)} | {c.verdict} | {c.reason} |")
    out.append("")
    for c in claims:
        out += [f"### {c.id}", ""] + [f"- {a}" for a in c.assumptions] + [""]
    return "\n".join(out)


def sector_rows(result: Any) -> list[tuple[str, str]]:
    d = result.to_dict()

    def span(key: str, unit: str, scale: float = 1.0) -> str:
        r = d[key]
        return (
            f"{r['value'] * scale:,.3g} [{r['low'] * scale:,.3g}–{r['high'] * scale:,.3g}] {unit}"
        )

    return [
        ("AI servers' electricity (IT)", span("energy_twh", "TWh/yr")),
        ("with facility overhead (PUE)", span("facility_energy_twh", "TWh/yr")),
        ("water withdrawn", span("water_withdrawal_m3", "billion m³/yr", 1e-9)),
        ("  × Denmark's withdrawal", span("withdrawal_denmark_multiple", "×")),
        ("water consumed", span("water_consumption_m3", "billion m³/yr", 1e-9)),
        ("carbon at the grid mix", span("co2e_t", "Mt CO2e/yr", 1e-6)),
        ("revenue needed to pay for the GPUs", f"${d['revenue_needed_usd'] / 1e9:,.0f}B/yr"),
        ("gap with today's AI revenue", f"${d['revenue_gap_usd'] / 1e9:,.0f}B/yr"),
    ]


def sector_table(result: Any) -> RenderableType:
    from rich.table import Table

    table = Table(
        title="combien — the sector view (de Vries 2023, Li et al. 2023, Cahn 2024)",
        title_justify="left",
    )
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for row in sector_rows(result):
        table.add_row(*row)
    return table


def sector_markdown(result: Any) -> str:
    out = ["## combien — the sector view", "", "| quantity | value |", "| --- | ---: |"]
    out += [f"| {a} | {b} |" for a, b in sector_rows(result)]
    return "\n".join(out) + "\n"
