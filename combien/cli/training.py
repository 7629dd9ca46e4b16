"""`combien estimate` and `combien lifecycle`: the bill of a training run, and of a model's life."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from combien.cli._app import (
    Format,
    FormatOpt,
    SamplesOpt,
    SeedOpt,
    SpecOpt,
    app,
    emit,
    given,
    option,
    with_fields,
)
from combien.cli._quick import estimate_result
from combien.fields import HARDWARE_TIME, SERVING_HARDWARE_HELP, TRAFFIC
from combien.fields import months as checked_months
from combien.resolve.spec import InferenceRun, TrainingRun


@app.command()
@with_fields(*TrainingRun.inputs())
def estimate(
    spec: SpecOpt = None,
    output_format: FormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    **fields: Any,
) -> None:
    """Estimate the bill of a training run: compute, time, energy, carbon, water, dollars."""
    options = given({**fields, "spec": spec, "samples": samples, "seed": seed})
    emit(estimate_result(options), output_format)


_TRAINING = (
    "model",
    "params",
    "active_params",
    "tokens",
    "flop",
    "chip_hours",
    "hardware",
    "chips",
)
_SERVING = (
    "model",
    "params",
    "active_params",
    "tokens_in",
    "tokens_out",
    "requests_per_day",
    "rps",
)
_SITE = ("location", "facility")


@app.command()
@with_fields(*_TRAINING, *_SERVING, *_SITE, help={"hardware": "Training accelerator."})
def lifecycle(
    serve_hardware: Annotated[str | None, option(SERVING_HARDWARE_HELP, HARDWARE_TIME)] = None,
    months: Annotated[
        float, typer.Option(help="Months of serving.", rich_help_panel=TRAFFIC)
    ] = 12.0,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    output_format: FormatOpt = Format.table,
    **fields: Any,
) -> None:
    """A model's whole life: the training bill, then months of serving; when serving overtakes."""
    from combien.field.lifecycle import lifecycle as run_lifecycle

    months = checked_months(months)
    flags = given(fields)
    method = given({"samples": samples, "seed": seed})  # both bills draw alike
    train = {k: v for k, v in flags.items() if k in _TRAINING + _SITE} | method
    serve = {k: v for k, v in flags.items() if k in _SERVING + _SITE} | method
    serve.update(given({"hardware": serve_hardware}))
    result = run_lifecycle(TrainingRun.parse(train), InferenceRun.parse(serve), months)
    emit(result, output_format)
