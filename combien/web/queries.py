"""Query parameters from the field table: one optional string per input, as the CLI's flags."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from combien.fields import INPUTS
from combien.resolve.spec import InferenceRun, Spec, TrainingRun


def query_model(name: str, spec: type[Spec]) -> type[BaseModel]:
    """A query-parameter model with one optional string per input field of `spec` (as typed
    on the command line), plus the Monte Carlo settings."""
    fields: dict[str, Any] = {}
    for field_name in spec.inputs():
        field = INPUTS[field_name]
        kind: Any = list[str] | None if field.kind == "choices" else str | None
        unit = f" ({field.unit})" if field.unit and field.unit not in ("", "count") else ""
        fields[field.attr] = (kind, Field(None, description=field.help + unit))
    fields["samples"] = (int | None, Field(None, description="Monte Carlo samples"))
    fields["seed"] = (int | None, Field(None, description="random seed"))
    config = ConfigDict(extra="forbid")
    model: type[BaseModel] = create_model(name, __config__=config, **fields)
    return model


EstimateQuery = query_model("EstimateQuery", TrainingRun)
InferQuery = query_model("InferQuery", InferenceRun)


def given(query: BaseModel) -> dict[str, object]:
    """The parameters the request set (the rest are for the catalog to fill)."""
    return {k: v for k, v in query.model_dump().items() if v not in (None, [], "", [""])}
