"""Test doubles so that every test runs on a CPU-only machine.

- `FakeSensor`: devices drawing a constant power (optionally failing for a while).
- `ReplaySensor`: replays a recorded power trace (t_s, power_w per device), integrated at the
  sampling instants as a power meter is, optionally faster than real time.
- `FakeNvml`: a stand-in for the `pynvml` module (the hardware boundary), to drive `NvmlSensor`
  with a trace, with or without the energy counter, and to make it fail.
- `FakeAmdSmi`: the same for the `amdsmi` module and `AmdSmiSensor`.
- `ManualClock`: a clock for the tracker that moves only when the test advances it, running
  the tracker's background reads in the test's own thread at their exact times, so that a
  tracked run gives the same numbers on any machine, however loaded.
"""

from __future__ import annotations

import bisect
import csv
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from combien.measure.sensors import MEASURED, Device, Sensor


class FakeSensor(Sensor):
    """Devices at constant power; `fail_between=(t0, t1)` raises while t0 ≤ elapsed < t1."""

    def __init__(
        self,
        power_w: float | Sequence[float] = 100.0,
        *,
        kind: str = "gpu",
        name: str = "Fake GPU",
        method: str = MEASURED,
        fail_between: tuple[float, float] | None = None,
    ) -> None:
        powers = [power_w] if isinstance(power_w, int | float) else list(power_w)
        self.powers = [float(p) for p in powers]
        self.devices = tuple(Device(f"{kind}{i}", kind, name, method) for i in range(len(powers)))
        self.fail_between = fail_between
        self._t0: float | None = None
        self.closed = False

    def sample(self, now: float) -> list[float]:
        if self._t0 is None:
            self._t0 = now
        elapsed = now - self._t0
        if self.fail_between and self.fail_between[0] <= elapsed < self.fail_between[1]:
            raise OSError("fake sensor failure")
        return [p * elapsed for p in self.powers]

    def close(self) -> None:
        self.closed = True


class Trace:
    """A recorded power trace: times (s, from 0) and power (W) per device."""

    def __init__(self, t_s: Sequence[float], power_w: Sequence[Sequence[float]]) -> None:
        self.t_s = list(t_s)
        self.power_w = [list(p) for p in power_w]  # one list per device

    @classmethod
    def from_csv(cls, path: str | Path) -> Trace:
        """Columns: t_s, then one power column per device (W)."""
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [[float(v) for v in row] for row in csv.reader(fh) if row and row[0][0] != "t"]
        return cls([r[0] for r in rows], [[r[i] for r in rows] for i in range(1, len(rows[0]))])

    def power_at(self, device: int, t: float) -> float:
        """Linear interpolation of a device's power at time t (held at the ends)."""
        ts, ps = self.t_s, self.power_w[device]
        if t <= ts[0]:
            return ps[0]
        if t >= ts[-1]:
            return ps[-1]
        i = bisect.bisect_right(ts, t)
        t0, t1, p0, p1 = ts[i - 1], ts[i], ps[i - 1], ps[i]
        return p0 + (p1 - p0) * (t - t0) / (t1 - t0)

    def energy_j(self, device: int) -> float:
        """Exact integral of the (piecewise-linear) trace."""
        ts, ps = self.t_s, self.power_w[device]
        return sum((ps[i] + ps[i + 1]) / 2 * (ts[i + 1] - ts[i]) for i in range(len(ts) - 1))


class ReplaySensor(Sensor):
    """Replays a trace as a power meter; `speed` trace-seconds pass per second of `now`."""

    power_sampled = True

    def __init__(self, trace: Trace, *, speed: float = 1.0, name: str = "Replayed GPU") -> None:
        self.trace, self.speed = trace, speed
        self.devices = tuple(
            Device(f"gpu{i}", "gpu", name, MEASURED) for i in range(len(trace.power_w))
        )
        self._t0: float | None = None
        self._last: float | None = None
        self._energy = [0.0] * len(self.devices)

    def sample(self, now: float) -> list[float]:
        if self._t0 is None:
            self._t0 = now
        t = min((now - self._t0) * self.speed, self.trace.t_s[-1])
        if self._last is not None and t > self._last:
            for i in range(len(self.devices)):
                p0, p1 = self.trace.power_at(i, self._last), self.trace.power_at(i, t)
                self._energy[i] += (p0 + p1) / 2 * (t - self._last)
        self._last = t
        return list(self._energy)


class NVMLError(Exception):
    """Raised by FakeNvml where the real library raises pynvml.NVMLError."""


class FakeNvml:
    """A fake of the `pynvml` module: GPUs whose power follows `power_w(index, t)`.

    `clock()` gives the time; `counter=False` makes the energy counter unsupported (as on GPUs
    before Volta); `fail` (a callable of time) makes every call raise while it returns True.
    """

    def __init__(
        self,
        names: Sequence[str] = ("NVIDIA H100 80GB HBM3",),
        *,
        power_w: Callable[[int, float], float] = lambda i, t: 300.0,
        clock: Callable[[], float] = lambda: 0.0,
        counter: bool = True,
        fail: Callable[[float], bool] = lambda t: False,
        counter_start_mj: float = 123_456_789.0,
    ) -> None:
        self.names = list(names)
        self.power_w, self.clock, self.counter, self.fail = power_w, clock, counter, fail
        self.counter_start_mj = counter_start_mj
        self.initialised = False
        self._energy_mj = [counter_start_mj] * len(self.names)
        self._last_t = [clock()] * len(self.names)

    def _check(self) -> float:
        t = self.clock()
        if self.fail(t):
            raise NVMLError("NVML_ERROR_GPU_IS_LOST")
        return t

    def nvmlInit(self) -> None:
        self._check()
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        return len(self.names)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> str:
        return self.names[handle]

    def nvmlDeviceGetUUID(self, handle: int) -> str:
        return f"GPU-{handle:08d}-fake"

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        t = self._check()
        return round(self.power_w(handle, t) * 1000)

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: int) -> int:
        if not self.counter:
            raise NVMLError("NVML_ERROR_NOT_SUPPORTED")
        t = self._check()
        # integrate the power curve finely, as the board's counter does
        t0 = self._last_t[handle]
        steps = max(1, int((t - t0) * 100))
        for k in range(steps):
            a, b = t0 + (t - t0) * k / steps, t0 + (t - t0) * (k + 1) / steps
            self._energy_mj[handle] += (
                (self.power_w(handle, a) + self.power_w(handle, b)) / 2 * (b - a) * 1000
            )
        self._last_t[handle] = t
        return round(self._energy_mj[handle])


class FakeAmdSmi:
    """A fake of the `amdsmi` module: GPUs whose power follows `power_w(index, t)`.

    `api` is "6.2" (key `energy_accumulator`) or "6.0" (key `power`); `counter=False` makes the
    energy count unsupported; the counter's resolution is 15.3 µJ, as AMD GPUs report.
    """

    RESOLUTION_UJ = 15.3

    def __init__(
        self,
        names: Sequence[str] = ("AMD Instinct MI300X",),
        *,
        power_w: Callable[[int, float], float] = lambda i, t: 500.0,
        clock: Callable[[], float] = lambda: 0.0,
        counter: bool = True,
        api: str = "6.2",
    ) -> None:
        self.names, self.power_w, self.clock = list(names), power_w, clock
        self.counter, self.api = counter, api
        self.initialised = False
        self._uj = [1e12] * len(self.names)
        self._last_t = [clock()] * len(self.names)

    def amdsmi_init(self, *flags: object) -> None:
        self.initialised = True

    def amdsmi_shut_down(self) -> None:
        self.initialised = False

    def amdsmi_get_processor_handles(self) -> list[int]:
        return list(range(len(self.names)))

    def amdsmi_get_gpu_device_uuid(self, handle: int) -> str:
        return f"{handle:04x}-fake-amd"

    def amdsmi_get_gpu_asic_info(self, handle: int) -> dict[str, object]:
        return {"market_name": self.names[handle]}

    def amdsmi_get_power_info(self, handle: int) -> dict[str, object]:
        watts = self.power_w(handle, self.clock())
        return {"average_socket_power": watts, "current_socket_power": "N/A"}

    def amdsmi_get_energy_count(self, handle: int) -> dict[str, float]:
        if not self.counter:
            raise NVMLError("AMDSMI_STATUS_NOT_SUPPORTED")
        t = self.clock()
        t0 = self._last_t[handle]
        steps = max(1, int((t - t0) * 100))
        for k in range(steps):
            a, b = t0 + (t - t0) * k / steps, t0 + (t - t0) * (k + 1) / steps
            watts = (self.power_w(handle, a) + self.power_w(handle, b)) / 2
            self._uj[handle] += watts * (b - a) * 1e6
        self._last_t[handle] = t
        key = "energy_accumulator" if self.api >= "6.2" else "power"
        return {
            key: self._uj[handle] // self.RESOLUTION_UJ,
            "counter_resolution": self.RESOLUTION_UJ,
            "timestamp": int(t * 1e9),
        }


class ManualTimer:
    """A callback that a `ManualClock` repeats at origin + k × interval (k = 1, 2, ...)."""

    def __init__(self, origin_s: float, interval_s: float, callback: Callable[[], None]) -> None:
        self.origin_s, self.interval_s, self.callback = origin_s, interval_s, callback
        self.calls = 0
        self.cancelled = False

    @property
    def next_s(self) -> float:
        return self.origin_s + (self.calls + 1) * self.interval_s

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only by `advance(seconds)`, for `Tracker(clock=...)`.

    `monotonic()` starts at 0; `wall()` is `wall_start` (default: the real time when the clock was
    made) plus the monotonic time. A callback given to `repeat` is not run on a thread: `advance`
    runs each one that falls due on the way, in time order, with the clock set to its due time.
    """

    def __init__(self, wall_start: float | None = None) -> None:
        self.now_s = 0.0
        self.wall_start = time.time() if wall_start is None else wall_start
        self.timers: list[ManualTimer] = []

    def monotonic(self) -> float:
        return self.now_s

    def wall(self) -> float:
        return self.wall_start + self.now_s

    def repeat(self, interval_s: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(self.now_s, interval_s, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds`, running the callbacks that fall due on the way."""
        until = self.now_s + seconds
        while True:
            due = [t for t in self.timers if not t.cancelled and t.next_s <= until]
            if not due:
                break
            timer = min(due, key=lambda t: t.next_s)
            self.now_s = timer.next_s
            timer.calls += 1
            timer.callback()
        self.now_s = until
