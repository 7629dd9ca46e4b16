"""The tracker under faults: short and forking jobs, a store that disappears or fills, Ctrl-C
twice, a killed tracker, counters that reset or wrap. Each test injects the fault, then reads
what the store and the bill show."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import combien
from combien.measure.nvml import NvmlSensor
from combien.measure.rapl import RaplSensor
from combien.store import Store
from combien.testing import FakeNvml, FakeSensor, ManualClock

EACH_SECOND: dict[str, Any] = {"interval_s": 0.25, "flush_s": 1.0}
TRACK = [sys.executable, "-m", "combien.cli", "track"]


@pytest.fixture(autouse=True)
def fallback_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fallback files go to the test's folder, not /tmp (the fault tests make some)."""
    folder = tmp_path / "fallback"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


# ------------------------------------------------------------------ 1. short and forking jobs

# spins for CPU seconds (in `forks` children, or orphaned grandchildren), then writes the CPU
# time of itself and of every process it reaped, as the kernel counts it
BUSY = textwrap.dedent(
    """
    import os, resource, sys, time
    seconds, out, forks, orphans = float(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    def spin(s):
        t = time.process_time()
        while time.process_time() - t < s:
            pass
    if orphans == "orphans":  # a child that forks the workers and exits at once
        if os.fork() == 0:
            for _ in range(forks):
                if os.fork() == 0:
                    spin(seconds / forks)
                    open(f"{out}-{os.getpid()}", "w").write(str(sum(os.times()[:2])))
                    os.rename(f"{out}-{os.getpid()}", f"{out}.{os.getpid()}")
                    os._exit(0)
            os._exit(0)
        os.wait()
        folder, stem = os.path.dirname(out), os.path.basename(out) + "."
        while len([p for p in os.listdir(folder) if p.startswith(stem)]) < forks:
            time.sleep(0.01)  # the orphans end first; nobody here reaps them
    elif forks:
        for _ in range(forks):
            if os.fork() == 0:
                spin(seconds / forks)
                os._exit(0)
        for _ in range(forks):
            os.wait()
    else:
        spin(seconds)
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
    folder, stem = os.path.dirname(out), os.path.basename(out) + "."
    orphaned = [p for p in os.listdir(folder) if p.startswith(stem)]
    cpu += sum(float(open(os.path.join(folder, p)).read()) for p in orphaned)
    open(out, "w").write(str(cpu))
    """
)


def track_busy(tmp_path: Path, name: str, seconds: float, forks: int, orphans: bool) -> Any:
    (tmp_path / "cpu").mkdir()
    out = tmp_path / "cpu" / name  # with the orphans' counts beside it, nothing else
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / f"{name}.db")}
    done = subprocess.run(
        [
            *TRACK,
            "--format",
            "json",
            "--",
            sys.executable,
            "-c",
            BUSY,
            str(seconds),
            str(out),
            str(forks),
            "orphans" if orphans else "-",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    bill = json.loads(done.stderr[done.stderr.index("{") :])
    return bill["run"], float(out.read_text())


@pytest.mark.parametrize(
    ("seconds", "forks", "orphans"),
    [(1.0, 0, False), (3.0, 0, False), (8.0, 0, False), (2.0, 2, False), (2.0, 2, True)],
)
def test_short_and_forking_jobs_lose_no_cpu_energy(
    tmp_path: Path, seconds: float, forks: int, orphans: bool
) -> None:
    run, cpu_s = track_busy(tmp_path, "busy", seconds, forks, orphans)
    (cpu,) = [d for d in run["devices"] if d["kind"] == "cpu"]
    if cpu["method"] != "estimated":
        pytest.skip("RAPL measures this machine's CPU: the per-core estimate is not used")
    (note,) = [n for n in run["notes"] if "W per busy core" in n]
    found = re.search(r"estimated at ([0-9.e+]+) W per busy core", note)
    assert found is not None
    per_core_w = float(found.group(1))
    # the estimate is CPU time × the power of one busy core, and every process of the tree is
    # counted, reaped or orphaned: within 10% of the CPU time the kernel gives (what the tracker
    # sees includes the interpreter's start, which the job's own count includes too)
    assert cpu["energy_kwh"] * 3.6e6 == pytest.approx(cpu_s * per_core_w, rel=0.10)
    assert cpu_s >= seconds
    # memory held by processes no reading saw is not a silent 0: the bill says it is missing
    (memory,) = [d for d in run["devices"] if d["kind"] == "dram"]
    unseen = [n for n in run["notes"] if n.startswith("memory energy not measured")]
    assert memory["energy_kwh"] > 0 or unseen


# ------------------------------------------------------------------ 2. the store lost mid-run


def test_store_deleted_mid_run_is_said_and_loses_no_energy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fallback_here: Path
) -> None:
    db, clock = tmp_path / "store" / "runs.db", ManualClock()
    with combien.Tracker(
        db=str(db), sensors=[FakeSensor(100.0)], clock=clock, location="FR", **EACH_SECOND
    ) as t:
        clock.advance(3.0)
        for path in db.parent.iterdir():
            path.unlink()
        db.parent.rmdir()  # the store and its folder are deleted at 3 s
        clock.advance(4.0)
    err = capsys.readouterr().err
    assert f"{db} was deleted" in err and "written to the store again" in err
    assert any("was deleted" in note for note in t.bill().to_dict()["run"]["notes"])
    # at the stop the store is made again and the run brought back: its whole energy and bill
    run = Store(db).run(t.id)
    assert run is not None and run["status"] == "finished"
    assert sum(d["energy_j"] for d in run["devices"]) == pytest.approx(100 * 7.0)
    assert run["duration_s"] == pytest.approx(7.0)
    assert run["bill"]["run"]["id"] == t.id
    assert [e["code"] for e in run["events"]] == ["store-unwritable"]
    # the samples written after the deletion are kept: read each second from 4 s, and at the stop
    times = [s["t"] - run["started_at"] for s in Store(db).samples(t.id)]
    assert times == pytest.approx([4.0, 5.0, 6.0, 7.0, 7.0])
    assert not list(fallback_here.iterdir())  # brought back: no file left behind


def test_disk_full_mid_run_keeps_the_run_in_a_file_that_can_be_imported(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fallback_here: Path,
    cli: Any,
) -> None:
    db, clock = str(tmp_path / "runs.db"), ManualClock()
    real_flush = Store.flush

    def full(store: Store, run_id: str, **kwargs: Any) -> None:
        if clock.monotonic() >= 2.0:
            raise sqlite3.OperationalError("database or disk is full")
        real_flush(store, run_id, **kwargs)

    monkeypatch.setattr(Store, "flush", full)
    with combien.Tracker(db=db, sensors=[FakeSensor(50.0)], clock=clock, **EACH_SECOND) as t:
        clock.advance(5.0)
    err = capsys.readouterr().err
    assert "database or disk is full" in err and "combien runs import" in err
    notes = t.bill().to_dict()["run"]["notes"]
    assert any("disk is full" in n for n in notes)
    # the store keeps the stub written before the disk filled (1 s), the file the rest
    stub = Store(db).run(t.id)
    assert stub is not None and stub["duration_s"] == pytest.approx(1.0)
    (kept,) = fallback_here.iterdir()
    assert str(kept) == t.fallback_path and str(kept) in err
    lines = [json.loads(line) for line in kept.read_text().splitlines()]
    assert lines[0]["run"]["id"] == t.id and "finish" in lines[-1]
    monkeypatch.setattr(Store, "flush", real_flush)  # space again
    result = cli("runs", "import", str(kept), "--db", db)
    assert result.code == 0 and t.id in result.out
    run = Store(db).run(t.id)
    assert run is not None and run["status"] == "finished"
    assert run["duration_s"] == pytest.approx(5.0)
    assert sum(d["energy_j"] for d in run["devices"]) == pytest.approx(50 * 5.0)
    assert run["bill"]["run"]["id"] == t.id
    assert [e["code"] for e in run["events"]] == ["store-unwritable"]


# ------------------------------------------------------------------ 3. Ctrl-C twice

# exits with code 7 on the second SIGINT; says when it got the first
TWICE = textwrap.dedent(
    """
    import signal, sys, time
    seen = []
    def handler(*_):
        seen.append(1)
        if len(seen) == 1:
            print("once", flush=True)
        else:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the later ones are the tracker's
            sys.exit(7)
    signal.signal(signal.SIGINT, handler)
    print("ready", flush=True)
    while True:
        time.sleep(0.01)
    """
)


def test_ctrl_c_twice_keeps_the_bill_and_the_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / "runs.db")}
    proc = subprocess.Popen(
        [
            *TRACK,
            "--interval",
            "0.05",
            "--format",
            "json",
            "--output",
            str(tmp_path / "bill.json"),
            "--",
            sys.executable,
            "-c",
            TWICE,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    assert proc.stdout.readline().strip() == "once"
    # the second Ctrl-C, then more until the tracker has written the run and printed its bill
    # (from then on, the process exits as Python does)
    while proc.poll() is None and not (tmp_path / "bill.json").exists():
        proc.send_signal(signal.SIGINT)
        time.sleep(0.005)
    _, err = proc.communicate()
    assert proc.returncode == 7, err
    bill = json.loads(err[err.index("{") :])
    assert bill["run"]["status"] == "failed" and bill["run"]["duration_s"] > 0
    (run,) = Store(tmp_path / "runs.db").runs()
    assert run["status"] == "failed" and run["co2e_kg"] is not None


def test_ctrl_c_during_stop_waits_for_the_run_to_be_written(tmp_path: Path) -> None:
    clock = ManualClock()
    t = combien.Tracker(db=str(tmp_path / "r.db"), sensors=[FakeSensor(10.0)], clock=clock)
    t.start()
    clock.advance(2.0)
    real = t._recorder.finish

    def interrupted_finish(*args: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the run is being written
        real(*args)

    t._recorder.finish = interrupted_finish  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        t.stop()
    run = Store(tmp_path / "r.db").run(t.id)
    assert run is not None and run["status"] == "finished" and run["bill"] is not None


# ------------------------------------------------------------------ 4. the tracker killed

SLEEPER = "import time; print('ready', flush=True); time.sleep(60)"


def _tracked(tmp_path: Path, *flags: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / "runs.db")}
    proc = subprocess.Popen(
        [*TRACK, *flags, "--", sys.executable, "-c", SLEEPER],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    (run,) = Store(tmp_path / "runs.db", read_only=True).runs()
    return proc, run


def _wait_gone(pid: int) -> bool:
    """True once `pid` has ended (a zombie that no one has reaped yet has ended)."""
    import psutil

    for _ in range(500):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.01)
    return False


def test_killed_tracker_shows_interrupted_while_its_command_lives(tmp_path: Path) -> None:
    proc, run = _tracked(tmp_path)
    # the first record is written at the start: the run, the tracker's pid and the command's
    assert run["status"] == "running" and run["pid"] == proc.pid
    child = Store(tmp_path / "runs.db").run(run["id"])["child_pid"]
    assert isinstance(child, int) and child != proc.pid
    proc.kill()
    proc.communicate()
    try:
        os.kill(child, 0)  # the command lives on
        reader = Store(tmp_path / "runs.db", read_only=True)
        (after,) = reader.runs()
        assert after["status"] == "interrupted"
        assert [r["id"] for r in reader.runs(status="interrupted")] == [run["id"]]
        assert reader.runs(status="running") == []
    finally:
        os.kill(child, signal.SIGKILL)


def test_kill_child_on_exit(tmp_path: Path) -> None:
    proc, run = _tracked(tmp_path, "--kill-child-on-exit")
    child = Store(tmp_path / "runs.db").run(run["id"])["child_pid"]
    proc.kill()
    proc.communicate()
    assert _wait_gone(child)


# ------------------------------------------------------------------ 5. counters


def test_gpu_counter_reset_never_gives_negative_energy(tmp_path: Path) -> None:
    clock = ManualClock()
    nvml = FakeNvml(clock=clock.monotonic)  # 300 W
    real = nvml.nvmlDeviceGetTotalEnergyConsumption

    def counter(handle: int) -> int:
        value = real(handle)
        # the GPU is reset at 2.5 s: its counter starts again from 0
        return value - nvml.counter_start_mj - 750_000 if clock.monotonic() >= 2.5 else value

    nvml.nvmlDeviceGetTotalEnergyConsumption = counter  # type: ignore[method-assign]
    with combien.Tracker(
        db=str(tmp_path / "r.db"), sensors=[NvmlSensor(nvml=nvml)], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(5.0)
    # read each second: 0–2 s counted (600 J), 2–3 s holds the reset (not counted), 3–5 s
    # counted again (600 J)
    assert t.energy_j == pytest.approx(300 * 4.0)
    run = Store(tmp_path / "r.db").run(t.id)
    assert [e["code"] for e in run["events"]] == ["counter-reset"]
    assert t.bill().it_energy_kwh.value > 0
    assert any("went back" in n for n in t.bill().to_dict()["run"]["notes"])


def make_zone(root: Path, energy_uj: int, max_uj: int, power_uw: int | None = None) -> None:
    path = root / "intel-rapl:0"
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text("package-0\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    if power_uw is not None:
        (path / "constraint_0_max_power_uw").write_text(f"{power_uw}\n")


def test_rapl_reset_adds_nothing(tmp_path: Path) -> None:
    max_uj = 262_143_328_850
    make_zone(tmp_path, 100_000_000_000, max_uj)
    sensor = RaplSensor(root=tmp_path)
    make_zone(tmp_path, 100_050_000_000, max_uj)
    assert sensor.sample(1.0) == pytest.approx([50.0])
    make_zone(tmp_path, 1_000_000, max_uj)  # reset to ~0: a wrap would mean 162 kJ in 1 s
    assert sensor.sample(2.0) == pytest.approx([50.0])
    ((code, message),) = sensor.problems()
    assert code == "counter-reset" and "reset" in message
    make_zone(tmp_path, 2_000_000, max_uj)
    assert sensor.sample(3.0) == pytest.approx([51.0])
    assert sensor.problems() == []


def test_rapl_is_read_before_it_can_wrap_twice(tmp_path: Path) -> None:
    # a 1 kJ range at 100 W wraps every 10 s: it must be read at least every 5 s
    make_zone(tmp_path, 0, 1_000_000_000, power_uw=100_000_000)
    sensor = RaplSensor(root=tmp_path)
    assert sensor.max_interval_s == pytest.approx(5.0)
    clock = ManualClock()
    reads: list[float] = []
    real = sensor.sample

    def sample(now: float) -> list[float]:
        reads.append(now)
        make_zone(tmp_path, int(now * 100_000_000) % 1_000_000_000, 1_000_000_000)
        return real(now)

    sensor.sample = sample  # type: ignore[method-assign]
    tracker = combien.Tracker(
        db=str(tmp_path / "r.db"), sensors=[sensor], clock=clock, interval_s=1.0, flush_s=3600
    )
    tracker.start()
    clock.advance(60.0)
    tracker.stop()
    # 100 W for 60 s across six wraps, all counted
    assert tracker.energy_j == pytest.approx(6000.0)
    assert max(b - a for a, b in itertools.pairwise(reads)) <= 5.0


# ------------------------------------------------------------------ 6. long runs


def direct_forecast_energy(history: list[tuple[float, float, float]], total: float) -> Any:
    """The forecast's energy line recomputed from the whole history, as the tracker once did."""
    import itertools
    import math
    from statistics import NormalDist

    points = [(0.0, 0.0)] + [(d, e) for _, d, e in history]
    done, current = points[-1]
    rates = [(q1 - q0) / (d1 - d0) for (d0, q0), (d1, q1) in itertools.pairwise(points) if d1 > d0]
    mean, remaining = current / done, total - done
    var = sum((r - mean) ** 2 for r in rates) / (len(rates) - 1) * done / len(rates)
    half = NormalDist().inv_cdf(0.95) * math.sqrt(remaining * var + remaining**2 * var / done)
    central = current + remaining * mean
    return central, max(current, central - half), central + half


def test_running_forecast_is_the_forecast_over_the_whole_history() -> None:
    import random

    from combien.measure.accounting import Accounting

    rng, accounting = random.Random(1), Accounting(total=10_000)
    history, energy, elapsed = [], 0.0, 0.0
    for step in range(1, 3001):
        energy += 100 + rng.gauss(0, 20)
        elapsed += 1 + rng.random()
        accounting.progress(step)
        accounting.pair(elapsed, energy)
        history.append((elapsed, float(step), energy))
        if step in (2, 10, 500, 3000):
            f = accounting.forecast()
            assert f is not None and f.done == step
            line = f.energy_j
            assert (line.value, line.low, line.high) == pytest.approx(
                direct_forecast_energy(history, 10_000), rel=1e-9
            )


# ------------------------------------------------------------------ 13. the live line


def test_live_line_shows_power_energy_and_forecast(tmp_path: Path) -> None:
    import io

    from combien.measure.live import ERASE, LiveLine

    clock, stream = ManualClock(), io.StringIO()
    t = combien.Tracker(
        db=str(tmp_path / "r.db"),
        sensors=[FakeSensor([300.0, 50.0])],
        clock=clock,
        total=10,
        **EACH_SECOND,
    )
    t.start()
    line = LiveLine(t, stream, clock, 1.0)
    clock.advance(4.0)
    t.progress(4)
    clock.advance(1.0)
    # counters read each second: 300 W and 50 W; 350 W × 5 s = 1.75 kJ = 0.486 Wh so far; the
    # reading at 5 s pairs 4 of 10 steps with 1.75 kJ: forecast 10/4 × 1.75 kJ = 4.375 kJ = 1.22 Wh
    last = stream.getvalue().split(ERASE)[-1]
    assert last == (
        "combien: 5.00 s · gpu0 300 W · gpu1 50.0 W · 0.486 Wh so far · 40% done, forecast 1.22 Wh"
    )
    line.close()
    t.stop()
    assert stream.getvalue().endswith(ERASE)
