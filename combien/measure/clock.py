"""Time for the tracker: monotonic and wall clocks, and a callback repeated in the background.

The sampler asks a `Clock` for the time and for its background loop. `SystemClock` is the real
one (`time.monotonic`, `time.time`, a daemon thread); `combien.testing.ManualClock` moves only
when a test advances it and runs the repeated callbacks in the test's own thread, so that a
tracked run replays the same way on any machine, however loaded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

#: how long `cancel()` waits, at least, for a callback in progress to return
CANCEL_WAIT_S = 5.0


class Repeating(Protocol):
    """A callback being repeated."""

    def cancel(self) -> None:
        """Stop repeating; wait for a call in progress to return."""


class Clock(Protocol):
    """Where the tracker's time comes from."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back."""

    def wall(self) -> float:
        """Seconds since the epoch (for timestamps)."""

    def repeat(self, interval_s: float, callback: Callable[[], None]) -> Repeating:
        """Call `callback` every `interval_s` seconds until cancelled."""


class _RepeatingThread:
    """A daemon thread calling back every interval, until cancelled."""

    def __init__(self, interval_s: float, callback: Callable[[], None]) -> None:
        self._interval_s, self._callback = interval_s, callback
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="combien-tracker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._cancelled.wait(self._interval_s):
            self._callback()

    def cancel(self) -> None:
        self._cancelled.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=max(CANCEL_WAIT_S, 3 * self._interval_s))


class SystemClock:
    """The machine's clocks, and a thread for the repeated callback."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def repeat(self, interval_s: float, callback: Callable[[], None]) -> Repeating:
        return _RepeatingThread(interval_s, callback)
