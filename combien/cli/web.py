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
    _check_address(host, port)
    where = "loopback only" if host in LOOPBACK else "reachable from the network: no login"
    taking = ", taking runs at /api/ingest" if ingest else ""
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
    sys.stderr.write(f"combien: serving on http://{shown}:{port} ({where}{taking}); Ctrl-C stops\n")
    uvicorn.run(create_app(db, ingest=ingest), host=host, port=port, log_level="warning")


def _check_address(host: str, port: int) -> None:
    """Refuse, before saying that it serves, a host that is not an address of this machine or
    a port it cannot take: the host resolved, then a socket bound there and closed (with
    SO_REUSEADDR, as the server binds)."""
    import ipaddress
    import re
    import socket

    hint = "use an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"
    if re.fullmatch(r"[\d.]+", host):  # dotted digits: an IPv4 address or nothing, never a name
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise InputError(f"--host: {host!r} is not an IPv4 address — {hint}") from None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"--host: cannot resolve {host!r} ({reason}) — {hint}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(_unbindable(host, port, exc, hint)) from None


def _unbindable(host: str, port: int, exc: OSError, hint: str) -> str:
    """Why the server cannot bind `host`:`port`, and what to pass instead."""
    import errno

    if exc.errno == errno.EADDRINUSE:
        return f"--port: {port} is in use on {host} — pass another --port"
    if exc.errno == errno.EACCES:
        return f"--port: {port} needs privileges on this machine — pass a --port above 1023"
    return f"--host: cannot serve on {host} ({exc.strerror or exc}) — {hint}"
