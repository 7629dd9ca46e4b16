"""`combien report`: a document for the people who publish a model, from an estimate or a
tracked run."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from combien.cli._app import (
    DbOpt,
    SamplesOpt,
    SeedOpt,
    SpecOpt,
    app,
    given,
    read_store,
    with_fields,
)
from combien.cli._quick import estimate_result
from combien.errors import InputError
from combien.resolve.spec import TrainingRun

REPORT = "report"


@app.command()
@with_fields(*TrainingRun.inputs())
def report(
    kind: Annotated[
        str,
        typer.Option(
            "--as",
            help="hf-model-card, eu-ai-act, markdown (a paper's appendix), latex, html or boamps.",
            rich_help_panel=REPORT,
        ),
    ] = "markdown",
    run: Annotated[
        str | None,
        typer.Option(help="A tracked run's id (see combien runs list).", rich_help_panel=REPORT),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file (else stdout).", rich_help_panel=REPORT
        ),
    ] = None,
    db: DbOpt = None,
    spec: SpecOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    **fields: Any,
) -> None:
    """A model card block, the EU AI Act's energy and compute section, or a paper's appendix."""
    from combien.report import report as make_report

    flags = given(fields)
    if run is not None and (flags or spec):
        raise InputError("report: give --run ID or the run's description (flags, --spec), not both")
    if run is None and not flags and spec is None:
        raise InputError(
            "report: nothing to report — describe the run (--model, --params and --tokens, "
            "--flop, --spec FILE) or give a tracked one with --run ID"
        )
    if run is not None:
        from combien.measure.runs import get_run, stored_bill

        bill = stored_bill(get_run(read_store(db), run))
    else:
        options = given({**flags, "spec": spec, "samples": samples, "seed": seed})
        bill = estimate_result(options)
    text = make_report(bill, kind)
    if output is None:
        sys.stdout.write(text)
    else:
        write_whole(output, text)


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file beside it, then a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    except OSError as exc:
        raise InputError(f"--output: cannot write {path}: {exc.strerror}", field="output") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"--output: cannot write {path}: {exc.strerror}", field="output") from None
