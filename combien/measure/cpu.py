"""CPU and memory power estimated where no energy counter can be read.

power = TDP × utilisation + memory (GB) × W/GB. The TDP comes from `cpus.csv` (matched on the
model name Linux reports), else cores × a per-core default; utilisation is the tracked tree's
(or the machine's) share of all cores over each interval (psutil). Marked *estimated*.

Over an interval, TDP × utilisation × seconds is TDP ÷ cores × the CPU seconds used: energy
is CPU time × the power of one busy core (`per_core_w`), so CPU time that arrives late (a child's,
added to its parent's when it is reaped) is counted in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from combien.data import catalog
from combien.measure.sensors import ESTIMATED, Device, Sensor

if TYPE_CHECKING:
    from combien.measure.scope import Scope


def cpu_model_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, int]:
    """Model name and number of sockets, from /proc/cpuinfo ('' and 1 when unreadable)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        import platform

        return platform.processor() or "", 1
    name, sockets = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not name:
            name = value.strip()
        elif key == "physical id":
            sockets.add(value.strip())
    return name, max(1, len(sockets))


class CpuEstimate(Sensor):
    """TDP × utilisation for the CPU, W/GB for memory."""

    def __init__(self, *, scope: Scope, model: str | None = None, sockets: int | None = None):
        self.scope = scope
        found_model, found_sockets = cpu_model_name()
        self.model = model if model is not None else found_model
        self.sockets = sockets or found_sockets
        row = catalog.cpu_for(self.model)
        if row is not None:
            self.tdp_w = row.tdp_w * self.sockets
            self.tdp_source = f"cpus:{row.id} × {self.sockets} socket(s) — {row.source}"
        else:
            per_core = catalog.default("cpu_tdp_w_per_core")
            self.tdp_w = per_core.value * scope.cores
            self.tdp_source = (
                f"defaults:{per_core.id} × {scope.cores} cores ({self.model or 'unknown CPU'} "
                f"not in cpus.csv) — {per_core.source}"
            )
        self.memory_w_per_gb = catalog.default("memory_w_per_gb").value
        self.devices = (
            Device("cpu", "cpu", self.model or "CPU", ESTIMATED),
            Device("memory", "dram", "memory", ESTIMATED),
        )
        self.per_core_w = self.tdp_w / scope.cores
        self.note = (
            f"CPU energy estimated at {self.per_core_w:.4g} W per busy core "
            f"(TDP {self.tdp_w:.4g} W ÷ {scope.cores} cores: {self.tdp_source})"
        )
        self._energy = [0.0, 0.0]
        self._last: float | None = None
        self._memory_unseen = False
        self._memory_gb = 0.0

    def sample(self, now: float) -> list[float]:
        d_tree, d_busy = self.scope.interval()
        memory_gb = self.scope.memory_gb()
        if self._last is not None:
            dt = max(1e-9, now - self._last)
            used_s = d_tree if self.scope.kind == "process" else d_busy
            self._energy[0] += self.per_core_w * used_s
            # memory seen at either end of the interval (a tree that ended during it held
            # what it held at its start)
            held_gb = max(self._memory_gb, memory_gb)
            self._energy[1] += held_gb * self.memory_w_per_gb * dt
            if used_s > 0 and self._energy[1] == 0 and not self._memory_unseen:
                # the processes that used this CPU time ended between two readings
                self._memory_unseen = True
                self._problem(
                    "memory energy not measured for processes that ended between two readings "
                    "(CPU time is counted in full); read more often (--flush) to see it",
                    "memory-unseen",
                )
        self._last, self._memory_gb = now, memory_gb
        return list(self._energy)
