"""A tracker's options, checked when it is made, before the job starts.

Site options (`location`, `facility`, `hardware`, and the numbers of `combien.fields.NUMBERS`)
are the inputs its bill will be made with: names are looked up in the catalog now, so that a
typo fails at once rather than at the end of a long job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from combien.data import catalog
from combien.errors import InputError
from combien.fields import INPUTS, SITE_KEYS
from combien.measure.scope import SCOPES


def checked_site(site: dict[str, Any]) -> dict[str, Any]:
    """Site options checked now, before the job starts (names against the catalog)."""
    unknown = set(site) - set(SITE_KEYS)
    if unknown:
        raise InputError(
            f"Tracker: unknown option {sorted(unknown)[0]!r} — site options are "
            f"{', '.join(SITE_KEYS)}"
        )
    tables: dict[str, Callable[[], Any]] = {
        "location": catalog.locations,
        "facility": catalog.facilities,
        "hardware": catalog.hardware,
    }
    checked: dict[str, Any] = {}
    for key, value in ((k, v) for k, v in site.items() if v is not None):
        if key in tables:
            tables[key]().get(str(value))  # unknown names fail here
            checked[key] = str(value)
        else:  # numbers, choices, names: each parsed by its field, as the bill will
            checked[key] = INPUTS[key].parse(value)
    return checked


def check_options(*, interval_s: float, flush_s: float, scope: str, total: float | None) -> None:
    """The tracker's own options: positive intervals, a known scope, a positive total."""
    import math
    import threading

    for name, value in (("interval_s", interval_s), ("flush_s", flush_s)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(f"Tracker: {name} must be a number of seconds greater than 0")
        if value > threading.TIMEOUT_MAX:
            raise InputError(f"Tracker: {name} must be at most {threading.TIMEOUT_MAX:.0f} s")
    if scope not in SCOPES:
        raise InputError(f"Tracker: scope must be 'process' or 'machine', not {scope!r}")
    if total is not None and not total > 0:
        raise InputError("Tracker: total must be greater than 0")


def checked_server(url: str | None) -> str | None:
    """The address of a combien server to report to: http(s)://host[:port][/path]."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url))
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError as exc:
        raise InputError(f"Tracker: server {url!r} is not an address ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"Tracker: server must be an http:// or https:// address, like "
            f"http://127.0.0.1:8000, not {url!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"Tracker: server {url!r} must be a bare address (no ?query, #, user)")
    return str(url).rstrip("/")
