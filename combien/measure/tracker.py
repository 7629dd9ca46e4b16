"""The tracker: measures a job's energy while it runs, writes it as it goes, forecasts the rest.

    with Tracker(location="FR", project="llm") as t:          # or t.start() / t.stop()
        with t.phase("train"):
            for step in range(1000):
                ...
                t.progress(step + 1, 1000)
    t.bill()          # the measured Bill (combien.bill/1 + a `run` object)

A facade over parts that do not know one another:

    sampler       the sensors, read in the background → a Measurement (J per device, seconds)
    recorder      the run store, or a fallback file when the store cannot be written
    remote        a copy of the run posted to a combien server (`server=URL`), spooled on disk
                  while it cannot be reached
    accounting    progress and its forecast, the notes on the run
    distributed   one reader per node, rank 0 records the run for all nodes
    probe         the sensors this machine has
    command       `combien track`: runs a command under a tracker (signals, reaping, live line)

Power meters are read every `interval_s`; cumulative counters (NVML energy, RAPL, CPU time)
every `counter_interval_s` (default: the flush interval; sooner where a counter could wrap), at
phase boundaries and at the end; the store is written at the start (the run, this process's pid)
and every `flush_s`. The bill is `combien.measure.measured`'s: the tracker never computes one
itself, and a second after `start()` a thread of its own makes one and throws it away, so that
the code and tables a bill needs are loaded before `stop()`. Nothing the
tracker does raises into the job: sensor and store failures become events, notes and lines on
stderr, and the run goes on in a fallback file if the store fails; what could not be sent to
the server by the end is said in the notes and on stderr. A Ctrl-C during `stop()` waits until
the run is written.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from combien.measure.accounting import Accounting
from combien.measure.clock import Clock, SystemClock
from combien.measure.distributed import Ranks, gather, join_ranks, node_name
from combien.measure.forecast import Forecast
from combien.measure.options import check_options, checked_server, checked_site
from combien.measure.recorder import Recorder
from combien.measure.sampler import Measurement, Reading, Sampler, Schedule, debug
from combien.measure.sensors import ESTIMATED, MEASURED, Sensor

if TYPE_CHECKING:
    from combien.measure.remote import Remote

Decorated = TypeVar("Decorated", bound=Callable[..., Any])

#: this long after `start()`, the billing code and the catalog (numpy, the engine, the reference
#: tables: ~0.15 s of CPU, spent once whatever the run) are loaded by a thread of their own, so
#: that `stop()` of a run longer than this only runs the Monte Carlo (~15 ms); a shorter run
#: loads them at its stop
LOAD_BILLING_AFTER_S = 1.0


class Tracker:
    """Measure the energy of a job and turn it into a Bill.

    `server`: the address of a combien server (`combien serve --ingest`) that the run is also
    posted to as it goes. `clock` is where time comes from: the machine's by default; tests
    pass `combien.testing.ManualClock` to replay a run the same way on any machine.
    """

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
        server: str | None = None,
        clock: Clock | None = None,
        **site: Any,
    ) -> None:
        self.site = checked_site(site)
        self.server = checked_server(server)
        check_options(interval_s=interval_s, flush_s=flush_s, scope=scope, total=total)
        self.project, self.interval_s, self.flush_s = project, interval_s, flush_s
        self.counter_interval_s = counter_interval_s or max(interval_s, flush_s)
        self.scope, self.all_gpus, self.pid, self.db = scope, all_gpus, pid, db
        self.use_store, self.command, self.echo = store, command, echo
        self.distributed = distributed
        #: False: the tree below `pid`, without `pid`'s own CPU time (`combien track`'s way)
        self.include_root = True
        #: the tracked command's pid, when the tracker runs one (stored beside its own pid)
        self.child_pid: int | None = None
        self.id = os.urandom(6).hex()
        self.status = "created"
        self.node = node_name()
        self._sensors_given = sensors
        self._clock = clock or SystemClock()
        self._accounting = Accounting(total)
        self._recorder = Recorder(clock=self._clock, warn=self._alert)
        self._remote: Remote | None = None
        if self.server:  # loaded only for a run that is reported to a server
            from combien.measure.remote import Remote

            self._remote = Remote(
                self.server, spool_dir=_store_folder(db), clock=self._clock, on_event=self._event
            )
        self._sampler = Sampler(
            clock=self._clock,
            node=self.node,
            on_read=self._on_read,
            on_event=self._event,
            on_heartbeat=self._heartbeat,
        )
        self._ranks = Ranks()
        self._final: Measurement | None = None
        #: CPU seconds the one-off background load of the billing code took (0 until it ran)
        self.billing_load_cpu_s = 0.0
        self._billing = threading.Timer(LOAD_BILLING_AFTER_S, self._load_billing)
        self._billing.daemon = True
        self._billing.name = "combien-billing"

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Tracker:
        """Open the sensors and the store, take the first sample, start sampling."""
        if self.status != "created":
            return self
        try:
            self._open()
        except Exception as exc:  # never take the job down
            self._event("tracker-error", f"the tracker could not start fully: {exc}")
        self.status = "running"
        self._sampler.run(Schedule(self.interval_s, self.counter_interval_s, self.flush_s))
        self._billing.start()
        return self

    def _open(self) -> None:
        try:
            self._ranks, self.id = join_ranks(self.id, self.distributed)
            self.distributed = True if self._ranks.active else self.distributed
        except Exception as exc:
            self._event("tracker-error", f"torch.distributed could not be used: {exc}")
        self._sampler.begin(self._open_sensors)
        if self._ranks.rank == 0 and (self.use_store or self._remote):
            import json

            tracked = self.child_pid or (self.pid if self.pid != os.getpid() else None)
            run: dict[str, Any] = {"id": self.id, "project": self.project}
            command = _redacted(self.command) if self.command else None
            run.update(command=command, pid=os.getpid(), child_pid=tracked, scope=self.scope)
            run.update(flush_s=self.flush_s)
            if self._remote:
                self._remote.open(run | {"options": self.site})
            if self.use_store:
                self._recorder.open(self.db, run | {"options": json.dumps(self.site)})
            self._flush()  # the first record: the devices and the first reading

    def attach(self, pid: int) -> None:
        """The command this tracker runs has started as `pid`: recorded with the run."""
        self.child_pid = pid
        try:
            self._recorder.attach(pid)
        except Exception as exc:
            debug("combien attach: %s", exc)

    def _open_sensors(self) -> list[Sensor]:
        if not self._ranks.reader:
            return []  # one reader per node: another rank of this node measures its devices
        if self._sensors_given is not None:
            return list(self._sensors_given)
        try:
            from combien.measure.probe import open_sensors  # only what a machine is probed for

            sensors, notes = open_sensors(
                scope=self.scope,
                all_gpus=self.all_gpus,
                pid=self.pid,
                include_root=self.include_root,
            )
        except Exception as exc:
            self._event("tracker-error", f"no sensor could be opened: {exc}")
            return []
        self.notes.extend(notes)
        return sensors

    def stop(self, status: str = "finished") -> Any:
        """Stop sampling, write the last samples and the bill; returns the Bill (or None).

        A Ctrl-C during `stop()` waits until the run is written, then is raised."""
        if self.status != "running":
            return None
        self.status = status
        with deferred_interrupts() as interrupted:
            bill = self._close(status)
        if interrupted:
            raise KeyboardInterrupt
        return bill

    def _close(self, status: str) -> Any:
        self._billing.cancel()  # not needed any more if it has not begun
        bill = None
        try:
            self._final = gather(self._sampler.end(), self._ranks, self.node)
            bill = self.bill()
        except Exception as exc:
            self._event("tracker-error", f"the tracker could not close cleanly: {exc}")
            debug("combien: %s", exc)
        finally:
            try:  # whatever happened, the last samples and the end of the run are written
                self._flush()
                duration_s = self.measurement().duration_s
                bill = self._close_remote(status, duration_s, bill)
                self._recorder.finish(status, duration_s, bill.to_dict() if bill else None)
            except Exception as exc:
                debug("combien: %s", exc)
        return bill

    def _close_remote(self, status: str, duration_s: float, bill: Any) -> Any:
        """The end of the run to the server; what could not be sent goes in the notes and on
        stderr, and the bill is made again to say so."""
        if self._remote is None:
            return bill
        try:
            unsent = self._remote.close(status, duration_s, bill.to_dict() if bill else None)
            self._flush()  # the events of the last tries, to the store
        except Exception as exc:
            unsent = f"the run could not be reported to the server {self.server} ({exc})"
        if unsent is None:
            return bill
        self._alert(unsent)
        try:
            return self.bill() if bill is not None else None
        except Exception as exc:  # the bill made before stands; the notes say it all
            debug("combien: %s", exc)
            return bill

    def __enter__(self) -> Tracker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        self.stop("interrupted" if interrupted else "failed" if kind else "finished")

    # ------------------------------------------------------------ what the parts tell

    def _on_read(self, reading: Reading) -> None:
        self._recorder.add_samples(reading.samples)
        if reading.counters:
            self._accounting.pair(reading.elapsed_s, reading.energy_j)

    def _load_billing(self) -> None:
        """Once, in the background: a bill made and thrown away loads what `stop()` needs.
        The CPU it took is kept in `billing_load_cpu_s` (one-off, whatever the run's length)."""
        begun = time.thread_time()
        try:
            self.bill()
        except Exception as exc:  # the bill at stop will say what is wrong
            debug("combien: %s", exc)
        self.billing_load_cpu_s = time.thread_time() - begun

    def _heartbeat(self) -> None:
        self._flush()

    def _flush(self) -> None:
        prediction = self.forecast()
        forecast = prediction.to_dict() if prediction else None
        measurement = self.measurement()
        batch = self._recorder.flush(measurement, forecast)
        if self._remote is not None:
            self._remote.send(batch, measurement, forecast)

    def _event(self, code: str, message: str) -> None:
        self._recorder.add_event(code, message)
        self._warn(message)

    def _warn(self, message: str) -> None:
        self.notes.append(message)
        if self.echo:
            sys.stderr.write(f"combien: {message}\n")

    def _alert(self, message: str) -> None:
        """What the user must know whatever `echo` says (the store lost): notes and stderr."""
        self.notes.append(message)
        with suppress(OSError, ValueError):
            sys.stderr.write(f"combien: {message}\n")

    # ------------------------------------------------------------ phases and progress

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Measure a named part of the job (counters are read at both ends)."""
        start = self._sampler.read()
        started_at = self._clock.wall()
        try:
            yield
        finally:
            try:
                used_j = self._sampler.read().energy_j - start.energy_j
                self._recorder.add_phase((name, started_at, self._clock.wall(), used_j))
            except Exception as exc:
                debug("combien phase %s: %s", name, exc)

    def progress(self, done: float, total: float | None = None) -> Forecast | None:
        """Record that `done` units of `total` are done; returns the updated forecast."""
        try:
            self._accounting.progress(done, total)
            return self.forecast()
        except Exception as exc:
            debug("combien progress: %s", exc)
            return None

    def count(self, requests: float = 0, tokens_in: float = 0, tokens_out: float = 0) -> None:
        """Record requests and tokens served (an inference server or benchmark under the
        tracker): the bill then says the measured energy per request and per output token."""
        try:
            self._accounting.count(requests, tokens_in, tokens_out)
        except (TypeError, ValueError) as exc:  # the job goes on; the run says what was refused
            self._accounting.notes.append(f"count() refused: {exc}")

    def step(self, n: float = 1) -> Forecast | None:
        """One more unit of work done (needs `total` set)."""
        return self.progress(self._accounting.done + n)

    def forecast(self) -> Forecast | None:
        """Projected total energy and duration, with a range; None before any progress."""
        return self._accounting.forecast()

    @property
    def total(self) -> float | None:
        """Units of work in the whole run (None: unknown, no forecast)."""
        return self._accounting.total

    @total.setter
    def total(self, value: float | None) -> None:
        self._accounting.total = value

    @property
    def notes(self) -> list[str]:
        """What the bill will say about the measurement (missing sensors, gaps, failures)."""
        return self._accounting.notes

    # ------------------------------------------------------------ results

    def measurement(self) -> Measurement:
        """Each device's energy (J) and the duration so far; after stop, every node's."""
        return self._final if self._final is not None else self._sampler.measurement()

    @property
    def energy_j(self) -> float:
        """Energy measured so far on this node, joules (all devices; every node after stop)."""
        return self.measurement().energy_j

    @property
    def duration_s(self) -> float:
        """Seconds measured so far (frozen at stop)."""
        return self.measurement().duration_s

    @property
    def spool_path(self) -> str | None:
        """The JSON-lines file holding what waits to be sent to the server, if any."""
        path = self._remote.spool_path if self._remote else None
        return str(path) if path else None

    @property
    def fallback_path(self) -> str | None:
        """The JSON-lines file holding the samples when the store cannot be written."""
        return self._recorder.fallback_path

    def bill(self) -> Any:
        """The measured Bill so far (or final, after stop)."""
        from combien.measure.measured import measured_bill

        measurement = self.measurement()
        return measured_bill(
            self.site,
            list(measurement.devices),
            measurement.duration_s,
            run=self.run_info(),
            started_at=self._sampler.wall_started_at,
        )

    def forecast_bill(self) -> Any:
        """The Bill of the whole run, as forecast from its progress so far; None if too early."""
        from combien.measure.measured import forecast_bill

        prediction = self.forecast()
        if prediction is None:
            return None
        measurement = self.measurement()
        return forecast_bill(
            self.site,
            list(measurement.devices),
            measurement.duration_s,
            prediction,
            self._sampler.wall_started_at,
        )

    def run_info(self) -> dict[str, Any]:
        """The `run` object of the bill: who, what, each device and node, forecast, notes."""
        identity = {"id": self.id, "project": self.project, "status": self.status}
        return self._accounting.run_info(identity, self.scope, self.measurement())

    def summary(self) -> str:
        """One line: energy so far and, when known, the forecast."""
        return self._accounting.summary(self.measurement())


def _store_folder(db: str | None) -> Path:
    """The folder of the run store `db` (None: the default store)."""
    from combien.store import default_path

    return (Path(db).expanduser() if db else default_path()).parent


def _redacted(command: str) -> str:
    """A command line with its secrets' values hidden (see `combien.measure.redaction`)."""
    import shlex

    from combien.measure.redaction import redact

    try:
        return shlex.join(redact(shlex.split(command)))
    except ValueError:  # unbalanced quotes: word by word
        return " ".join(redact(command.split()))


@contextmanager
def deferred_interrupts() -> Iterator[list[int]]:
    """Within: a SIGINT that would raise KeyboardInterrupt is held back and listed (in the main
    thread, where Python's own handler is installed); other handlers are left as they are."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield received
        return
    signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


def track(func: Decorated | None = None, **options: Any) -> Any:
    """Decorator: run the function under a Tracker (`@track` or `@track(location="FR")`)."""

    def wrap(inner: Decorated) -> Decorated:
        @functools.wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Tracker(**options):
                return inner(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return wrap(func) if func is not None else wrap


__all__ = ["ESTIMATED", "MEASURED", "Tracker", "track"]
