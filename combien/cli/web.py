"""`combien serve`: the dashboard and JSON API over the run store (extra `combien[web]`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from combien.cli._app import DbOpt, app
from combien.errors import InputError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    db: DbOpt = None,
    ingest: Annotated[
        bool,
        typer.Option(
            "--ingest",
            help="Take runs tracked on other machines (combien track --server URL) into the store.",
        ),
    ] = False,
) -> None:
    """Serve the dashboard and the JSON API (estimate, serving, runs live, the field)."""
    try:
        import uvicorn

        from combien.web import create_app
    except ImportError:
        raise InputError("combien serve needs the web extra — pip install 'combien[web]'") from None
    where = "loopback only" if host in LOOPBACK else "reachable from the network: no login"
    taking = ", taking runs at /api/ingest" if ingest else ""
    sys.stderr.write(f"combien: serving on http://{host}:{port} ({where}{taking}); Ctrl-C stops\n")
    uvicorn.run(create_app(db, ingest=ingest), host=host, port=port, log_level="warning")
