"""The sampler: reads the sensors while a job runs, and keeps what each device has used.

A window over some sensors. `begin(open_sensors)` starts it, opens the sensors and reads them a
first time; `measurement()` is what was measured so far — each device's joules and the seconds
elapsed — and `end()` reads them a last time, closes them and returns the final measurement.
In between, `run(schedule)` reads in the background on the clock's repeated callback: sensors
that integrate power samples every `interval_s`, cumulative counters (energy, CPU time) every
`counter_interval_s`, and both whenever the heartbeat (`heartbeat_s`) is due, just before it is
called. Each reading goes to `on_read`; a sensor that fails, and answers again, to `on_event`.
The sampler knows nothing of stores, progress or bills.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import NamedTuple

from combien.measure.clock import Clock, Repeating
from combien.measure.sensors import Device, Sensor


def debug(message: str, *args: object) -> None:
    """To the `combien.tracker` logger (logging is loaded only when something goes wrong)."""
    import logging

    logging.getLogger("combien.tracker").debug(message, *args)


Sample = tuple[float, str, str, float]
"""One device in one reading: (wall time, node, device key, joules since the window began)."""


@dataclass(frozen=True)
class Measurement:
    """What a window measured: each device with its energy (J), over `duration_s` seconds."""

    devices: tuple[tuple[Device, float], ...] = ()
    duration_s: float = 0.0

    @property
    def energy_j(self) -> float:
        """All devices together, joules."""
        return sum(energy for _, energy in self.devices)


class Reading(NamedTuple):
    """One pass over the sensors: when, the energy so far, and the new samples."""

    elapsed_s: float
    energy_j: float
    samples: tuple[Sample, ...]
    counters: bool  # True when every sensor was read, False for power-sampled ones only


class Schedule(NamedTuple):
    """How often the background reads: power meters, counters, and the heartbeat."""

    interval_s: float
    counter_interval_s: float
    heartbeat_s: float


def _nothing(*_: object) -> None:
    """The default callback."""


class Sampler:
    """Reads sensors on demand and in the background; keeps each device's energy."""

    def __init__(
        self,
        *,
        clock: Clock,
        node: str = "",
        on_read: Callable[[Reading], None] = _nothing,
        on_event: Callable[[str, str], None] = _nothing,
        on_heartbeat: Callable[[], None] = _nothing,
    ) -> None:
        self.clock, self.node = clock, node
        self.lock = threading.RLock()
        self.sensors: list[Sensor] = []
        self._on_read, self._on_event, self._on_heartbeat = on_read, on_event, on_heartbeat
        self._devices: list[tuple[Device, ...]] = []
        self._energy: list[list[float]] = []
        self._failed: list[bool] = []
        self._started_at: float | None = None
        self._wall_started_at = 0.0
        self._ended_after_s: float | None = None
        self._counters_read_at = 0.0
        self._heartbeat_at = 0.0
        self._schedule: Schedule | None = None
        self._repeating: Repeating | None = None

    # ------------------------------------------------------------ the window

    def begin(self, open_sensors: Callable[[], list[Sensor]]) -> Reading:
        """Start the window now, open the sensors (`open_sensors()`), read them a first time."""
        with self.lock:
            self._started_at = self._heartbeat_at = self.clock.monotonic()
            self._wall_started_at = self.clock.wall()
            sensors = list(open_sensors())
            self._devices = [tuple(d.with_node(self.node) for d in s.devices) for s in sensors]
            self._energy = [[0.0] * len(s.devices) for s in sensors]
            self._failed = [False] * len(sensors)
            self.sensors = sensors
            return self.read()

    def end(self) -> Measurement:
        """Stop reading in the background, read a last time, close the sensors."""
        if self._repeating is not None:
            self._repeating.cancel()
            self._repeating = None
        try:
            with self.lock:
                self.read()
                self._ended_after_s = self.elapsed_s()
                return self.measurement()
        finally:
            for sensor in self.sensors:
                with suppress(Exception):
                    sensor.close()

    @property
    def wall_started_at(self) -> float | None:
        """Wall-clock time (Unix seconds) of `begin`; None before it."""
        return None if self._started_at is None else self._wall_started_at

    def elapsed_s(self) -> float:
        """Seconds since `begin` (frozen at `end`; 0 before `begin`)."""
        if self._started_at is None:
            return 0.0
        if self._ended_after_s is not None:
            return self._ended_after_s
        return self.clock.monotonic() - self._started_at

    @property
    def energy_j(self) -> float:
        """All devices together so far, joules."""
        return sum(energy for energies in self._energy for energy in energies)

    def measurement(self) -> Measurement:
        """Each device's energy so far, and the seconds elapsed."""
        with self.lock:
            pairs = zip(self._devices, self._energy, strict=True)
            devices = tuple(
                (device, energy)
                for sensor_devices, energies in pairs
                for device, energy in zip(sensor_devices, energies, strict=True)
            )
            return Measurement(devices, self.elapsed_s())

    # ------------------------------------------------------------ reading

    def read(self, *, power_only: bool = False) -> Reading:
        """Read the sensors (the power-sampled ones only if `power_only`), pass it to on_read."""
        with self.lock:
            if self._started_at is None or self._ended_after_s is not None:
                return Reading(self.elapsed_s(), self.energy_j, (), counters=False)
            now = self.clock.monotonic()
            if not power_only:
                self._counters_read_at = now
            wall = self._wall_started_at + (now - self._started_at)
            samples: list[Sample] = []
            for index, sensor in enumerate(self.sensors):
                if sensor.power_sampled or not power_only:
                    samples.extend(self._read_sensor(index, now, wall))
            reading = Reading(now - self._started_at, self.energy_j, tuple(samples), not power_only)
            self._on_read(reading)
            return reading

    def _read_sensor(self, index: int, now: float, wall: float) -> list[Sample]:
        """One sensor's samples; a failure freezes its energy and is told once, as a gap."""
        devices = self._devices[index]
        try:
            values = [float(value) for value in self.sensors[index].sample(now)]
        except Exception as exc:
            if not self._failed[index]:
                self._failed[index] = True
                names = ", ".join(device.key for device in devices)
                self._on_event(
                    "sensor-gap",
                    f"sensor for {names} failed ({exc}); its energy is frozen until it "
                    "answers again",
                )
            return []
        if self._failed[index]:
            self._failed[index] = False
            self._on_event("sensor-recovered", "sensor answers again after a gap")
        for code, problem in self.sensors[index].problems():
            self._on_event(code, problem)
        self._energy[index] = values
        return [
            (wall, device.node, device.key, energy)
            for device, energy in zip(devices, values, strict=False)
        ]

    # ------------------------------------------------------------ in the background

    def run(self, schedule: Schedule) -> None:
        """Read in the background, on the clock's repeated callback, until `end()`."""
        self._schedule = schedule
        self._repeating = self.clock.repeat(schedule.interval_s, self._on_interval)

    def _on_interval(self) -> None:
        try:
            self._read_what_is_due()
        except Exception as exc:  # keep sampling whatever happens
            debug("combien tracker tick failed: %s", exc)

    def _read_what_is_due(self) -> None:
        schedule = self._schedule
        if schedule is None:
            return
        now = self.clock.monotonic()
        limits = [s.max_interval_s for s in self.sensors if s.max_interval_s]
        counter_interval_s = min([schedule.counter_interval_s, *limits])
        counters_due = now - self._counters_read_at >= counter_interval_s
        heartbeat_due = now - self._heartbeat_at >= schedule.heartbeat_s
        if counters_due or heartbeat_due or any(s.power_sampled for s in self.sensors):
            self.read(power_only=not (counters_due or heartbeat_due))
        if heartbeat_due:
            self._heartbeat_at = self.clock.monotonic()
            self._on_heartbeat()
