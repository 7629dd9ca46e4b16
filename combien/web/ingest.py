"""Runs tracked on other machines: the body of `POST /api/ingest` and how it is stored.

A tracker started with `server=URL` (`combien track --server URL`) posts its run in batches, one
per flush, each numbered (`seq`, from 1) and each carrying the run's columns, so that whichever
arrives first creates the run. A batch holds the new samples, events and phases, the devices'
totals, the duration and the forecast so far; the last one, `finish`, the end status and the
bill. A batch sent again (its answer lost) is stored once. The server must be started with
`--ingest`; every value is checked before anything is written.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from combien.results.document import JSON
from combien.store import MAX_ENERGY_J, MAX_ROWS
from combien.web.errors import Forbidden
from combien.web.state import writer_of

#: the most samples (events, phases) one batch may hold; the tracker sends fewer
MAX_ITEMS = 100_000


def _finite_json(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object whose numbers are finite (NaN and infinities are not JSON)."""
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, RecursionError):
        raise ValueError("holds a number that is not finite, or is nested too deep") from None
    return value


Finite = Annotated[float, Field(allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Joules = Annotated[float, Field(ge=0, le=MAX_ENERGY_J, allow_inf_nan=False)]
Name = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=10_000)]
Document = Annotated[dict[str, Any], AfterValidator(_finite_json)]
Pid = Annotated[int, Field(ge=0, le=2**31)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunColumns(_Strict):
    """Who and what: the run as the tracker opened it."""

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.-]+$")]
    host: Name
    started_at: Finite
    project: Name | None = None
    command: Text | None = None
    pid: Pid | None = None
    child_pid: Pid | None = None
    scope: Literal["process", "machine"] | None = None
    flush_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    options: Document = Field(default_factory=dict, description="the site options")


class DeviceTotal(_Strict):
    """A device and its energy since the run started."""

    key: Annotated[str, Field(min_length=1, max_length=200)]
    node: Name
    kind: Name
    name: Name
    method: Literal["measured", "estimated"]
    energy_j: Joules


class Finish(_Strict):
    """The end of the run."""

    status: Literal["finished", "failed", "interrupted"]
    duration_s: Seconds
    ended_at: Finite
    bill: Document | None = None


class Batch(_Strict):
    """One batch of a run: what was measured since the batch before."""

    run: RunColumns
    seq: Annotated[int, Field(ge=1, le=MAX_ROWS, description="1, 2, 3, ... for each run")]
    samples: Annotated[list[tuple[Finite, Name, Name, Joules]], Field(max_length=MAX_ITEMS)] = []
    events: Annotated[list[tuple[Finite, Name, Text]], Field(max_length=MAX_ITEMS)] = []
    phases: Annotated[
        list[tuple[Name, Finite, Finite | None, Joules | None]], Field(max_length=MAX_ITEMS)
    ] = []
    devices: Annotated[list[DeviceTotal], Field(max_length=MAX_ITEMS)] | None = None
    duration_s: Seconds | None = None
    forecast: Document | None = None
    finish: Finish | None = None


def store_batch(request: Request, batch: Batch) -> JSON:
    """Write a batch into the server's store; `stored` is False for a batch sent again."""
    if not request.app.state.ingest:
        raise Forbidden("this server does not take runs — start it with `combien serve --ingest`")
    run = batch.run.model_dump()
    run["options"] = json.dumps(run["options"])
    stored = writer_of(request).ingest(
        run,
        batch.seq,
        samples=batch.samples,
        events=batch.events,
        phases=batch.phases,
        devices=None if batch.devices is None else [d.model_dump() for d in batch.devices],
        duration_s=batch.duration_s,
        forecast=batch.forecast,
        finish=batch.finish.model_dump() if batch.finish else None,
    )
    return {"run": batch.run.id, "seq": batch.seq, "stored": stored}
