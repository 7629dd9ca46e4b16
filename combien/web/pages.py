"""The pages: server-rendered HTML (Jinja2, autoescaped) over the same library calls as the API,
with a little JavaScript for charts (Plotly, served from its package) and live runs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from combien.fields import INPUTS, Field
from combien.resolve.spec import InferenceRun, Spec, TrainingRun
from combien.web.queries import EstimateQuery, InferQuery, PlanQuery, given
from combien.web.runs import find_run, power_document
from combien.web.state import store_of
from combien.web.views import render

if TYPE_CHECKING:
    from combien.results.bill import Line

router = APIRouter(include_in_schema=False)
#: the span of the range bars: a tenth to ten times the central value, log scale
RANGE_DECADES = 1.0


def form(spec: type[Spec], values: dict[str, object]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The inputs of a spec from the field table, grouped by panel, with the values given."""
    panels: dict[str, list[dict[str, Any]]] = {}
    for name in spec.inputs():
        field: Field = INPUTS[name]
        value = values.get(field.attr)
        if isinstance(value, list):
            shown: object = ",".join(map(str, value))
        else:  # a given 0 is a value (no engine time, no cached share), shown as such
            shown = "" if value is None or value == "" else value
        panels.setdefault(field.panel, []).append(
            {
                "name": field.attr,
                "label": field.flag,
                "help": field.help,
                "unit": field.unit,
                "choices": field.choices,
                "value": shown,
            }
        )
    return list(panels.items())


def bar(line: Line | None) -> dict[str, float] | None:
    """Where a line's P5 and P95 sit, in % of a bar from value/10 to value×10 (log scale)."""
    if line is None or line.value <= 0 or line.low <= 0:
        return None

    def where(x: float) -> float:
        position = 50 + 50 * math.log10(x / line.value) / RANGE_DECADES
        return max(0.0, min(100.0, position))

    return {"left": where(line.low), "right": where(line.high)}


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return render("home.html")


@router.get("/estimate", response_class=HTMLResponse)
def estimate(query: Annotated[EstimateQuery, Query()]) -> HTMLResponse:  # type: ignore[valid-type]
    from combien.training.estimate import estimate as run_estimate

    values = given(query)
    bill = run_estimate(TrainingRun.parse(values)) if values else None
    lines = []
    if bill is not None:
        for key, (label, value, span) in zip(bill.row_keys(), bill.rows(), strict=True):
            lines.append({"label": label, "value": value, "span": span, "bar": bar(bill.line(key))})
    return render("estimate.html", panels=form(TrainingRun, values), bill=bill, lines=lines)


@router.get("/infer", response_class=HTMLResponse)
def infer(query: Annotated[InferQuery, Query()]) -> HTMLResponse:  # type: ignore[valid-type]
    from combien.serving.infer import infer as run_infer

    values = given(query)
    bill = run_infer(InferenceRun.parse(values)) if values else None
    return render("infer.html", panels=form(InferenceRun, values), bill=bill)


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    project: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> HTMLResponse:
    from combien.measure.runs import summary_rows

    project, status = project or None, status or None
    rows = summary_rows(store_of(request), limit, project=project, status=status)
    return render("runs.html", rows=rows, project=project or "", status=status or "")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: str) -> HTMLResponse:
    from combien.measure.runs import stored_bill

    found = find_run(request, run_id)
    bill = stored_bill(found)
    power = power_document(found, store_of(request).samples(found["id"]))
    return render("run.html", run=found, bill=bill, power=power)


@router.get("/field", response_class=HTMLResponse)
def field() -> HTMLResponse:
    from combien.field.claims import check_claims
    from combien.field.claims.results import computed_text
    from combien.field.sector import sector
    from combien.field.trends import trends

    result = trends(2016)
    points = {
        key: [{"x": run.date, "y": value, "id": run.id} for run, value in result.points(key)]
        for key in ("flop", "cost_ownership_usd", "cost_cloud_usd")
    }
    return render(
        "field.html",
        trends=result,
        points=points,
        crossings=result.crossing_rows(),
        growth=result.growth_rows(),
        claims=check_claims(),
        computed=computed_text,
        sector=sector(),
    )


@router.get("/compare", response_class=HTMLResponse)
def compare(query: Annotated[EstimateQuery, Query()]) -> HTMLResponse:  # type: ignore[valid-type]
    from combien.plan.compare import compare as run_compare
    from combien.plan.names import listed

    values = given(query)
    result = None
    if values:
        samples, seed = values.pop("samples", None), values.pop("seed", None)
        result = run_compare(samples=samples, seed=seed, **listed(values))  # type: ignore[arg-type]
    return render("compare.html", panels=form(TrainingRun, given(query)), result=result)


@router.get("/plan", response_class=HTMLResponse)
def plan(query: Annotated[PlanQuery, Query()]) -> HTMLResponse:  # type: ignore[valid-type]
    from combien.plan.constraints import LIMITS, RESTRICTIONS, plan_fields
    from combien.plan.plan import plan as run_plan

    values = given(query)
    result = run_plan(**values) if values else None  # type: ignore[arg-type]
    fields = [*plan_fields(), *LIMITS]
    panels = [(panel, [f for f in rows if f["name"] in fields])
              for panel, rows in form(TrainingRun, values)]  # fmt: skip
    limits = [{"name": n, "label": INPUTS[n].flag, "help": INPUTS[n].help, "unit": INPUTS[n].unit,
               "choices": (), "value": values.get(n, "")} for n in LIMITS]  # fmt: skip
    lists = [{"name": n, "label": "--" + n, "help": h, "unit": "", "choices": (),
              "value": values.get(n, "")} for n, (_, h) in RESTRICTIONS.items()]  # fmt: skip
    panels = [(p, rows) for p, rows in panels if rows] + [("limits", limits), ("search", lists)]
    points = result.to_dict()["options"] if result is not None else []
    return render("plan.html", panels=panels, result=result, points=points)
