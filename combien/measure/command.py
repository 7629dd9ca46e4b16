"""Run a command under the tracker: `combien track -- python train.py`.

The tracker's process is the root of what it measures. It becomes a child subreaper (Linux), so
that a grandchild orphaned by its parent comes back to it; it reaps every child itself, so the
CPU time of each one, however short-lived, is added to its own children's time, which the
process scope counts (see `combien.measure.scope`). Signals (Ctrl-C, SIGTERM, SIGHUP, SIGUSR1/2)
are forwarded to the command while it runs, and ignored from its exit until the run is written
(and, under the CLI, until the process exits), so a second Ctrl-C neither kills the tracker nor
loses the bill. `kill_child_on_exit` makes the kernel kill the command if the
tracker dies (PR_SET_PDEATHSIG), for jobs that must not outlive their tracker.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from combien.errors import InputError
from combien.measure.redaction import redact

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)

#: prctl(2) options (linux/prctl.h)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


def _kill_on_parent_death(prctl: Callable[..., int], parent: int) -> Callable[[], None]:
    """A preexec_fn: the child is killed when the tracker dies (and at once if it already has)."""

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


class Forwarder:
    """Forwards the signals the tracker receives to the command while it lives; installed for
    the rest of the tracker's life unless `restore()` is called."""

    def __init__(self, proc: subprocess.Popen[Any]) -> None:
        self.proc = proc
        self.received: list[int] = []
        self.previous = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}

    def _forward(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signum)

    def settle(self) -> None:
        """The command is gone: the signals are ignored while the run is written and the
        process exits (Python's own handlers come back while it shuts down; ignored ones
        stay ignored)."""
        for sig in FORWARDED:
            signal.signal(sig, signal.SIG_IGN)

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def wait_reaping(proc: subprocess.Popen[Any]) -> int:
    """Wait for the command, reaping every child on the way (orphans given back to the
    tracker included); its exit code, or −N when a signal N ended it."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:  # reaped elsewhere: Popen knows its code
            return proc.wait()
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            reap_exited()
            return proc.returncode


def reap_exited() -> None:
    """Reap the children that have exited already, without waiting for the others."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _cannot_run(program: str) -> tuple[int, str] | None:
    """(exit code, reason) when `program` cannot be run, as a shell would say it."""
    import shutil

    if os.sep in program:
        if not os.path.exists(program):
            return 127, "command not found"
        if os.path.isdir(program) or not os.access(program, os.X_OK):
            return 126, "permission denied"
        return None
    if shutil.which(program) is None:
        return 127, "command not found"
    return None


def track_command(
    command: list[str],
    *,
    kill_child_on_exit: bool = False,
    on_done: Callable[[int, Any], None] | None = None,
    live: bool | None = None,
    **options: Any,
) -> tuple[int, Any]:
    """Run `command` under a Tracker; forward signals; return (its exit code, the bill).

    Exit code 127 (and no run) when the command cannot be found, 126 when it cannot be run.
    `on_done(code, bill)` runs once the run is written, with the signals still held (the CLI
    prints the bill there, so a late Ctrl-C does not cut it); then the process is left as it
    was found (signal handlers, subreaper). `live`: a line on stderr with the power and energy
    so far (None: when stderr is a terminal).
    """
    from combien.measure.tracker import Tracker

    if not command:
        raise InputError("track: give a command after --, e.g. combien track -- python train.py")
    tracker = Tracker(command=shlex.join(redact(command)), **options)  # bad options fail here
    missing = _cannot_run(command[0])
    if missing:
        sys.stderr.write(f"combien: error: {missing[1]}: {command[0]}\n")
        return missing[0], None
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        if live is None:
            live = sys.stderr.isatty()
        return _run(command, tracker, prctl, (kill_child_on_exit, live), on_done)
    finally:
        if prctl is not None:
            prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _run(
    command: list[str],
    tracker: Any,
    prctl: Callable[..., int] | None,
    flags: tuple[bool, bool],
    on_done: Callable[[int, Any], None] | None,
) -> tuple[int, Any]:
    kill_child_on_exit, live = flags
    preexec = _kill_on_parent_death(prctl, os.getpid()) if kill_child_on_exit and prctl else None
    # the tracker's own process is the root, its own CPU time left out: every child it reaps
    # (and every orphan given back to it) is counted from its first instant. It starts first,
    # so that the run is in the store before the command runs
    tracker.pid, tracker.include_root = os.getpid(), False
    tracker.start()
    try:
        proc = subprocess.Popen(command, preexec_fn=preexec)
    except OSError as exc:
        sys.stderr.write(f"combien: error: {exc.strerror or exc}: {command[0]}\n")
        tracker.stop("failed")
        return (127 if isinstance(exc, FileNotFoundError) else 126), None
    forwarder = Forwarder(proc)
    line = None
    try:
        tracker.attach(proc.pid)
        if live:
            from combien.measure.clock import SystemClock
            from combien.measure.live import LiveLine

            line = LiveLine(tracker, sys.stderr, SystemClock(), tracker.interval_s)
        code = wait_reaping(proc)
        forwarder.settle()
        if line is not None:
            line.close()
            line = None
        status = "finished" if code == 0 else "interrupted" if code < 0 else "failed"
        bill = tracker.stop(status)
        code = 128 - code if code < 0 else code
        if on_done is not None:
            on_done(code, bill)
    finally:
        if line is not None:
            line.close()
        forwarder.restore()
    return code, bill
