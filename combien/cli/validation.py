"""`combien validate`: combien against published runs, out of sample."""

from __future__ import annotations

from combien.cli._app import Format, FormatOpt, app, emit


@app.command()
def validate(output_format: FormatOpt = Format.table) -> None:
    """Median error, bias, coverage of the 90% range and its width, per quantity, on published
    runs (leave-one-out where combien is fitted on them)."""
    from combien.field.validate import validate as run_validation

    emit(run_validation(), output_format)
