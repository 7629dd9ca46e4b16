"""Query parameters from the field table: one optional string per input, as the CLI's flags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from combien.fields import INPUTS
from combien.resolve.spec import InferenceRun, Spec, TrainingRun


def query_model(name: str, spec: type[Spec]) -> type[BaseModel]:
    """A query-parameter model with one optional string per input field of `spec` (as typed
    on the command line), plus the Monte Carlo settings."""
    return _model(name, _inputs(spec.inputs(), with_unit=True))


def _inputs(names: Iterable[str], *, with_unit: bool) -> dict[str, Any]:
    """One optional parameter per input field: a list for choices, a string otherwise."""
    fields: dict[str, Any] = {}
    for field_name in names:
        field = INPUTS[field_name]
        kind: Any = list[str] | None if field.kind == "choices" else str | None
        shown = with_unit and field.unit and field.unit != "count"
        fields[field.attr] = (
            kind,
            Field(None, description=field.help + (f" ({field.unit})" if shown else "")),
        )
    return fields


def _model(name: str, fields: dict[str, Any]) -> type[BaseModel]:
    """The query model: these parameters plus the Monte Carlo settings, nothing else allowed."""
    fields["samples"] = (int | None, Field(None, description="Monte Carlo samples"))
    fields["seed"] = (int | None, Field(None, description="random seed"))
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


EstimateQuery = query_model("EstimateQuery", TrainingRun)
InferQuery = query_model("InferQuery", InferenceRun)


def given(query: BaseModel) -> dict[str, object]:
    """The parameters the request set (the rest are for the catalog to fill)."""
    return {k: v for k, v in query.model_dump().items() if v not in (None, [], "", [""])}


def plan_query_model() -> type[BaseModel]:
    """The plan's parameters: the run fields it takes, its limits and its restriction lists."""
    from combien.plan.constraints import LIMITS, RESTRICTIONS, plan_fields

    fields = _inputs((*plan_fields(), *LIMITS), with_unit=False)
    for name, (_, help_text) in RESTRICTIONS.items():
        fields[name] = (str | None, Field(None, description=help_text))
    return _model("PlanQuery", fields)


PlanQuery = plan_query_model()
