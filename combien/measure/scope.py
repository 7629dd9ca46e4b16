"""What is measured: the tracked process tree, or the whole machine.

GPU energy is always whole-device (NVML counts the board, not a process). CPU and memory energy
are attributed to the process tree by its share of the machine's busy CPU time when the scope is
`process`.
"""

from __future__ import annotations

import os
from typing import Any

SCOPES = ("process", "machine")


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
        self._tree_cpu_prev = self._tree_cpu_s()
        self._busy_prev = self._machine_busy_s()

    def _tree(self) -> list[Any]:
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except self.psutil.Error:
            return []
        # keep the same Process objects so that cpu_times stay comparable
        alive = {}
        for proc in procs:
            alive[proc.pid] = self._procs.get(proc.pid, proc)
        self._procs = alive
        return list(alive.values())

    def _tree_cpu_s(self) -> float:
        total = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except self.psutil.Error:
                continue
        return total

    def _machine_busy_s(self) -> float:
        times = self.psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def interval(self) -> tuple[float, float]:
        """Since the last call: (tree CPU seconds, machine busy CPU seconds)."""
        tree, busy = self._tree_cpu_s(), self._machine_busy_s()
        # a child that exited takes its CPU time with it: never count negative time
        d_tree = max(0.0, tree - self._tree_cpu_prev)
        d_busy = max(0.0, busy - self._busy_prev)
        self._tree_cpu_prev, self._busy_prev = tree, busy
        return d_tree, d_busy

    def memory_gb(self) -> float:
        """Resident memory of the tree (process scope) or used memory (machine scope), GB."""
        from combien.units import BYTES_PER_GB

        if self.kind == "machine":
            return float(self.psutil.virtual_memory().used) / BYTES_PER_GB
        total = 0
        for proc in self._tree():
            try:
                total += proc.memory_info().rss
            except self.psutil.Error:
                continue
        return total / BYTES_PER_GB
