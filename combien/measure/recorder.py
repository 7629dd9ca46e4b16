"""The recorder: writes a run to the store as it goes, or to a fallback file when it cannot.

`open(db, run)` creates the run's row. Samples, events and phases are kept (`add_*`) until
`flush(measurement, forecast)` writes them, with the devices' totals and the forecast, in one
short transaction; `finish(...)` writes the end status and the bill.

Before each write the store is checked: still the same file, still writable. When it cannot be
written — at the start, deleted or replaced mid-run, disk full — `alert(message)` says so (the
tracker prints it on stderr and puts it in the bill's notes), and the run goes on in a JSON-lines
fallback file: the run's row first, then samples, events, phases, each flush's device totals,
and at the end the status and the bill. At `finish` the store is tried again and the file
imported into it (then removed); if that fails too, the message says how to bring it back:
`combien runs import FILE`. A flush never raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from combien.measure.clock import Clock
from combien.measure.sampler import Measurement, Sample

if TYPE_CHECKING:
    from combien.store import Store

Event = tuple[float, str, str]
"""(wall time, code, message)"""

Phase = tuple[str, float, float | None, float | None]
"""(name, wall time at its start, at its end, joules used during it)"""


class Batch:
    """What is waiting for the next flush."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[Event] = []
        self.phases: list[Phase] = []


class Recorder:
    """A run's writer: the SQLite store, else a JSON-lines fallback file."""

    def __init__(self, *, clock: Clock, warn: Callable[[str], None]) -> None:
        self.clock, self._alert = clock, warn
        self.run_id = ""
        self.fallback_path: str | None = None
        self._db: str | None = None
        self._run: dict[str, Any] = {}
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._pending = Batch()

    def open(self, db: str | None, run: dict[str, Any]) -> None:
        """Create the run (`id` and the other columns of `runs`), running since now, in the
        store at `db` (None: the default store)."""
        self.run_id, self._db = run["id"], db
        now = self.clock.wall()
        self._run = run | {"status": "running", "started_at": now, "last_seen": now}
        try:
            from combien.store import Store  # sqlite3 is loaded when a run is written

            self._store = Store(db)
            self._store.create_run(self._run)
        except Exception as exc:
            self._fail(f"the run store cannot be written ({exc})")

    def attach(self, pid: int) -> None:
        """Record the pid of the command the tracker runs."""
        self._run["child_pid"] = pid
        store = self._store
        if store is not None:
            store.set_child_pid(self.run_id, pid)

    # ------------------------------------------------------------ kept until the next flush

    def add_samples(self, samples: Iterable[Sample]) -> None:
        with self._lock:
            self._pending.samples.extend(samples)

    def add_event(self, code: str, message: str) -> None:
        with self._lock:
            self._pending.events.append((self.clock.wall(), code, message))

    def add_phase(self, phase: Phase) -> None:
        with self._lock:
            self._pending.phases.append(phase)

    # ------------------------------------------------------------ writing

    def flush(self, measurement: Measurement, forecast: dict[str, Any] | None) -> Batch:
        """Write what is waiting, the devices' totals and the forecast; returns what was
        waiting."""
        with self._lock:
            batch, self._pending = self._pending, Batch()
        store = self._store
        if store is not None and self._write_store(store, batch, measurement, forecast):
            return batch
        if self.fallback_path:
            totals = {
                "devices": device_rows(measurement),
                "duration_s": measurement.duration_s,
                "forecast": forecast,
                "t": self.clock.wall(),
            }
            _append_lines(self.fallback_path, [*_batch_lines(batch), totals])
        return batch

    def finish(self, status: str, duration_s: float, bill: dict[str, Any] | None) -> None:
        """The run's end: its status, duration and bill; a run kept in the fallback file is
        brought back into the store if it can be written again."""
        store = self._store
        if store is not None:
            try:
                problem = store.intact()
                if problem:
                    raise OSError(problem)
                store.finish(self.run_id, status=status, duration_s=duration_s, bill=bill)
                store.close()
                self._store = None
                return
            except Exception as exc:
                self._fail(f"the run store failed at the end of the run ({exc})")
        if not self.fallback_path:
            return
        end = {"finish": {"status": status, "duration_s": duration_s, "bill": bill}}
        _append_lines(self.fallback_path, [end])
        self._retry_store()

    def _retry_store(self) -> None:
        path = self.fallback_path
        assert path is not None
        try:
            from combien.store import Store, import_lines

            store = Store(self._db)
            try:
                with open(path, encoding="utf-8") as file:
                    import_lines(store, file)
            finally:
                store.close()
        except Exception as exc:
            self._alert(
                f"the run could not be written to the store ({exc}); it is kept in {path} — "
                f"bring it back with `combien runs import {path}`"
            )
            return
        os.remove(path)
        self.fallback_path = None
        self._alert("the run was written to the store again at its end")

    def _write_store(
        self,
        store: Store,
        batch: Batch,
        measurement: Measurement,
        forecast: dict[str, Any] | None,
    ) -> bool:
        """True when written; on failure, the run goes on in the fallback file."""
        try:
            problem = store.intact()
            if problem:
                raise OSError(problem)
            store.flush(
                self.run_id,
                samples=batch.samples,
                devices=device_rows(measurement),
                duration_s=measurement.duration_s,
                forecast=forecast,
                events=batch.events,
                phases=batch.phases,
                now=self.clock.wall(),
            )
            return True
        except Exception as exc:
            self._fail(f"the run store failed ({exc})", batch)
            return False

    def _fail(self, reason: str, batch: Batch | None = None) -> None:
        """Leave the store for the fallback file: say so, and start the file with the run."""
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()
        if self.fallback_path is None:
            self._start_fallback()
        message = f"{reason}; the run continues in {self.fallback_path}"
        event = (self.clock.wall(), "store-unwritable", message)
        if batch is not None:
            batch.events.append(event)
        else:
            with self._lock:
                self._pending.events.append(event)
        self._alert(message)

    def _start_fallback(self) -> None:
        import tempfile

        handle, self.fallback_path = tempfile.mkstemp(
            prefix=f"combien-run-{self.run_id}-", suffix=".jsonl"
        )
        os.close(handle)
        _append_lines(self.fallback_path, [{"run": self._run}])


def device_rows(measurement: Measurement) -> list[dict[str, Any]]:
    """The store's `devices` rows: each device and its energy so far."""
    return [
        {
            "key": device.key,
            "node": device.node,
            "kind": device.kind,
            "name": device.name,
            "method": device.method,
            "energy_j": energy,
        }
        for device, energy in measurement.devices
    ]


def _batch_lines(batch: Batch) -> list[dict[str, Any]]:
    return (
        [
            {"t": t, "node": node, "key": key, "energy_j": energy}
            for t, node, key, energy in batch.samples
        ]
        + [{"t": t, "event": code, "message": message} for t, code, message in batch.events]
        + [{"phase": list(phase)} for phase in batch.phases]
    )


def _append_lines(path: str, lines: list[dict[str, Any]]) -> None:
    """JSON lines at the end of the fallback file (errors ignored: the data stays in memory)."""
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.writelines(json.dumps(line) + "\n" for line in lines)
    except OSError:
        pass
