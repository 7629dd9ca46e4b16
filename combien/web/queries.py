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


def plan_query_model() -> type[BaseModel]:
    """The plan's parameters: the run fields it takes, its limits and its restriction lists."""
    from combien.plan.constraints import LIMITS, RESTRICTIONS, plan_fields

    fields: dict[str, Any] = {}
    for name in (*plan_fields(), *LIMITS):
        field = INPUTS[name]
        kind: Any = list[str] | None if field.kind == "choices" else str | None
        fields[field.attr] = (kind, Field(None, description=field.help))
    for name, (_, help_text) in RESTRICTIONS.items():
        fields[name] = (str | None, Field(None, description=help_text))
    fields["samples"] = (int | None, Field(None, description="Monte Carlo samples"))
    fields["seed"] = (int | None, Field(None, description="random seed"))
    model: type[BaseModel] = create_model(
        "PlanQuery", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


PlanQuery = plan_query_model()
