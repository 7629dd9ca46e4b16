"""A run reported to a combien server as it goes (`Tracker(server=URL)`, `combien track
--server URL`); the server is `combien serve --ingest`, and the local store stays the record.

The tracker hands each flush to `send`, which only queues it: a daemon thread posts the batches,
oldest first, to `URL/api/ingest` (JSON, with the standard library and short timeouts). Each
batch carries the run's columns and its sequence number, so the first to arrive creates the run
and a batch sent again (its answer lost) is stored once. While the server cannot be reached, the
batches wait in a spool file beside the store (one request body a line), and are sent again
after a pause that grows to `RETRY_MAX_S`; `close` queues the end of the run and its bill and
tries once more, for at most `CLOSE_WAIT_S`. What is still unsent then is named in one line
(how many samples, the spool file) for the run's notes and stderr. Nothing here raises into
the job: a failure becomes an event (`server-unreachable`, `server-reached`, `server-refused`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from combien.measure.clock import Clock
from combien.measure.recorder import Batch, device_rows
from combien.measure.sampler import Measurement, debug

#: seconds a request may take (connecting, sending, the answer)
TIMEOUT_S = 3.0
#: the first pause after a failed post, seconds; it doubles up to `RETRY_MAX_S`
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
#: how long `close` waits for the last batches to be sent, seconds
CLOSE_WAIT_S = 10.0
#: samples per request at most (a long flush interval is sent in several)
CHUNK = 10_000


@dataclass
class _Item:
    """A batch waiting to be sent: its body in memory, or where it is in the spool file."""

    seq: int
    samples: int
    body: bytes | None
    offset: int | None = None


class Remote:
    """Posts a run's batches to a server in the background; spools what it cannot send."""

    def __init__(
        self,
        url: str,
        *,
        spool_dir: Path,
        clock: Clock,
        on_event: Callable[[str, str], None],
    ) -> None:
        self.url = url.rstrip("/")
        self.spool_path: Path | None = None
        self._spool_dir, self._clock, self._on_event = spool_dir, clock, on_event
        self._run: dict[str, Any] = {}
        self._queue: deque[_Item] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._failing: str | None = None  # why the last post failed
        self._refused: str | None = None  # the server's answer to a batch it will not take
        self._spool_error: str | None = None
        self._retry_at = 0.0
        self._pause_s = RETRY_FIRST_S
        self._done = False

    def open(self, run: dict[str, Any]) -> None:
        """Start reporting `run` (its id and the columns of the store's `runs`)."""
        from combien.store import this_host

        self._run = {"host": this_host(), "started_at": self._clock.wall(), **run}
        self._thread = threading.Thread(target=self._loop, name="combien-remote", daemon=True)
        self._thread.start()

    def send(self, batch: Batch, measurement: Measurement, forecast: dict[str, Any] | None) -> None:
        """Queue a flush: its samples, events and phases, the totals so far (never blocks);
        nothing before `open` or after `close`."""
        if self._thread is None or self._closing.is_set():
            return
        samples = [list(sample) for sample in batch.samples]
        chunks = [samples[i : i + CHUNK] for i in range(0, len(samples), CHUNK)] or [[]]
        for chunk in chunks[:-1]:
            self._queue_body({"samples": chunk}, len(chunk))
        last = {
            "samples": chunks[-1],
            "events": [list(event) for event in batch.events],
            "phases": [list(phase) for phase in batch.phases],
            "devices": device_rows(measurement),
            "duration_s": measurement.duration_s,
            "forecast": forecast,
        }
        self._queue_body(last, len(chunks[-1]))

    def close(self, status: str, duration_s: float, bill: dict[str, Any] | None) -> str | None:
        """Queue the end of the run, try to send what waits (at most `CLOSE_WAIT_S`); None when
        the server has everything, else one line saying what it lacks and where it is kept."""
        thread = self._thread
        if thread is None:
            return None
        finish = {"status": status, "duration_s": duration_s, "ended_at": self._clock.wall()}
        self._queue_body({"finish": finish | {"bill": bill}}, 0)
        self._closing.set()
        self._wake.set()
        thread.join(CLOSE_WAIT_S)
        with self._lock:
            self._done = True  # a post still under way no longer changes what is reported
            left = list(self._queue)
            if not left:
                return None
            self._spool(left)
            return self._unsent(left)

    # ------------------------------------------------------------ in the background

    def _queue_body(self, body: dict[str, Any], samples: int) -> None:
        with self._lock:
            self._seq += 1
            encoded = json.dumps({"run": self._run, "seq": self._seq, **body}).encode()
            self._queue.append(_Item(self._seq, samples, encoded))
        self._wake.set()

    def _loop(self) -> None:
        while True:
            closing = self._closing.is_set()
            try:
                if self._refused or (not closing and time.monotonic() < self._retry_at):
                    with self._lock:  # not sending now: what arrives waits on disk
                        self._spool(list(self._queue))
                else:
                    self._deliver()
            except Exception as exc:  # never take the job down, but say it (backing off)
                try:
                    self._failed(f"{type(exc).__name__}: {exc}")
                except Exception as again:  # the spool itself fails: nothing left to say it in
                    debug("combien remote: %s; %s", exc, again)
            if closing:
                return
            retrying = self._failing is not None and self._refused is None
            self._wake.wait(max(0.0, self._retry_at - time.monotonic()) if retrying else None)
            self._wake.clear()

    def _deliver(self) -> None:
        """Post the waiting batches in order; stop at the first that fails."""
        while True:
            with self._lock:
                if self._done or not self._queue:
                    return
                item = self._queue[0]
                body = item.body if item.body is not None else self._read(item)
            problem, permanent = self._post(body)
            with self._lock:
                if self._done:
                    return
                if problem is None:
                    self._queue.popleft()
                    if not self._queue:
                        self._spool_sent()
                elif permanent:
                    self._refused = problem
                    self._spool(list(self._queue))
            if problem is None:
                self._sent()
            elif permanent:
                self._on_event(
                    "server-refused", f"the server {self.url} refused the run: {problem}"
                )
                return
            else:
                self._failed(problem)
                return

    def _post(self, body: bytes) -> tuple[str | None, bool]:
        """(None, _) when the server stored it; else (why, whether sending again is useless)."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{self.url}/api/ingest",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                answer.read()
            return None, False
        except urllib.error.HTTPError as exc:
            retry = exc.code in (408, 429) or exc.code >= 500
            return f"HTTP {exc.code} {_message(exc)}", not retry
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, cut
            reason = getattr(exc, "reason", None) or exc
            return str(reason), False

    def _sent(self) -> None:
        if self._failing is not None:
            self._failing = None
            self._on_event("server-reached", f"the server {self.url} answers again")
        self._retry_at, self._pause_s = 0.0, RETRY_FIRST_S

    def _failed(self, problem: str) -> None:
        if self._failing is None:
            with self._lock:
                self._spool(list(self._queue))
            where = f"; the run waits in {self.spool_path}" if self.spool_path else ""
            self._on_event(
                "server-unreachable",
                f"the server {self.url} cannot be reached ({problem}){where} and is tried again",
            )
        self._failing = problem
        self._retry_at = time.monotonic() + self._pause_s
        self._pause_s = min(2 * self._pause_s, RETRY_MAX_S)

    # ------------------------------------------------------------ the spool file (under the lock)

    def _spool(self, items: list[_Item]) -> None:
        """Move the bodies of `items` still in memory to the end of the spool file."""
        waiting = [item for item in items if item.body is not None]
        if not waiting:
            return
        try:
            path = self.spool_path or self._create_spool()
            with open(path, "ab") as file:
                for item in waiting:
                    assert item.body is not None
                    item.offset = file.tell()
                    file.write(item.body + b"\n")
        except OSError as exc:
            self._spool_error = str(exc)
            return
        for item in waiting:
            item.body = None

    def _create_spool(self) -> Path:
        """The spool file beside the store, else in the temporary folder; private (0600)."""
        import tempfile

        name = f"combien-spool-{self._run['id']}.jsonl"
        error: OSError | None = None
        for folder in (self._spool_dir, Path(tempfile.gettempdir())):
            path = folder / name
            try:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
            except OSError as exc:
                error = exc
                continue
            self.spool_path = path
            return path
        assert error is not None
        raise error

    def _read(self, item: _Item) -> bytes:
        assert self.spool_path is not None and item.offset is not None
        with open(self.spool_path, "rb") as file:
            file.seek(item.offset)
            return file.readline().rstrip(b"\n")

    def _spool_sent(self) -> None:
        """Everything was sent: the spool file is no longer needed."""
        if self.spool_path is not None:
            try:
                self.spool_path.unlink()
                self.spool_path = None
            except OSError as exc:
                debug("combien remote: %s", exc)

    def _unsent(self, left: list[_Item]) -> str:
        samples = sum(item.samples for item in left)
        why = self._refused or self._failing or "no answer in time"
        what = f"{samples} samples (in {len(left)} batches, with the end of the run)"
        if self.spool_path is not None and all(item.body is None for item in left):
            kept = (
                f"they are kept in {self.spool_path}, one body of POST {self.url}/api/ingest "
                "a line (sending one again is safe)"
            )
        else:
            kept = f"they could not be kept on disk either ({self._spool_error})"
        return f"{what} were not sent to the server {self.url} ({why}); {kept}"


def _message(error: Any) -> str:
    """The one-line message of the server's error answer (its JSON `error.message`)."""
    try:
        return str(json.loads(error.read())["error"]["message"])
    except Exception:
        return str(error.reason)
