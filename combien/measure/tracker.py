"""The tracker: reads the sensors while a job runs, writes as it goes, forecasts the rest.

    with Tracker(location="FR", project="llm") as t:          # or t.start() / t.stop()
        with t.phase("train"):
            for step in range(1000):
                ...
                t.progress(step + 1, 1000)
    t.bill()          # the measured Bill (combien.bill/1 + a `run` object)

A background thread reads power-sampled sensors every `interval_s` (they integrate between
samples), and cumulative counters (NVML energy, RAPL, CPU time) every `counter_interval_s`
(default: the flush interval) and at phase boundaries; it flushes to the store every `flush_s`.
Progress is paired with energy at each counter read, for the forecast. Nothing the tracker does
raises into the job: sensor and store failures become events and warnings, and the data stays
in memory (and in a fallback file) when the store is unwritable.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, TypeVar

from combien.data import catalog
from combien.errors import InputError
from combien.fields import NUMBERS, SITE_KEYS, number
from combien.measure.forecast import Forecast, forecast
from combien.measure.probe import open_sensors
from combien.measure.sensors import ESTIMATED, MEASURED, Device, Sensor


def _debug(message: str, *args: object) -> None:
    import logging

    logging.getLogger("combien.tracker").debug(message, *args)


def _fallback_file(run_id: str) -> str:
    import tempfile

    handle, path = tempfile.mkstemp(prefix=f"combien-run-{run_id}-", suffix=".jsonl")
    os.close(handle)
    return path


F = TypeVar("F", bound=Callable[..., Any])


def _check_site(site: dict[str, Any]) -> dict[str, Any]:
    """Validate site options now, before the job starts (names against the catalog)."""
    tables: dict[str, Any] = {
        "location": catalog.locations,
        "facility": catalog.facilities,
        "hardware": catalog.hardware,
    }
    checked: dict[str, Any] = {}
    for key, value in site.items():
        if key in NUMBERS:
            checked[key] = number(key, value)
        elif key in tables:
            tables[key]().get(str(value))  # unknown names fail here
            checked[key] = str(value)
        else:
            checked[key] = value
    return checked


def node_name() -> str:
    """This node's name: COMBIEN_NODE, else the host name."""
    return os.environ.get("COMBIEN_NODE") or socket.gethostname()


class Tracker:
    """Measure the energy of a job and turn it into a Bill."""

    def __init__(
        self,
        *,
        project: str | None = None,
        interval_s: float = 1.0,
        flush_s: float = 5.0,
        counter_interval_s: float | None = None,
        scope: str = "process",
        all_gpus: bool = False,
        pid: int | None = None,
        db: str | None = None,
        store: bool = True,
        sensors: list[Sensor] | None = None,
        total: float | None = None,
        command: str | None = None,
        distributed: bool | None = None,
        echo: bool = False,
        **site: Any,
    ) -> None:
        unknown = set(site) - set(SITE_KEYS)
        if unknown:
            raise InputError(
                f"Tracker: unknown option {sorted(unknown)[0]!r} — site options are "
                f"{', '.join(SITE_KEYS)}"
            )
        self.site = _check_site({k: v for k, v in site.items() if v is not None})
        if not interval_s > 0 or not flush_s > 0:
            raise InputError("Tracker: interval_s and flush_s must be greater than 0")
        if scope not in ("process", "machine"):
            raise InputError(f"Tracker: scope must be 'process' or 'machine', not {scope!r}")
        if total is not None and not total > 0:
            raise InputError("Tracker: total must be greater than 0")
        self.project, self.interval_s, self.flush_s = project, interval_s, flush_s
        self.counter_interval_s = counter_interval_s or max(interval_s, flush_s)
        self.scope, self.all_gpus, self.pid, self.db = scope, all_gpus, pid, db
        self.use_store, self.command, self.echo = store, command, echo
        self.total = total
        self.distributed = distributed
        self.id = os.urandom(6).hex()
        self.status = "created"
        self.node = node_name()
        self.notes: list[str] = []
        self._sensors_given = sensors
        self._sensors: list[Sensor] = []
        self._devices: list[list[Device]] = []
        self._energy: list[list[float]] = []
        self._failed: list[bool] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Any = None
        self._fallback: str | None = None
        self._buffer: list[tuple[float, str, str, float]] = []
        self._events: list[tuple[float, str, str]] = []
        self._phases: list[tuple[str, float, float | None, float | None]] = []
        self._history: list[tuple[float, float, float]] = []
        self._done = 0.0
        self._t0 = 0.0
        self._wall0 = 0.0
        self._last_flush = 0.0
        self._last_counters = 0.0
        self._power_sampled = False
        self._elapsed = 0.0
        self._gathered: list[dict[str, Any]] | None = None
        self._rank = 0
        self._reader = True

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Tracker:
        """Open the sensors and the store, take the first sample, start sampling."""
        if self.status != "created":
            return self
        self._t0, self._wall0 = time.monotonic(), time.time()
        try:
            self._open()
        except Exception as exc:  # never take the job down
            self._event("tracker-error", f"the tracker could not start fully: {exc}")
        self.status = "running"
        self._thread = threading.Thread(target=self._loop, name="combien-tracker", daemon=True)
        self._thread.start()
        return self

    def _open(self) -> None:
        try:
            self._setup_distributed()
        except Exception as exc:
            self._event("tracker-error", f"torch.distributed could not be used: {exc}")
        sensors: list[Sensor] = []
        if not self._reader:
            pass  # one reader per node: another rank of this node measures its devices
        elif self._sensors_given is not None:
            sensors = list(self._sensors_given)
        else:
            try:
                sensors, notes = open_sensors(
                    scope=self.scope, all_gpus=self.all_gpus, pid=self.pid
                )
                self.notes.extend(notes)
            except Exception as exc:
                self._event("tracker-error", f"no sensor could be opened: {exc}")
        self._sensors = sensors
        self._power_sampled = any(sensor.power_sampled for sensor in sensors)
        self._devices = [[d.with_node(self.node) for d in s.devices] for s in sensors]
        self._energy = [[0.0] * len(s.devices) for s in sensors]
        self._failed = [False] * len(sensors)
        self._last_flush = self._t0
        self._tick()
        if self.use_store and self._rank == 0:
            self._open_store()

    def _open_store(self) -> None:
        import json

        from combien.store import Store

        try:
            self._store = Store(self.db)
            self._store.create_run(
                {
                    "id": self.id,
                    "project": self.project,
                    "command": self.command,
                    "status": "running",
                    "started_at": self._wall0,
                    "last_seen": self._wall0,
                    "pid": self.pid or os.getpid(),
                    "scope": self.scope,
                    "flush_s": self.flush_s,
                    "options": json.dumps(self.site),
                }
            )
        except Exception as exc:
            self._store = None
            self._fallback = _fallback_file(self.id)
            self._event(
                "store-unwritable",
                f"the run store cannot be written ({exc}); samples "
                f"are kept in memory and in {self._fallback}",
            )

    def _setup_distributed(self) -> None:
        if self.distributed is False or "torch.distributed" not in sys.modules:
            return  # a job that uses torch.distributed has imported it already
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return
        self.distributed = True
        self._rank = dist.get_rank()
        self._reader = int(os.environ.get("LOCAL_RANK", "0")) == 0
        shared = [self.id]
        dist.broadcast_object_list(shared, src=0)
        self.id = shared[0]

    def stop(self, status: str = "finished") -> Any:
        """Stop sampling, write the last samples and the bill; returns the Bill (or None)."""
        if self.status != "running":
            return None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 3 * self.interval_s))
        bill = None
        try:
            with self._lock:
                self._tick()
                self.status = status
                self._elapsed = time.monotonic() - self._t0
                self._gather()
                bill = self.bill()
                self._flush(final=True)
                if self._store is not None:
                    self._store.finish(
                        self.id, status=status, duration_s=self._elapsed, bill=bill.to_dict()
                    )
        except Exception as exc:
            self._event("tracker-error", f"the tracker could not close cleanly: {exc}")
            _debug("combien: %s", exc)
        finally:
            for sensor in self._sensors:
                with suppress(Exception):
                    sensor.close()
        return bill

    def __enter__(self) -> Tracker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        self.stop("interrupted" if interrupted else "failed" if kind else "finished")

    # ------------------------------------------------------------ sampling

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                now = time.monotonic()
                counters_due = now - self._last_counters >= self.counter_interval_s
                flush_due = now - self._last_flush >= self.flush_s
                if not (counters_due or flush_due or self._power_sampled):
                    continue
                with self._lock:
                    self._tick(power_only=not (counters_due or flush_due))
                    if flush_due:
                        self._flush()
            except Exception as exc:  # keep sampling whatever happens
                _debug("combien tracker tick failed: %s", exc)

    def _tick(self, power_only: bool = False) -> None:
        """Read the sensors (only the power-sampled ones if `power_only`)."""
        now = time.monotonic()
        wall = self._wall0 + (now - self._t0)
        if not power_only:
            self._last_counters = now
        for i, sensor in enumerate(self._sensors):
            if power_only and not sensor.power_sampled:
                continue
            try:
                values = sensor.sample(now)
            except Exception as exc:
                if not self._failed[i]:
                    self._failed[i] = True
                    names = ", ".join(d.key for d in self._devices[i])
                    self._event(
                        "sensor-gap",
                        f"sensor for {names} failed ({exc}); its energy "
                        "is frozen until it answers again",
                    )
                continue
            if self._failed[i]:
                self._failed[i] = False
                self._event("sensor-recovered", "sensor answers again after a gap")
            self._energy[i] = [float(v) for v in values]
            for device, energy in zip(self._devices[i], values, strict=False):
                self._buffer.append((wall, device.node, device.key, float(energy)))
        self._elapsed = now - self._t0
        if not power_only and self.total and self._done > 0:
            self._history.append((self._elapsed, self._done, self.energy_j))

    def _event(self, code: str, message: str) -> None:
        self._events.append((time.time(), code, message))
        self.notes.append(message)
        if self.echo:
            sys.stderr.write(f"combien: {message}\n")

    def _flush(self, final: bool = False) -> None:
        self._last_flush = time.monotonic()
        samples, self._buffer = self._buffer, []
        events, self._events = self._events, []
        phases, self._phases = self._phases, []
        prediction = self.forecast()
        devices = [
            {
                "key": d.key,
                "node": d.node,
                "kind": d.kind,
                "name": d.name,
                "method": d.method,
                "energy_j": e,
            }
            for d, e in self._device_energies()
        ]
        if self._store is not None:
            try:
                self._store.flush(
                    self.id,
                    samples=samples,
                    devices=devices,
                    duration_s=self._elapsed,
                    forecast=prediction.to_dict() if prediction else None,
                    events=events,
                    phases=phases,
                )
                return
            except Exception as exc:
                self._store = None
                self._fallback = _fallback_file(self.id)
                events.append(
                    (
                        time.time(),
                        "store-unwritable",
                        f"the run store failed ({exc}); samples continue in {self._fallback}",
                    )
                )
        if self._fallback:
            import json

            try:
                with open(self._fallback, "a", encoding="utf-8") as fh:
                    for t, node, key, energy in samples:
                        fh.write(
                            json.dumps({"t": t, "node": node, "key": key, "energy_j": energy})
                            + "\n"
                        )
                    for t, code, message in events:
                        fh.write(json.dumps({"t": t, "event": code, "message": message}) + "\n")
            except OSError:
                pass

    # ------------------------------------------------------------ phases and progress

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Measure a named part of the job (counters are read at both ends)."""
        with self._lock:
            self._tick()
            start_energy, start_wall = self.energy_j, time.time()
        try:
            yield
        finally:
            try:
                with self._lock:
                    self._tick()
                    self._phases.append(
                        (name, start_wall, time.time(), self.energy_j - start_energy)
                    )
            except Exception as exc:
                _debug("combien phase %s: %s", name, exc)

    def progress(self, done: float, total: float | None = None) -> Forecast | None:
        """Record that `done` units of `total` are done; returns the updated forecast."""
        try:
            if total is not None:
                self.total = float(total)
            self._done = float(done)
            return self.forecast()
        except Exception as exc:
            _debug("combien progress: %s", exc)
            return None

    def step(self, n: float = 1) -> Forecast | None:
        """One more unit of work done (needs `total` set)."""
        return self.progress(self._done + n)

    def forecast(self) -> Forecast | None:
        """Projected total energy and duration, with a range; None before any progress."""
        if not self.total or not self._history:
            return None
        return forecast(self._history, self.total)

    # ------------------------------------------------------------ results

    def _device_energies(self) -> list[tuple[Device, float]]:
        pairs = zip(self._devices, self._energy, strict=True)
        return [(d, e) for devs, es in pairs for d, e in zip(devs, es, strict=True)]

    @property
    def energy_j(self) -> float:
        """Energy measured so far on this node, joules (all devices)."""
        return sum(e for es in self._energy for e in es)

    @property
    def duration_s(self) -> float:
        return self._elapsed if self.status != "running" else time.monotonic() - self._t0

    def _gather(self) -> None:
        if not self.distributed:
            return
        import torch.distributed as dist

        payload = {
            "rank": self._rank,
            "node": self.node,
            "reader": self._reader,
            "devices": [
                dataclasses.asdict(d) | {"energy_j": e} for d, e in self._device_energies()
            ],
        }
        gathered: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, payload)
        self._gathered = [g for g in gathered if g and g["reader"]]
        if self._rank == 0:  # the run holds every node's devices
            self._devices, self._energy = [], []
            for g in self._gathered:
                self._devices.append(
                    [
                        Device(**{k: v for k, v in d.items() if k != "energy_j"})
                        for d in g["devices"]
                    ]
                )
                self._energy.append([d["energy_j"] for d in g["devices"]])

    def bill(self) -> Any:
        """The measured Bill so far (or final, after stop)."""
        from combien.measure.measured import measured_bill

        return measured_bill(
            self.site, self._device_energies(), self.duration_s, run=self.run_info()
        )

    def forecast_bill(self) -> Any:
        """The Bill of the whole run, as forecast from its progress so far; None if too early."""
        from combien.measure.measured import forecast_bill

        prediction = self.forecast()
        if prediction is None:
            return None
        return forecast_bill(self.site, self._device_energies(), self.duration_s, prediction)

    def run_info(self) -> dict[str, Any]:
        from combien.units import kwh_from_j

        devices: list[dict[str, Any]] = []
        nodes: dict[str, float] = {}
        for device, energy in self._device_energies():
            kwh = kwh_from_j(energy)
            devices.append(
                {
                    "node": device.node,
                    "key": device.key,
                    "kind": device.kind,
                    "name": device.name,
                    "energy_kwh": kwh,
                    "method": device.method,
                }
            )
            nodes[device.node] = nodes.get(device.node, 0.0) + kwh
        prediction = self.forecast()
        return {
            "id": self.id,
            "project": self.project,
            "status": self.status,
            "duration_s": self.duration_s,
            "scope": self.scope,
            "scope_note": (
                "GPU energy is whole-device; CPU and memory energy attributed to the "
                "tracked process tree"
                if self.scope == "process"
                else "whole machine"
            ),
            "nodes": [{"node": n, "energy_kwh": e} for n, e in sorted(nodes.items())],
            "devices": devices,
            "forecast": prediction.to_dict() if prediction else None,
            "notes": list(dict.fromkeys(self.notes)),
        }

    def summary(self) -> str:
        """One line: energy so far and, when known, the forecast."""
        from combien.units import kwh_from_j, quantity

        text = f"combien: {quantity(kwh_from_j(self.energy_j), 'kWh')} in {self.duration_s:.0f} s"
        prediction = self.forecast()
        if prediction:
            e = prediction.energy_j
            text += (
                f"; {prediction.fraction:.0%} done, forecast "
                f"{quantity(kwh_from_j(e.value), 'kWh')} "
                f"[{quantity(kwh_from_j(e.low), 'kWh')}–{quantity(kwh_from_j(e.high), 'kWh')}]"
            )
        return text


def track(func: F | None = None, **options: Any) -> Any:
    """Decorator: run the function under a Tracker (`@track` or `@track(location="FR")`)."""

    def wrap(inner: F) -> F:
        import functools

        @functools.wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Tracker(**options):
                return inner(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return wrap(func) if func is not None else wrap


__all__ = ["ESTIMATED", "MEASURED", "Tracker", "track"]
