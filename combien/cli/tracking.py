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
    format_option,
    given,
    option,
    read_store,
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
    server: Annotated[
        str | None,
        option(
            "Also post the run as it goes to this combien server (combien serve --ingest), "
            "e.g. http://127.0.0.1:8000; kept in a spool file while it cannot be reached.",
            TRACKING,
        ),
    ] = None,
    output_format: Annotated[
        Format, format_option("table, json or markdown (printed to stderr).", TRACKING)
    ] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option(help="Also write the JSON bill to this file.", rich_help_panel=TRACKING),
    ] = None,
    kill_child_on_exit: Annotated[
        bool,
        typer.Option(
            "--kill-child-on-exit",
            help="Kill the command if combien itself is killed (Linux).",
            rich_help_panel=TRACKING,
        ),
    ] = False,
    live: Annotated[
        bool | None,
        typer.Option(
            "--live/--no-live",
            help="A line on stderr: power and energy so far (default: if stderr is a terminal).",
            rich_help_panel=TRACKING,
            show_default=False,
        ),
    ] = None,
    **fields: Any,
) -> None:
    """Run a command and measure it: combien track \\[options] -- python train.py."""
    from combien.measure.command import track_command

    site = given(fields)

    def report(code: int, bill: Any) -> None:
        if bill is None:
            return
        if output:
            try:
                output.write_text(bill.to_json() + "\n", encoding="utf-8")
            except OSError as exc:  # the command's exit code and the bill are what count
                sys.stderr.write(
                    f"combien: the bill could not be written to {output} "
                    f"({exc.strerror or exc}); it is printed below\n"
                )
        emit(bill, output_format, stream=sys.stderr)

    code, _ = track_command(
        list(command),
        project=project,
        interval_s=interval,
        flush_s=flush,
        scope=scope,
        all_gpus=all_gpus,
        db=db,
        server=server,
        kill_child_on_exit=kill_child_on_exit,
        live=live,
        on_done=report,  # printed while Ctrl-C still goes to the (gone) command
        **site,
    )
    raise typer.Exit(code)


def _time(text: str | None, store: Any, name: str) -> float | None:
    """A date (YYYY-MM-DD, or an ISO time) or, for --before, a run id: seconds since the epoch."""
    if text is None:
        return None
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        pass
    if name == "before":
        return float(store.started_at(text))
    raise InputError(f"--{name}: {text!r} is not a date — use YYYY-MM-DD or YYYY-MM-DDTHH:MM")


@runs_app.command("list")
def runs_list(
    db: DbOpt = None,
    output_format: FormatOpt = Format.table,
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many runs first (paging).")] = 0,
    before: Annotated[
        str | None, typer.Option(help="Only runs started before this date or run id (paging).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only runs started since this date.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project's runs.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Only runs with this status: running, finished, failed, interrupted."),
    ] = None,
) -> None:
    """List tracked runs, newest first (runs whose tracker died show as interrupted)."""
    from combien.measure.runs import RunList, summary_rows

    store = read_store(db)
    rows = summary_rows(
        store,
        limit,
        offset=offset,
        project=project,
        status=status,
        since=_time(since, store, "since"),
        before=_time(before, store, "before"),
    )
    emit(RunList(rows), output_format)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    db: DbOpt = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """Show a tracked run's bill (JSON: combien.bill/1 with its `run` object)."""
    from combien.measure.runs import get_run, stored_bill

    emit(stored_bill(get_run(read_store(db), run_id)), output_format)


@runs_app.command("export")
def runs_export(
    run_id: Annotated[
        str | None,
        typer.Argument(help="A run id (or prefix): export its samples instead of the runs."),
    ] = None,
    db: DbOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    run: Annotated[
        str | None, typer.Option(help="The same as the RUN_ID argument.", hidden=True)
    ] = None,
) -> None:
    """Export every run (or one run's samples: `combien runs export ID`) as CSV or JSON,
    streamed as it is read."""
    from combien.measure.runs import export

    if output_format not in ("csv", "json"):
        raise InputError(f"--format: {output_format!r} is not one of 'csv', 'json'")
    if run_id is not None and run is not None and run_id != run:
        raise InputError("runs export: give the run once, as RUN_ID (not also --run)")
    export(
        read_store(db),
        output_format,
        run_id if run_id is not None else run,
        out=sys.stdout,
    )


@runs_app.command("import")
def runs_import(
    file: Annotated[Path, typer.Argument(help="A run kept in a fallback file (.jsonl).")],
    db: DbOpt = None,
) -> None:
    """Bring a run kept in a fallback file (when the store could not be written) into the store."""
    from combien.store import Store, import_lines

    with file.open(encoding="utf-8") as lines:
        run_id = import_lines(Store(db), lines)
    sys.stdout.write(f"run {run_id} imported\n")


@runs_app.command("compare")
def runs_compare(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    spec: Annotated[
        Path,
        typer.Option(
            help="YAML spec of the same run: as for estimate, or as for infer when the run "
            "counted requests (Tracker.count)."
        ),
    ],
    db: DbOpt = None,
    output_format: Annotated[Format, format_option("table, json, markdown or csv.", None)] = (
        Format.table
    ),
) -> None:
    """Compare a tracked run with the estimate of the same run, line by line; a serving run
    (requests counted) with combien infer, per request and per output token."""
    from combien.measure.runs import compare, estimate_for_run, get_run, stored_bill
    from combien.resolve.spec import InferenceRun, TrainingRun, read_yaml

    run = get_run(read_store(db), run_id)
    served = ((run.get("bill") or {}).get("run") or {}).get("served")
    if served and served.get("requests"):
        from combien.serving.compare import compare_served, estimate_for_served

        wanted = InferenceRun.parse(read_yaml(spec))
        emit(compare_served(run, estimate_for_served(run, wanted)), output_format)
        return
    result = compare(stored_bill(run), estimate_for_run(run, TrainingRun.from_yaml(spec)))
    emit(result, output_format)
