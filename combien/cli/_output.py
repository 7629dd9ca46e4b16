"""How the commands print their results (no typer here: the quick path uses it too)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

from combien.errors import InputError
from combien.units import echo

if TYPE_CHECKING:
    from combien.results.document import Document


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


def output_format(value: str) -> Format:
    """The --format asked for; a one-line InputError that lists the formats otherwise."""
    try:
        return Format(value)
    except ValueError:
        formats = ", ".join(Format)
        raise InputError(
            f"--format: unknown {echo(value)} — use one of {formats}", field="format"
        ) from None


def given(fields: dict[str, Any]) -> dict[str, Any]:
    """The options the user gave (typer passes None for the others)."""
    return {k: v for k, v in fields.items() if v is not None}


def emit(result: Document, output_format: Format, stream: TextIO | None = None) -> None:
    """Write a result as JSON, markdown or a terminal table (to stdout, or to `stream`)."""
    out = stream or sys.stdout
    if output_format is Format.json:
        out.write(result.to_json() + "\n")  # `dumps` checks that every number is finite
        return
    from combien.results.document import check_finite

    check_finite(result.to_dict())  # the same check for text: a result is whole or refused
    if output_format is Format.csv:
        to_csv = getattr(result, "to_csv", None)
        if to_csv is None:
            raise InputError("--format csv: this result has no rows — use json or markdown")
        out.write(to_csv())
    elif output_format is Format.markdown:
        out.write(result.to_markdown())
    else:
        print_renderable(result.to_table(), stream)


def print_renderable(renderable: Any, stream: TextIO | None = None) -> None:
    from rich.console import Console

    Console(file=stream).print(renderable)
