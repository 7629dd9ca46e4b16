"""What is measured: the tracked process tree, or the whole machine.

GPU energy is always whole-device (NVML counts the board, not a process). CPU and memory energy
are attributed to the process tree by its share of the machine's busy CPU time when the scope is
`process`.
"""

from __future__ import annotations

import os
import time
from typing import Any

SCOPES = ("process", "machine")
REFRESH_S = 10.0  # how often the tree is scanned for new children


class Scope:
    """CPU time, utilisation and memory of a process tree (or of the machine)."""

    def __init__(self, kind: str = "process", pid: int | None = None) -> None:
        if kind not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        import psutil

        self.kind = kind
        self.pid = pid or os.getpid()
        self.psutil: Any = psutil
        self.cores = psutil.cpu_count() or 1
        self._root = psutil.Process(self.pid)
        self._procs: dict[int, Any] = {}
        self._scanned = 0.0
        self._memory = 0
        self._tree_cpu_prev = self._tree_usage()[0]
        self._busy_prev = self._machine_busy_s()

    def _tree(self) -> list[Any]:
        """The processes of the tree; the (costly) scan for children is redone every
        `REFRESH_S` seconds, the same Process objects kept so that their CPU times compare."""
        now = time.monotonic()
        if now - self._scanned >= REFRESH_S or not self._procs:
            self._scanned = now
            try:
                found = [self._root, *self._root.children(recursive=True)]
            except self.psutil.Error:
                found = []
            self._procs = {p.pid: self._procs.get(p.pid, p) for p in found}
        return list(self._procs.values())

    def _tree_usage(self) -> tuple[float, float]:
        """(CPU seconds, resident bytes) of the tree; one /proc pass per process."""
        cpu, rss = 0.0, 0
        for proc in self._tree():
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    rss += proc.memory_info().rss
            except self.psutil.Error:
                self._procs.pop(proc.pid, None)
        self._memory = rss
        return cpu, float(rss)

    def _machine_busy_s(self) -> float:
        times = self.psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def interval(self) -> tuple[float, float]:
        """Since the last call: (tree CPU seconds, machine busy CPU seconds)."""
        tree, busy = self._tree_usage()[0], self._machine_busy_s()
        # a child that exited takes its CPU time with it: never count negative time
        d_tree = max(0.0, tree - self._tree_cpu_prev)
        d_busy = max(0.0, busy - self._busy_prev)
        self._tree_cpu_prev, self._busy_prev = tree, busy
        return d_tree, d_busy

    def memory_gb(self) -> float:
        """Resident memory of the tree at the last `interval()` (process scope), or used
        memory (machine scope), GB."""
        from combien.units import BYTES_PER_GB

        if self.kind == "machine":
            return float(self.psutil.virtual_memory().used) / BYTES_PER_GB
        return self._memory / BYTES_PER_GB
