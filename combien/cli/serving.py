"""`combien infer`: the cost of serving a model."""

from __future__ import annotations

from typing import Any

from combien.cli._app import (
    Format,
    FormatOpt,
    SamplesOpt,
    SeedOpt,
    SpecOpt,
    app,
    emit,
    given,
    with_fields,
)
from combien.cli._quick import infer_result
from combien.fields import SERVING_HARDWARE_HELP
from combien.resolve.spec import InferenceRun


@app.command()
@with_fields(
    *InferenceRun.inputs(),
    help={"hardware": SERVING_HARDWARE_HELP},
)
def infer(
    spec: SpecOpt = None,
    output_format: FormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    **fields: Any,
) -> None:
    """The cost of serving a model: per request, per 1,000, per day and per year."""
    options = given({**fields, "spec": spec, "samples": samples, "seed": seed})
    emit(infer_result(options), output_format)
