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


def _data_command(table: Table) -> Any:
    def command(
        search: Annotated[str | None, typer.Option(help="Only rows matching this text.")] = None,
        output_format: FormatOpt = Format.table,
    ) -> None:
        from combien.data.listing import list_table

        sys.stdout.write(list_table(table.value, search, output_format.value))

    command.__doc__ = f"List the {table.value} reference data, with sources."
    return command


for _table in Table:
    data_app.command(_table.value)(_data_command(_table))
