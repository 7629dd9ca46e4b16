"""NVIDIA GPUs through NVML (nvidia-ml-py).

Energy comes from the total-energy counter (`nvmlDeviceGetTotalEnergyConsumption`, millijoules
since the driver loaded; Volta and later) where the GPU supports it, else from power samples
(`nvmlDeviceGetPowerUsage`, milliwatts) integrated over time. By default only the GPUs the process
can see (`CUDA_VISIBLE_DEVICES`) are measured; `all_gpus=True` takes every GPU of the machine.
The NVML module can be injected (tests pass a fake of the library; nothing else is faked).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from combien.measure.sensors import MEASURED, Device, Sensor, SensorUnavailable, counter_delta
from combien.units import MILLI


def visible_indices(count: int, uuids: list[str], env: str | None, all_gpus: bool) -> list[int]:
    """GPU indices named by CUDA_VISIBLE_DEVICES (indices or UUID prefixes), or all of them."""
    if all_gpus or env is None:
        return list(range(count))
    chosen: list[int] = []
    for item in (part.strip() for part in env.split(",")):
        if not item:
            continue
        if item.isdigit():
            index = int(item)
            if index >= count:
                break  # CUDA stops at the first invalid entry
            chosen.append(index)
            continue
        matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(item)]
        if len(matches) != 1:
            break
        chosen.append(matches[0])
    return chosen


class NvmlSensor(Sensor):
    """Energy of the visible NVIDIA GPUs."""

    def __init__(self, *, all_gpus: bool = False, nvml: Any = None) -> None:
        if nvml is None:
            try:
                import pynvml
            except ImportError as exc:  # pragma: no cover - a dependency of combien
                raise SensorUnavailable("nvidia-ml-py is not installed") from exc
            nvml = pynvml
        self.nvml = nvml
        try:
            nvml.nvmlInit()
        except Exception as exc:  # NVMLError and OSError: no driver
            raise SensorUnavailable(f"NVML cannot start ({exc})") from None
        count = nvml.nvmlDeviceGetCount()
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        uuids = [_text(nvml.nvmlDeviceGetUUID(h)) for h in handles]
        env = os.environ.get("CUDA_VISIBLE_DEVICES")
        indices = visible_indices(count, uuids, env, all_gpus)
        if not indices:
            nvml.nvmlShutdown()
            raise SensorUnavailable("no GPU visible to this process")
        self.handles = [handles[i] for i in indices]
        self.devices = tuple(
            Device(f"gpu{i}", "gpu", _text(nvml.nvmlDeviceGetName(handles[i])), MEASURED)
            for i in indices
        )
        starts = [self._counter(h) for h in self.handles]
        self.counter = [start is not None for start in starts]
        self.power_sampled = not all(self.counter)
        self._last_raw = [start or 0.0 for start in starts]
        self._energy = [0.0] * len(self.handles)
        self._last: list[tuple[float, float] | None] = [None] * len(self.handles)

    @property
    def methods(self) -> list[str]:
        """How each GPU is read: `counter` or `power`."""
        return ["counter" if c else "power" for c in self.counter]

    def _counter(self, handle: Any) -> float | None:
        try:
            return float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(handle))
        except Exception:
            return None

    def sample(self, now: float) -> list[float]:
        for i, handle in enumerate(self.handles):
            if self.counter[i]:
                value = float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(handle))
                delta = counter_delta(self, self.devices[i], self._last_raw[i], value)
                self._last_raw[i] = value
                self._energy[i] += delta * MILLI
            else:
                power_w = float(self.nvml.nvmlDeviceGetPowerUsage(handle)) * MILLI
                last = self._last[i]
                if last is not None:
                    t0, p0 = last
                    self._energy[i] += (p0 + power_w) / 2 * max(0.0, now - t0)
                self._last[i] = (now, power_w)
        return list(self._energy)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.nvml.nvmlShutdown()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
