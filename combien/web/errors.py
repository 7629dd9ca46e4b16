"""One error shape for the API: `{"error": {"type", "message", "field"}}`, with the same
one-line message as the CLI; 422 for bad input, 404 for what does not exist, 403 for what this
server does not do (runs sent to a server started without `--ingest`), 503 for a store that
cannot be used. Pages show the same message in a page, never a traceback; `/metrics`, read by
programs, answers its errors (a method it does not take) in JSON as the API does."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from combien.errors import CombienError


class NotFound(CombienError, LookupError):
    """A run (or another thing named in the path) that does not exist."""


class Forbidden(CombienError, PermissionError):
    """What this server was not started to do."""


def error_body(kind: str, message: str, field: str | None = None) -> dict[str, object]:
    return {"error": {"type": kind, "message": message, "field": field}}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one shape."""

    @app.exception_handler(CombienError)
    async def combien_error(request: Request, exc: CombienError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 422
        field = getattr(exc, "field", None)
        return _answer(request, status, type(exc).__name__, str(exc), field)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        place = first.get("loc", ())
        where = ".".join(str(p) for p in place if p not in ("query", "body"))
        problem = str(first.get("msg", "invalid")).removeprefix("Value error, ").lower()
        if first.get("type") == "json_invalid":
            where, message = "", "the body is not JSON — send one JSON object (see /docs)"
        elif place[:1] == ("body",) and not where:
            message = f"the body: {problem} — send one JSON object (see /docs)"
        elif first.get("type") == "extra_forbidden" and place[:1] == ("body",):
            message = f"unknown field {where!r} in the body (see /docs)"
        elif first.get("type") == "extra_forbidden":
            message = (
                f"unknown parameter {where!r} — the parameters are the CLI's flags (see /docs)"
            )
        else:
            message = f"{where or 'request'}: {problem}"
        return _answer(request, 422, "InputError", message, where or None)

    @app.exception_handler(sqlite3.Error)
    async def store(request: Request, exc: sqlite3.Error) -> Response:
        message = f"the run store cannot be used ({exc}) — check --db or COMBIEN_DB"
        return _answer(request, 503, "StoreError", message, None)

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> Response:
        return _answer(request, exc.status_code, "HTTPError", str(exc.detail), None)


def _answer(request: Request, status: int, kind: str, message: str, field: str | None) -> Response:
    path = request.url.path
    if path.startswith("/api/") or path == "/metrics":  # read by programs: JSON, not a page
        return JSONResponse(error_body(kind, message, field), status_code=status)
    from combien.web.views import error_page

    return HTMLResponse(error_page(status, message), status_code=status)
