"""The JSON API: the same documents as the CLI's `--format json`, one route per result.

Query parameters are the input fields of `combien.fields`, as the CLI's flags are: a bad value is
a 422 with the CLI's one-line message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from combien.resolve.spec import InferenceRun, TrainingRun
from combien.results.document import JSON
from combien.web.ingest import Batch, store_batch
from combien.web.queries import EstimateQuery, InferQuery, PlanQuery, given
from combien.web.runs import find_run, power_document
from combien.web.state import store_of

router = APIRouter(prefix="/api")
#: how often a live run's page is sent what the store holds, seconds
STREAM_EVERY_S = 1.0
#: a stream ends after this many updates (a page reconnects by itself)
STREAM_UPDATES = 600


@router.get("/estimate", summary="The bill of a training run (combien.bill/1)")
def estimate(query: Annotated[EstimateQuery, Query()]) -> JSON:  # type: ignore[valid-type]
    from combien.training.estimate import estimate as run_estimate

    return run_estimate(TrainingRun.parse(given(query))).to_dict()


@router.get("/infer", summary="The bill of serving a model (combien.inference/1)")
def infer(query: Annotated[InferQuery, Query()]) -> JSON:  # type: ignore[valid-type]
    from combien.serving.infer import infer as run_infer

    return run_infer(InferenceRun.parse(given(query))).to_dict()


@router.get(
    "/compare",
    summary="Variants side by side (combien.compare/1): comma lists as the CLI's flags",
)
def compare(query: Annotated[EstimateQuery, Query()]) -> JSON:  # type: ignore[valid-type]
    from combien.plan.compare import compare as run_compare
    from combien.plan.names import listed

    values = given(query)
    samples, seed = values.pop("samples", None), values.pop("seed", None)
    return run_compare(samples=samples, seed=seed, **listed(values)).to_dict()  # type: ignore[arg-type]


@router.get("/plan", summary="The Pareto front of ways to train (combien.plan/1)")
def plan(query: Annotated[PlanQuery, Query()]) -> JSON:  # type: ignore[valid-type]
    from combien.plan.plan import plan as run_plan

    return run_plan(**given(query)).to_dict()  # type: ignore[arg-type]


@router.get("/trends", summary="Frontier compute and cost trends (combien.trends/1)")
def trends(since: int = 2016, until: float | None = None) -> JSON:
    from combien.field.trends import trends as run_trends

    return run_trends(since, until).to_dict()


@router.get("/claims", summary="The article's claims, recomputed (combien.claims/1)")
def claims(ids: Annotated[list[str] | None, Query()] = None) -> JSON:
    from combien.field.claims import check_claims

    return check_claims(ids or None).to_dict()


@router.get("/sector", summary="The sector view (combien.sector/1)")
def sector() -> JSON:
    from combien.field.sector import sector as run_sector

    return run_sector().to_dict()


@router.get("/runs", summary="Tracked runs, newest first (as `combien runs list --format json`)")
def runs(
    request: Request,
    project: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, object]]:
    from combien.measure.runs import summary_rows

    return summary_rows(store_of(request), limit, project=project, status=status, offset=offset)


@router.get("/runs/{run_id}", summary="A tracked run's bill (combien.bill/1 with its run)")
def run(request: Request, run_id: str) -> JSON:
    from combien.measure.runs import stored_bill

    return stored_bill(find_run(request, run_id)).to_dict()


@router.get("/runs/{run_id}/power", summary="Power per device over time, from its samples")
def power(request: Request, run_id: str) -> JSON:
    found = find_run(request, run_id)
    return power_document(found, store_of(request).samples(found["id"]))


@router.post(
    "/ingest",
    summary="A batch of a run tracked on another machine (`combien track --server`); "
    "needs `combien serve --ingest`",
)
def ingest(request: Request, batch: Batch) -> JSON:
    return store_batch(request, batch)


@router.get("/runs/{run_id}/stream", summary="Server-sent events: the run as it is written")
async def stream(request: Request, run_id: str) -> StreamingResponse:
    found = find_run(request, run_id)
    return StreamingResponse(
        _updates(request, found["id"]),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store"},
    )


async def _updates(request: Request, run_id: str) -> AsyncIterator[str]:
    store = store_of(request)
    for _ in range(STREAM_UPDATES):
        if await request.is_disconnected():
            return
        current = store.run(run_id)
        if current is None:
            return
        document = power_document(current, store.samples(run_id))
        yield f"data: {json.dumps(document, allow_nan=False)}\n\n"
        if current["status"] != "running":
            return
        await asyncio.sleep(STREAM_EVERY_S)
