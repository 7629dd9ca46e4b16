"""AMD GPUs through AMD SMI (the `amdsmi` Python bindings shipped with ROCm).

Energy comes from `amdsmi_get_energy_count` — an accumulator times its resolution in µJ (the key
is `energy_accumulator` since amdsmi 6.2.1, `power` before) — where the GPU supports it, else
from `amdsmi_get_power_info` (W) sampled and integrated. Visible GPUs follow
`HIP_VISIBLE_DEVICES`, `ROCR_VISIBLE_DEVICES` or `CUDA_VISIBLE_DEVICES`; `all_gpus=True` takes
every GPU. The module can be injected (tests pass a fake of the library).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from combien.measure.nvml import visible_indices
from combien.measure.sensors import MEASURED, Device, Sensor, SensorUnavailable, counter_delta
from combien.units import MICRO

VISIBILITY = ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")


def _counter_uj(reading: dict[str, Any]) -> float:
    """µJ from an energy-count reading, under either key name."""
    count = reading["energy_accumulator"] if "energy_accumulator" in reading else reading["power"]
    return float(count) * float(reading["counter_resolution"])


class AmdSmiSensor(Sensor):
    """Energy of the visible AMD GPUs."""

    def __init__(self, *, all_gpus: bool = False, amdsmi: Any = None) -> None:
        if amdsmi is None:
            try:
                import amdsmi as module  # type: ignore[import-not-found]
            except ImportError:
                raise SensorUnavailable("amdsmi is not installed (it comes with ROCm)") from None
            amdsmi = module
        self.smi = amdsmi
        try:
            amdsmi.amdsmi_init()
            handles = list(amdsmi.amdsmi_get_processor_handles())
        except Exception as exc:  # AmdSmiLibraryException, OSError: no driver
            raise SensorUnavailable(f"AMD SMI cannot start ({exc})") from None
        uuids = [str(amdsmi.amdsmi_get_gpu_device_uuid(h)) for h in handles]
        env = next((os.environ[v] for v in VISIBILITY if v in os.environ), None)
        indices = visible_indices(len(handles), uuids, env, all_gpus)
        if not indices:
            self.close()
            raise SensorUnavailable("no AMD GPU visible to this process")
        self.handles = [handles[i] for i in indices]
        self.devices = tuple(
            Device(f"gpu{i}", "gpu", self._name(handles[i]), MEASURED) for i in indices
        )
        starts = [self._counter(h) for h in self.handles]
        self.counter = [s is not None for s in starts]
        self.power_sampled = not all(self.counter)
        self._last_raw = [s or 0.0 for s in starts]
        self._energy = [0.0] * len(self.handles)
        self._last: list[tuple[float, float] | None] = [None] * len(self.handles)

    def _name(self, handle: Any) -> str:
        try:
            return str(self.smi.amdsmi_get_gpu_asic_info(handle)["market_name"])
        except Exception:
            return "AMD GPU"

    def _counter(self, handle: Any) -> float | None:
        try:
            return _counter_uj(self.smi.amdsmi_get_energy_count(handle))
        except Exception:
            return None

    def _power_w(self, handle: Any) -> float:
        info = self.smi.amdsmi_get_power_info(handle)
        for key in ("average_socket_power", "current_socket_power"):
            value = info.get(key)
            if isinstance(value, int | float) and value > 0:
                return float(value)
        raise SensorUnavailable("no power reading")

    def sample(self, now: float) -> list[float]:
        for i, handle in enumerate(self.handles):
            if self.counter[i]:
                reading = _counter_uj(self.smi.amdsmi_get_energy_count(handle))
                delta = counter_delta(self, self.devices[i], self._last_raw[i], reading)
                self._last_raw[i] = reading
                self._energy[i] += delta * MICRO
            else:
                power = self._power_w(handle)
                last = self._last[i]
                if last is not None:
                    self._energy[i] += (last[1] + power) / 2 * max(0.0, now - last[0])
                self._last[i] = (now, power)
        return list(self._energy)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.smi.amdsmi_shut_down()
