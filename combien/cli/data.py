"""`combien data …`: the reference tables."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from combien.cli._app import (
    Format,
    FormatOpt,
    data_app,
)


class Table(StrEnum):
    hardware = "hardware"
    locations = "locations"
    prices = "prices"
    models = "models"
    facilities = "facilities"
    conventions = "conventions"
    defaults = "defaults"
    energy = "energy"
    facts = "facts"
    cpus = "cpus"
    architectures = "architectures"
    grid = "grid"
    products = "products"
    serving = "serving"
    measurements = "measurements"
    deployments = "deployments"


def _data_command(table: Table) -> Any:
    def command(
        search: Annotated[str | None, typer.Option(help="Only rows matching this text.")] = None,
        output_format: FormatOpt = Format.table,
    ) -> None:
        from combien.data.listing import list_table

        if output_format is Format.csv:  # the JSON rows, one CSV row each
            import json

            from combien.results.document import csv_text

            rows = json.loads(list_table(table.value, search, "json"))
            header = list(dict.fromkeys(k for row in rows for k in row)) or ["id"]
            cells = [[_cell(row.get(k)) for k in header] for row in rows]
            sys.stdout.write(csv_text(header, cells))
            return
        sys.stdout.write(list_table(table.value, search, output_format.value))

    command.__doc__ = f"List the {table.value} reference data, with sources."
    return command


for _table in Table:
    data_app.command(_table.value)(_data_command(_table))


def _cell(value: object) -> object:
    """A CSV cell: lists (aliases) joined with '; '."""
    return "; ".join(map(str, value)) if isinstance(value, list) else value
