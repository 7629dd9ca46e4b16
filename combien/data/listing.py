"""`combien data …`: reference tables as a table, JSON or markdown, each row with its source."""

from __future__ import annotations

import io
import json
from typing import Any

from combien.data import catalog

# the columns shown in the table view (JSON has every field)
_COLUMNS: dict[str, tuple[str, ...]] = {
    "hardware": (
        "id",
        "name",
        "tdp_w",
        "peak_flops_bf16",
        "memory_gb",
        "price_usd",
        "mfu",
        "embodied_kgco2e",
        "source",
    ),
    "locations": (
        "id",
        "name",
        "kind",
        "parent",
        "ewif_l_per_kwh",
        "price_usd_per_kwh",
        "pue",
        "wue_l_per_kwh",
        "source",
    ),
    "prices": (
        "provider",
        "offer",
        "hardware",
        "on_demand_usd_per_hour",
        "commit_1y_usd_per_hour",
        "commit_3y_usd_per_hour",
        "as_of",
        "source",
    ),
    "models": (
        "id",
        "name",
        "organization",
        "date",
        "params",
        "tokens",
        "flop",
        "hardware",
        "chips",
        "chip_hours",
        "confidence",
        "source",
    ),
    "facilities": (
        "id",
        "name",
        "pue",
        "pue_low",
        "pue_high",
        "wue_l_per_kwh",
        "wue_low",
        "wue_high",
        "source",
    ),
    "conventions": ("id", "name", "power_fraction", "server_overhead", "pue", "mfu", "source"),
    "defaults": ("id", "value", "low", "high", "unit", "source"),
    "energy": (
        "id",
        "name",
        "gco2e_per_kwh",
        "gco2e_low",
        "gco2e_high",
        "ewif_l_per_kwh",
        "source",
    ),
    "facts": ("id", "value", "low", "high", "unit", "claim", "source"),
    "grid": ("location", "year", "scope", "gco2e_per_kwh", "source"),
    "products": ("id", "name", "model", "since", "source"),
    "cpus": ("id", "name", "cores", "tdp_w", "source"),
    "architectures": ("id", "params", "layers", "d_model", "kv_heads", "head_dim", "source"),
    "serving": ("organizations", "start", "hardware", "stated", "source"),
    "measurements": (
        "id",
        "model",
        "hardware",
        "batch",
        "tokens_in",
        "tokens_out",
        "energy_wh_per_token",
        "energy_wh_per_request",
        "scope",
        "source",
    ),
    "deployments": (
        "id",
        "model",
        "hardware",
        "gpus_mean",
        "input_tokens_per_day",
        "output_tokens_per_day",
        "cached_input_share",
        "source",
    ),
}


def rows(table: str) -> list[Any]:
    """Rows of one reference table."""
    loaders: dict[str, Any] = {
        "hardware": catalog.hardware,
        "locations": catalog.locations,
        "prices": catalog.cloud_prices,
        "models": catalog.models,
        "facilities": catalog.facilities,
        "conventions": catalog.conventions,
        "defaults": lambda: [catalog.default(k) for k in catalog.default_ids()],
        "energy": catalog.energy_sources,
        "facts": catalog.facts,
        "grid": lambda: [
            series.figure(year)
            for series in catalog.grid_series().values()
            for year in sorted(series.values)
        ],
        "cpus": catalog.cpus,
        "products": catalog.products,
        "architectures": catalog.architectures,
        "serving": catalog.serving_hardware,
        "measurements": catalog.inference_measurements,
        "deployments": catalog.deployments,
    }
    return list(loaders[table]())


def list_table(table: str, search: str | None, output_format: str) -> str:
    """Render a reference table, filtered by `search`."""
    selected = catalog.search(rows(table), search)
    if output_format == "json":
        return json.dumps([r.as_dict() for r in selected], indent=2, ensure_ascii=False) + "\n"
    columns = _COLUMNS[table]
    if output_format == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        lines += ["| " + " | ".join(_cell(getattr(r, c)) for c in columns) + " |" for r in selected]
        return "\n".join(lines) + "\n"
    from rich.console import Console
    from rich.table import Table

    out = Table(title=f"{table} ({len(selected)} rows)", title_justify="left")
    for column in columns:
        out.add_column(
            column,
            overflow="fold" if column != "source" else "ellipsis",
            max_width=60 if column == "source" else None,
        )
    for r in selected:
        out.add_row(*(_cell(getattr(r, c)) for c in columns))
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(out)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple | list):  # a `;` list, as the CSV writes it
        value = ";".join(map(str, value))
    return str(value).replace("|", "/")
