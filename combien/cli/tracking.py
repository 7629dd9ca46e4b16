"""`combien track` and `combien runs …`: measured runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from combien.cli._app import (
    TRACKING,
    DbOpt,
    Format,
    FormatOpt,
    app,
    emit,
    given,
    option,
    runs_app,
    with_fields,
)
from combien.errors import InputError
from combien.fields import SITE_KEYS


@app.command(context_settings={"allow_interspersed_args": False})
@with_fields(
    *SITE_KEYS, help={"hardware": "Accelerator id, if the driver's name is not recognised."}
)
def track(
    command: Annotated[
        list[str], typer.Argument(help="The command to run, after --.", show_default=False)
    ],
    project: Annotated[str | None, option("Project name recorded with the run.", TRACKING)] = None,
    interval: Annotated[
        float, typer.Option(help="Sampling interval, seconds.", rich_help_panel=TRACKING)
    ] = 1.0,
    flush: Annotated[
        float, typer.Option(help="Write to the store every N seconds.", rich_help_panel=TRACKING)
    ] = 5.0,
    scope: Annotated[
        str,
        typer.Option(
            help="process (the command's process tree) or machine.", rich_help_panel=TRACKING
        ),
    ] = "process",
    all_gpus: Annotated[
        bool,
        typer.Option(
            "--all-gpus",
            help="Measure every GPU, not only CUDA_VISIBLE_DEVICES.",
            rich_help_panel=TRACKING,
        ),
    ] = False,
    db: DbOpt = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="table, json or markdown (printed to stderr).",
            rich_help_panel=TRACKING,
        ),
    ] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option(help="Also write the JSON bill to this file.", rich_help_panel=TRACKING),
    ] = None,
    **fields: Any,
) -> None:
    """Run a command and measure it: combien track \\[options] -- python train.py."""
    from combien.measure.runs import track_command

    site = given(fields)
    code, bill = track_command(
        list(command),
        project=project,
        interval_s=interval,
        flush_s=flush,
        scope=scope,
        all_gpus=all_gpus,
        db=db,
        **site,
    )
    if bill is not None:
        if output:
            output.write_text(bill.to_json() + "\n", encoding="utf-8")
        emit(bill, output_format, stream=sys.stderr)
    raise typer.Exit(code)


@runs_app.command("list")
def runs_list(
    db: DbOpt = None,
    output_format: FormatOpt = Format.table,
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 50,
) -> None:
    """List tracked runs, newest first (runs whose process died are marked interrupted)."""
    from combien.measure.runs import RunList, summary_rows
    from combien.store import Store

    emit(RunList(summary_rows(Store(db), limit)), output_format)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    db: DbOpt = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """Show a tracked run's bill (JSON: combien.bill/1 with its `run` object)."""
    from combien.measure.runs import get_run, stored_bill
    from combien.store import Store

    emit(stored_bill(get_run(Store(db), run_id)), output_format)


@runs_app.command("export")
def runs_export(
    db: DbOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    run: Annotated[
        str | None, typer.Option(help="Export this run's samples instead of the runs.")
    ] = None,
) -> None:
    """Export the runs (or one run's samples) as CSV or JSON."""
    from combien.measure.runs import export
    from combien.store import Store

    if output_format not in ("csv", "json"):
        raise InputError(f"--format: {output_format!r} is not one of 'csv', 'json'")
    sys.stdout.write(export(Store(db), output_format, run))


@runs_app.command("compare")
def runs_compare(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    spec: Annotated[Path, typer.Option(help="YAML spec of the same run (as for estimate).")],
    db: DbOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
) -> None:
    """Compare a tracked run with the estimate of the same run, line by line."""
    from combien.measure.runs import compare, estimate_for_run, get_run, stored_bill
    from combien.resolve.spec import TrainingRun
    from combien.store import Store

    run = get_run(Store(db), run_id)
    result = compare(stored_bill(run), estimate_for_run(run, TrainingRun.from_yaml(spec)))
    emit(result, output_format)
