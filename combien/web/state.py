"""What the app holds: the path of the run store, opened read-only for each request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from combien.store import Store


def store_of(request: Request) -> Store:
    """The run store, read-only (the web layer never writes it), one per request."""
    from combien.store import Store

    cached = getattr(request.state, "store", None)
    if cached is None:
        cached = Store(request.app.state.db, read_only=True)
        request.state.store = cached
    return cached
