"""`combien validate`: combien against published runs, out of sample."""

from __future__ import annotations

from typing import Annotated

import typer

from combien.cli._app import Format, FormatOpt, app, emit


@app.command()
def validate(
    output_format: FormatOpt = Format.table,
    serving: Annotated[
        bool,
        typer.Option(
            "--serving",
            help="Check serving instead: published energies of LLM inference, per scope "
            "(GPU, server, facility).",
        ),
    ] = False,
) -> None:
    """Median error, bias, coverage of the 90% range and its width, per quantity, on published
    runs (leave-one-out where combien is fitted on them)."""
    from combien.field.validate import validate as run_validation
    from combien.field.validate import validate_serving

    emit(validate_serving() if serving else run_validation(), output_format)
