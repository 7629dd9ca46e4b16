"""The recorder: writes a run to the store as it goes, or to a fallback file when it cannot.

`open(db, run)` creates the run's row. Samples, events and phases are kept (`add_*`) until
`flush(measurement, forecast)` writes them, with the devices' totals and the forecast, in one
short transaction; `finish(...)` writes the end status and the bill. When the store cannot be
written — at the start or later — samples and events go on as JSON lines to a temporary file,
and `warn(message)` says where. A flush never raises.
"""

from __future__ import annotations

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


class _Batch:
    """What is waiting for the next flush."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[Event] = []
        self.phases: list[Phase] = []


class Recorder:
    """A run's writer: the SQLite store, else a JSON-lines fallback file."""

    def __init__(self, *, clock: Clock, warn: Callable[[str], None]) -> None:
        self.clock, self._warn = clock, warn
        self.run_id = ""
        self.fallback_path: str | None = None
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._pending = _Batch()

    def open(self, db: str | None, run: dict[str, Any]) -> None:
        """Create the run (`id` and the other columns of `runs`), running since now, in the
        store at `db` (None: the default store)."""
        self.run_id = run["id"]
        now = self.clock.wall()
        try:
            from combien.store import Store  # sqlite3 is loaded when a run is written

            self._store = Store(db)
            self._store.create_run(run | {"status": "running", "started_at": now, "last_seen": now})
        except Exception as exc:
            self._store = None
            path = self._start_fallback()
            self._problem(
                "store-unwritable",
                f"the run store cannot be written ({exc}); samples are kept in memory and in "
                f"{path}",
            )

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

    def flush(self, measurement: Measurement, forecast: dict[str, Any] | None) -> None:
        """Write what is waiting, the devices' totals and the forecast."""
        with self._lock:
            batch, self._pending = self._pending, _Batch()
        store = self._store
        if store is not None and self._write_store(store, batch, measurement, forecast):
            return
        if self.fallback_path:
            _append_lines(self.fallback_path, batch)

    def finish(self, status: str, duration_s: float, bill: dict[str, Any]) -> None:
        """The run's end: its status, duration and bill."""
        if self._store is None:
            return
        self._store.finish(self.run_id, status=status, duration_s=duration_s, bill=bill)
        self._store.close()
        self._store = None

    def _write_store(
        self,
        store: Store,
        batch: _Batch,
        measurement: Measurement,
        forecast: dict[str, Any] | None,
    ) -> bool:
        """True when written; on failure, the store is left for the fallback file."""
        try:
            store.flush(
                self.run_id,
                samples=batch.samples,
                devices=_device_rows(measurement),
                duration_s=measurement.duration_s,
                forecast=forecast,
                events=batch.events,
                phases=batch.phases,
            )
            return True
        except Exception as exc:
            self._store = None
            path = self._start_fallback()
            message = f"the run store failed ({exc}); samples continue in {path}"
            batch.events.append((self.clock.wall(), "store-unwritable", message))
            self._warn(message)
            return False

    def _start_fallback(self) -> str:
        import tempfile

        handle, self.fallback_path = tempfile.mkstemp(
            prefix=f"combien-run-{self.run_id}-", suffix=".jsonl"
        )
        os.close(handle)
        return self.fallback_path

    def _problem(self, code: str, message: str) -> None:
        self.add_event(code, message)
        self._warn(message)


def _device_rows(measurement: Measurement) -> list[dict[str, Any]]:
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


def _append_lines(path: str, batch: _Batch) -> None:
    """Samples and events as JSON lines at the end of the fallback file (errors ignored)."""
    import json

    lines = [
        {"t": t, "node": node, "key": key, "energy_j": energy}
        for t, node, key, energy in batch.samples
    ] + [{"t": t, "event": code, "message": message} for t, code, message in batch.events]
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.writelines(json.dumps(line) + "\n" for line in lines)
    except OSError:
        pass
