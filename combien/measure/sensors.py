"""Sensors: one small interface over energy counters and power meters.

A sensor exposes the devices it covers and, on each `sample(now)`, the energy (J) each device
used since the sensor was opened. Counter-based sensors (NVML total energy, RAPL) read hardware
counters; power-based ones (NVML power, CPU estimate) integrate power over the sampling instants
(trapezoid rule). `combien.measure.probe.open_sensors` picks what the machine has.

    Sensor
     ├── NvmlSensor      NVIDIA GPUs (nvidia-ml-py): energy counter, else power sampling
     ├── AmdSmiSensor    AMD GPUs (amdsmi, from ROCm): energy counter, else power sampling
     ├── RaplSensor      CPU packages and DRAM (Linux powercap), wrap-around handled
     ├── CpuEstimate     TDP × utilisation + memory power per GB (psutil), marked estimated
     └── combien.testing.FakeSensor / ReplaySensor
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

MEASURED = "measured"
ESTIMATED = "estimated"


class SensorUnavailable(Exception):
    """This sensor cannot work on this machine (no driver, no files, no permission)."""


@dataclass(frozen=True)
class Device:
    """One thing whose energy is counted: a GPU, a CPU package, a DRAM domain."""

    key: str
    kind: str  # "gpu" | "cpu" | "dram"
    name: str
    method: str  # MEASURED | ESTIMATED
    node: str = ""

    def with_node(self, node: str) -> Device:
        return Device(self.key, self.kind, self.name, self.method, node)


class Sensor(ABC):
    """Energy of some devices since the sensor was opened."""

    devices: tuple[Device, ...] = ()
    #: True when energy is integrated from power samples, which must then be frequent; False
    #: when the sensor reads cumulative counters (energy, CPU time), which can be read seldom
    power_sampled: bool = False
    #: the longest a cumulative counter may go unread without losing energy (a counter that
    #: wraps must be read before it can wrap twice); None: any interval will do
    max_interval_s: float | None = None

    @abstractmethod
    def sample(self, now: float) -> list[float]:
        """Cumulative joules per device (same order as `devices`) at monotonic time `now`."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the sensor holds."""

    def problems(self) -> list[tuple[str, str]]:
        """(code, message) of what went wrong since the last call (a counter reset, a figure
        that could not be measured), each said once."""
        found: list[tuple[str, str]] = self.__dict__.pop("_problems", [])
        return found

    def _problem(self, message: str, code: str = "counter-reset") -> None:
        self.__dict__.setdefault("_problems", []).append((code, message))


def counter_delta(sensor: Sensor, device: Device, before: float, after: float) -> float:
    """What a cumulative counter counted between two readings: never negative. A counter that
    went back was reset (a GPU reset, a driver reload): the interval is not counted, and said."""
    if after >= before:
        return after - before
    sensor._problem(
        f"the energy counter of {device.key} ({device.name}) went back (reset); the energy of "
        "the interval of the reset is not counted"
    )
    return 0.0
