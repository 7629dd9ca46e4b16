"""What this machine can measure: the sensors it offers, and why the others are missing.

The factory above the sensor implementations (`sensors` ← `nvml`, `amd`, `rapl`, `cpu` ←
`probe`): GPUs through NVML and AMD SMI; CPU and memory through RAPL where it is readable, else
the TDP × utilisation estimate. A sensor that cannot work here becomes a note, never an error.
"""

from __future__ import annotations

from combien.measure.amd import AmdSmiSensor
from combien.measure.cpu import CpuEstimate
from combien.measure.nvml import NvmlSensor
from combien.measure.rapl import RaplSensor
from combien.measure.scope import Scope
from combien.measure.sensors import Sensor, SensorUnavailable


def open_sensors(
    *,
    scope: str = "process",
    all_gpus: bool = False,
    pid: int | None = None,
    include_root: bool = True,
) -> tuple[list[Sensor], list[str]]:
    """The sensors this machine offers, and a note for each kind that is not available.
    `include_root=False`: the tree below `pid`, without `pid`'s own CPU time."""
    sensors: list[Sensor] = []
    notes: list[str] = []
    process_scope = Scope(scope, pid, include_root=include_root)
    try:
        sensors.append(NvmlSensor(all_gpus=all_gpus))
    except SensorUnavailable as exc:
        notes.append(f"no NVIDIA GPU measured: {exc}")
    try:
        sensors.append(AmdSmiSensor(all_gpus=all_gpus))
    except SensorUnavailable as exc:
        notes.append(f"no AMD GPU measured: {exc}")
    try:
        sensors.append(RaplSensor(scope=process_scope))
    except SensorUnavailable as exc:
        notes.append(f"CPU and memory energy estimated (TDP × utilisation): RAPL {exc}")
        estimate = CpuEstimate(scope=process_scope)
        notes.append(estimate.note)
        sensors.append(estimate)
    return sensors, notes
