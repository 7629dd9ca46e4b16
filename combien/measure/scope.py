"""What is measured: the tracked process tree, or the whole machine.

GPU energy is always whole-device (NVML counts the board, not a process). CPU and memory energy
are attributed to the process tree by its share of the machine's busy CPU time when the scope is
`process`.

The tree's CPU time never goes backwards and loses no process, however short-lived:

    tree CPU = Σ over the live processes of the tree (user + system + their reaped children's)
               + the root's reaped children (+ the root's own time unless `include_root=False`)

A process that exits is reaped by its parent, and the kernel adds its time (and that of the
children it reaped) to the parent's children's time, so a process's CPU time moves up the tree
instead of vanishing. The tree is scanned at every read. `combien track` makes itself the root
(`include_root=False`) and a child subreaper, so that orphaned grandchildren come back to it
and are counted when it reaps them.
"""

from __future__ import annotations

import os
from typing import Any

SCOPES = ("process", "machine")


class Scope:
    """CPU time, utilisation and memory of a process tree (or of the machine)."""

    def __init__(
        self, kind: str = "process", pid: int | None = None, *, include_root: bool = True
    ) -> None:
        if kind not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        import psutil

        self.kind = kind
        self.pid = pid or os.getpid()
        self.include_root = include_root
        self.psutil: Any = psutil
        self.cores = psutil.cpu_count() or 1
        self._root = psutil.Process(self.pid)
        self._procs: dict[int, Any] = {}
        self._memory = 0
        # the processes below a root that does not count itself started after this point:
        # only the root's reaped children are a baseline, so their first second is not lost
        self._tree_cpu_prev = self._tree_usage()[0] if include_root else self._root_usage()
        self._busy_prev = self._machine_busy_s()

    def _root_usage(self) -> float:
        """The root's own CPU seconds (when counted) and those of the children it reaped."""
        times = self._root.cpu_times()
        own = times.user + times.system if self.include_root else 0.0
        return float(own + times.children_user + times.children_system)

    def _tree(self) -> list[Any]:
        """The live processes below the root, parents before children; the same Process
        objects are kept from one scan to the next."""
        pids = _descendants(self.pid) if _CHILDREN_FILES else None
        if pids is None:  # no per-task children files: psutil reads every process's parent
            try:
                found = self._root.children(recursive=True)
            except self.psutil.Error:
                found = []
            self._procs = {p.pid: self._procs.get(p.pid, p) for p in found}
            return list(self._procs.values())
        procs: dict[int, Any] = {}
        for pid in pids:
            proc = self._procs.get(pid)
            if proc is None:
                try:
                    proc = self.psutil.Process(pid)
                except self.psutil.Error:  # gone already: its parent's reaped time has it
                    continue
            procs[pid] = proc
        self._procs = procs
        return list(procs.values())

    def _tree_usage(self) -> tuple[float, float]:
        """(CPU seconds, resident bytes) of the tree; one /proc pass per process. The root is
        read first: a child reaped during the pass is then missed once, never counted twice."""
        try:
            cpu = self._root_usage()
            rss = self._root.memory_info().rss if self.include_root else 0
        except self.psutil.Error:
            cpu, rss = 0.0, 0
        for proc in self._tree():
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu += times.user + times.system + times.children_user + times.children_system
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
        # a pass that missed a process being reaped reads a little less: never count it twice
        d_tree = max(0.0, tree - self._tree_cpu_prev)
        d_busy = max(0.0, busy - self._busy_prev)
        self._tree_cpu_prev = max(tree, self._tree_cpu_prev)
        self._busy_prev = busy
        return d_tree, d_busy

    def memory_gb(self) -> float:
        """Resident memory of the tree at the last `interval()` (process scope), or used
        memory (machine scope), GB."""
        from combien.units import BYTES_PER_GB

        if self.kind == "machine":
            return float(self.psutil.virtual_memory().used) / BYTES_PER_GB
        return self._memory / BYTES_PER_GB


def _children_files_exist() -> bool:
    """Whether the kernel lists each task's children (/proc/PID/task/TID/children, Linux 3.5+
    with CONFIG_PROC_CHILDREN): then a scan reads the tree's own files, not every process's."""
    try:
        return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    except OSError:
        return False


_CHILDREN_FILES = _children_files_exist()


def _descendants(root: int) -> list[int] | None:
    """The pids below `root`, parents before children, from the per-task children files; None
    if the root's files cannot be read (the caller falls back to a full scan)."""
    out: list[int] = []
    queue = [root]
    while queue:
        pid = queue.pop(0)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            if pid == root:
                return None
            continue  # exited during the scan
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                    children = [int(c) for c in fh.read().split()]
            except (OSError, ValueError):
                continue  # the thread ended during the scan
            out.extend(children)
            queue.extend(children)
    return out
