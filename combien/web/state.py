"""What the app holds: the path of the run store, opened read-only for each request, and
opened for writing once when runs are sent to it (`combien serve --ingest`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from combien.store import Store

_WRITER = threading.Lock()


def store_of(request: Request) -> Store:
    """The run store, read-only (only ingestion writes it), one per request."""
    from combien.store import Store

    cached = getattr(request.state, "store", None)
    if cached is None:
        cached = Store(request.app.state.db, read_only=True)
        request.state.store = cached
    return cached


def writer_of(request: Request) -> Store:
    """The run store opened for writing, one for the app (opened again if its file was
    deleted or replaced)."""
    from combien.store import Store

    state = request.app.state
    with _WRITER:
        writer: Store | None = getattr(state, "writer", None)
        if writer is not None and writer.intact():
            writer.close()
            writer = None
        if writer is None:
            writer = state.writer = Store(state.db)
        return writer
