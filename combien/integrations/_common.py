"""What the framework callbacks share: one Tracker per training, driven from the hooks.

`TrainingSession` starts the tracker when training starts, reports progress and phases, prints a
one-line summary, and stops it at the end. No call lets an exception out into the training loop:
each failure is logged as a warning on the `combien.integrations` logger.
"""

from __future__ import annotations

import atexit
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from combien.measure.tracker import Tracker

log = logging.getLogger("combien.integrations")

Summary = bool | Callable[[str], object]


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Run a block; an exception in it is logged, never raised into training."""
    try:
        yield
    except Exception as exc:
        log.warning("combien: %s failed (training goes on): %r", what, exc)


class TrainingSession:
    """Drives a Tracker from a framework's hooks.

    With no `tracker`, one is made from `options` (bad options fail here, before training), and a
    fresh one for each later training. A tracker that this session started is stopped by it; one
    that was already running when training began is left to its owner. If the process exits while
    a training is still running (frameworks with no exception hook), the run is stopped as
    "failed" after an uncaught exception, else "interrupted".
    """

    def __init__(self, tracker: Tracker | None, summary: Summary, options: dict[str, Any]) -> None:
        if tracker is not None and options:
            raise ValueError(
                f"CombienCallback: pass tracker= or Tracker options ({', '.join(options)}), "
                "not both"
            )
        self.owned = tracker is None
        self.options = options
        self.tracker = tracker if tracker is not None else Tracker(**options)
        self.printer: Callable[[str], object] | None = print if summary is True else summary or None
        self.started = False
        self.done = 0.0
        self._phase: tuple[str, AbstractContextManager[None]] | None = None

    @property
    def running(self) -> bool:
        return self.tracker.status == "running"

    def begin(self) -> None:
        """Training starts: start the tracker (a new one if ours was used before)."""
        with guarded("starting the tracker"):
            self.done = 0.0
            if self.owned and self.tracker.status != "created":
                if self.running:  # a previous training that never reported its end
                    self.tracker.stop("failed")
                self.tracker = Tracker(**self.options)
            self.started = self.tracker.status == "created"
            if self.started:
                self.tracker.start()
                atexit.register(self._at_exit)

    def progress(self, done: float, total: float | None) -> None:
        """`done` units of `total` (None: unknown) are done."""
        if not self.running:
            return
        with guarded("progress"):
            self.done = done
            self.tracker.progress(done, total if total and total > 0 else None)

    def enter_phase(self, name: str) -> None:
        """A named phase (validation, evaluation) starts; one already open is kept."""
        if not self.running or self._phase is not None:
            return
        with guarded(f"phase {name!r}"):
            manager = self.tracker.phase(name)
            manager.__enter__()
            self._phase = (name, manager)

    def exit_phase(self) -> None:
        """The open phase, if any, ends."""
        if self._phase is None:
            return
        name, manager = self._phase
        self._phase = None
        with guarded(f"phase {name!r}"):
            manager.__exit__(None, None, None)

    def report(self) -> None:
        """Print (or pass to the summary callable) the tracker's one-line summary."""
        if self.printer is None or not self.running:
            return
        with guarded("summary"):
            self.printer(self.tracker.summary())

    def end(self, status: str = "finished") -> None:
        """Training ends: a finished run's forecast is closed at what was done; stop."""
        self.exit_phase()
        if not (self.started and self.running):
            return
        with guarded("stopping the tracker"):
            atexit.unregister(self._at_exit)
            if status == "finished" and self.done > 0:
                self.tracker.progress(self.done, self.done)
            self.tracker.stop(status)

    def _at_exit(self) -> None:
        kind = getattr(sys, "last_type", None)
        crashed = kind is not None and not issubclass(kind, KeyboardInterrupt)
        self.end("failed" if crashed else "interrupted")
