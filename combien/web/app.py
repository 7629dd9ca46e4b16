"""The FastAPI application: the JSON API, the pages, their static files, one error shape."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from combien import __version__
from combien.web import api, errors, metrics, pages

STATIC = Path(__file__).parent / "static"


def create_app(db: str | None = None, *, ingest: bool = False) -> FastAPI:
    """The app over the run store `db` (default: $COMBIEN_DB or ~/.combien/runs.db);
    `ingest`: runs tracked elsewhere may be sent to it (`POST /api/ingest`), into that store."""
    app = FastAPI(
        title="combien",
        version=__version__,
        description="How much does it cost to train and run an AI model: the same documents "
        "as `combien ... --format json`.",
    )
    app.state.db, app.state.ingest = db, ingest
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(metrics.router)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        return FileResponse(_static_file(name), headers={"Cache-Control": "max-age=3600"})

    return app


def _static_file(name: str) -> Path:
    if name == "plotly.min.js":  # Plotly's own bundle, from the installed package
        import plotly

        return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    path = STATIC / name
    if path.parent != STATIC or not path.is_file():
        raise errors.NotFound(f"no static file {name!r}")
    return path
