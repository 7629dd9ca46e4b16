"""The tracker: measures, writes as it goes, survives faults, forecasts, never breaks the job."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import combien
from combien.errors import InputError, UnknownNameError
from combien.measure.clock import SystemClock
from combien.measure.forecast import forecast
from combien.store import Store
from combien.testing import FakeSensor, ManualClock
from combien.units import kwh_from_j

FAST = {"interval_s": 0.02, "flush_s": 0.1}
#: on a ManualClock: power meters read every 0.25 s, counters read and the store written each second
EACH_SECOND = {"interval_s": 0.25, "flush_s": 1.0}


def test_measures_and_stores(tmp_path: Path) -> None:
    db, clock = str(tmp_path / "runs.db"), ManualClock()
    gpu, cpu = FakeSensor([300.0, 300.0]), FakeSensor(50.0, kind="cpu", method="estimated")
    with combien.Tracker(
        location="FR", project="p", db=db, sensors=[gpu, cpu], total=5, clock=clock, **EACH_SECOND
    ) as t:
        for i in range(5):
            clock.advance(1.0)
            t.progress(i + 1)
        with t.phase("eval"):
            clock.advance(0.5)
    assert gpu.closed and t.status == "finished"
    # 2 × 300 W measured + 50 W estimated, for 5 s of steps and 0.5 s of eval
    assert t.duration_s == 5.5
    assert t.energy_j == pytest.approx(650 * 5.5)
    run = Store(db).run(t.id)
    assert run is not None and run["status"] == "finished" and run["project"] == "p"
    devices = {d["key"]: d["energy_j"] for d in run["devices"]}
    assert devices == pytest.approx({"gpu0": 300 * 5.5, "gpu1": 300 * 5.5, "cpu0": 50 * 5.5})
    (phase,) = run["phases"]
    assert phase["name"] == "eval" and phase["energy_j"] == pytest.approx(650 * 0.5)
    assert phase["ended_at"] - phase["started_at"] == pytest.approx(0.5)
    assert run["forecast"]["fraction"] == 1.0
    bill = run["bill"]
    assert bill["schema"] == "combien.bill/1" and bill["run"]["id"] == t.id
    methods = {d["key"]: d["method"] for d in bill["run"]["devices"]}
    assert methods == {"gpu0": "measured", "gpu1": "measured", "cpu0": "estimated"}
    assert bill["inputs"]["it_energy_kwh"]["origin"] == "measured"
    assert bill["inputs"]["it_energy_kwh"]["value"] == pytest.approx(kwh_from_j(650 * 5.5))
    assert bill["labels"]["location"] == "FR"
    # read at the start, each second (1–5 s), at both ends of the phase and at the stop
    times = sorted({s["t"] - run["started_at"] for s in Store(db).samples(t.id)})
    assert times == pytest.approx([0, 1, 2, 3, 4, 5, 5.5])
    assert len(Store(db).samples(t.id)) == 9 * 3


def test_measured_bill_prices_gpu_time(tmp_path: Path) -> None:
    gpu, clock = FakeSensor([700.0] * 8, name="NVIDIA H100 80GB HBM3"), ManualClock()
    with combien.Tracker(
        location="US-IA", db=str(tmp_path / "r.db"), sensors=[gpu], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(200.0)
    bill = t.bill()
    assert bill.labels["hardware"] == "h100-sxm"
    assert bill.inputs["chip_hours"].value == pytest.approx(8 * 200 / 3600)
    assert bill.inputs["it_energy_kwh"].value == pytest.approx(kwh_from_j(8 * 700 * 200))
    assert bill.cost_cloud_usd is not None and bill.co2e_embodied_kg is not None
    assert bill.it_energy_kwh.low == bill.it_energy_kwh.high  # measured: taken as read
    grid = bill.inputs["grid_gco2e_per_kwh"].value
    assert bill.co2e_operational_kg.value == pytest.approx(bill.energy_kwh.value * grid / 1000)


def test_bad_options_fail_before_the_job() -> None:
    with pytest.raises(UnknownNameError):
        combien.Tracker(location="Atlantis")
    with pytest.raises(InputError):
        combien.Tracker(pue=0.5)
    with pytest.raises(InputError):
        combien.Tracker(interval_s=0)
    with pytest.raises(InputError, match="unknown option"):
        combien.Tracker(locaton="FR")


def test_sensor_failing_mid_run_is_a_gap(tmp_path: Path) -> None:
    clock = ManualClock()
    flaky = FakeSensor(100.0, fail_between=(1.0, 3.0))
    steady = FakeSensor(100.0, kind="cpu")
    with combien.Tracker(
        db=str(tmp_path / "r.db"), sensors=[flaky, steady], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(5.0)
    run = Store(tmp_path / "r.db").run(t.id)
    assert run is not None
    # read each second: failing at 1 s and 2 s (one gap), answering again at 3 s
    events = [(e["code"], e["t"] - run["started_at"]) for e in run["events"]]
    assert events == [("sensor-gap", 1.0), ("sensor-recovered", 3.0)]
    assert t.status == "finished"
    # a cumulative reading loses nothing across the gap: 100 W for 5 s on each sensor
    assert t.energy_j == pytest.approx(2 * 100 * 5.0)
    assert any("failed" in n for n in t.bill().to_dict()["run"]["notes"])


class Broken(FakeSensor):
    def sample(self, now: float) -> list[float]:
        raise RuntimeError("driver exploded")


def test_never_raises_into_the_job(tmp_path: Path) -> None:
    with combien.Tracker(db=str(tmp_path / "r.db"), sensors=[Broken()], **FAST) as t:
        time.sleep(0.1)
        t.progress("not a number", None)  # type: ignore[arg-type]
        with t.phase("x"):
            pass
    assert t.status == "finished"
    with (
        pytest.raises(ZeroDivisionError),
        combien.Tracker(db=str(tmp_path / "r.db"), sensors=[FakeSensor()], **FAST) as failing,
    ):
        _ = 1 / 0
    assert Store(tmp_path / "r.db").run(failing.id)["status"] == "failed"


def test_store_unwritable_keeps_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the fallback file goes there
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    clock = ManualClock()
    with combien.Tracker(
        db=str(blocker / "runs.db"), sensors=[FakeSensor(10.0)], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(3.0)
    assert t.energy_j == pytest.approx(10.0 * 3.0)
    assert t.fallback_path and Path(t.fallback_path).parent == tmp_path
    lines = [json.loads(line) for line in Path(t.fallback_path).read_text().splitlines()]
    # read at 0, 1, 2 and 3 s, and at the stop: the samples written by each flush
    assert [line["energy_j"] for line in lines if "energy_j" in line] == [0, 10, 20, 30, 30]
    assert [line["event"] for line in lines if "event" in line] == ["store-unwritable"]
    assert any("cannot be written" in n for n in t.notes)


def test_decorator(tmp_path: Path) -> None:
    @combien.track(db=str(tmp_path / "r.db"), sensors=[FakeSensor()], **FAST)
    def work(x: int) -> int:
        time.sleep(0.05)
        return x * 2

    assert work(21) == 42
    assert Store(tmp_path / "r.db").runs()[0]["status"] == "finished"


def test_system_clock_repeats_until_cancelled() -> None:
    calls: list[int] = []
    third = threading.Event()

    def callback() -> None:
        calls.append(1)
        if len(calls) == 3:
            third.set()

    repeating = SystemClock().repeat(0.01, callback)
    assert third.wait(timeout=30)
    repeating.cancel()  # returns once the thread has ended
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_manual_clock_runs_callbacks_when_due() -> None:
    clock = ManualClock(wall_start=1000.0)
    seen: list[float] = []
    timer = clock.repeat(0.25, lambda: seen.append(clock.monotonic()))
    clock.advance(0.6)
    assert seen == [0.25, 0.5] and clock.monotonic() == 0.6
    clock.advance(0.4)
    assert seen == [0.25, 0.5, 0.75, 1.0]
    timer.cancel()
    clock.advance(1.0)
    assert len(seen) == 4 and clock.wall() == 1002.0


def test_forecast_narrows_and_covers_the_truth() -> None:
    import random

    rng = random.Random(0)
    total, energy, elapsed, history = 200, 0.0, 0.0, []
    costs = [100 + rng.gauss(0, 15) for _ in range(total)]
    widths = []
    for step, cost in enumerate(costs, start=1):
        energy += cost
        elapsed += cost / 100
        history.append((elapsed, step, energy))
        if step in (10, 50, 100, 190):
            f = forecast(history, total)
            assert f is not None
            assert f.energy_j.low <= sum(costs) <= f.energy_j.high
            widths.append(f.energy_j.high - f.energy_j.low)
    assert widths == sorted(widths, reverse=True)
    final = forecast(history, total)
    assert final is not None and final.energy_j.value == pytest.approx(sum(costs))
    assert final.energy_j.low == final.energy_j.high


CHILD = textwrap.dedent(
    """
    import os, pathlib, signal, sys, time
    import combien
    from combien.testing import FakeSensor, ManualClock
    db, project, seconds, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    clock = ManualClock()
    t = combien.Tracker(db=db, sensors=[FakeSensor(100.0)], interval_s=0.25, flush_s=1.0,
                        project=project, clock=clock)
    t.start()
    print(t.id, flush=True)
    if len(sys.argv) > 5:  # wait for the other writers, so that they write together
        ready, writers = pathlib.Path(sys.argv[5]), int(sys.argv[6])
        (ready / project).touch()
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < writers and time.monotonic() < deadline:
            time.sleep(0.01)
    for _ in range(int(seconds * 4)):
        clock.advance(0.25)
        time.sleep(0.002)  # spread the writes over real time too
    if end == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    t.stop()
    """
)


def test_sigkill_loses_at_most_one_flush(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, db, "killed", "10.5", "kill"],
        stdout=subprocess.PIPE,
        text=True,
    )
    run_id = proc.communicate()[0].strip()
    assert proc.returncode == -signal.SIGKILL
    run = Store(db).run(run_id)
    assert run is not None and run["status"] == "interrupted"
    # flushed each second, killed at 10.5 s: everything up to the flush at 10 s is kept
    times = [s["t"] - run["started_at"] for s in Store(db).samples(run_id)]
    assert times == pytest.approx([float(second) for second in range(11)])
    assert run["duration_s"] == pytest.approx(10.0)
    assert sum(d["energy_j"] for d in run["devices"]) == pytest.approx(100 * 10.0)


def test_concurrent_writers(tmp_path: Path) -> None:
    db, ready = str(tmp_path / "runs.db"), tmp_path / "ready"
    ready.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, db, f"w{i}", "10", "stop", str(ready), "4"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    ids = [p.communicate()[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    store = Store(db)
    runs = {r["id"]: r for r in store.runs()}
    assert set(ids) <= set(runs)
    for run_id in ids:
        assert runs[run_id]["status"] == "finished"
        # read at the start, each second for 10 s, and at the stop
        assert len(store.samples(run_id)) == 12
        assert runs[run_id]["energy_j"] == pytest.approx(100 * 10.0)
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


# the command waits until the tracker has started (its run is in the store), then spins 0.6 s
SPIN = textwrap.dedent(
    """
    import contextlib, os, sqlite3, time
    uri, deadline = f"file:{os.environ['COMBIEN_DB']}?mode=ro", time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                if db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.01)
    t = time.monotonic()
    while time.monotonic() - t < 0.6:
        pass
    print('out')
    """
)


def test_track_cli(tmp_path: Path) -> None:
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / "runs.db")}
    cmd = [
        sys.executable,
        "-m",
        "combien.cli",
        "track",
        "--location",
        "FR",
        "--interval",
        "0.05",
        "--format",
        "json",
        "--output",
        str(tmp_path / "bill.json"),
        "--",
    ]
    done = subprocess.run(
        [*cmd, sys.executable, "-c", SPIN], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "out\n"  # the command's own output stays clean
    bill = json.loads(done.stderr[done.stderr.index("{") :])
    run = bill["run"]
    assert run["status"] == "finished" and run["duration_s"] >= 0.6
    assert all({"kind", "name", "energy_kwh", "method"} <= set(d) for d in run["devices"])
    assert json.loads((tmp_path / "bill.json").read_text())["run"]["id"] == run["id"]
    shown = subprocess.run(
        [sys.executable, "-m", "combien.cli", "runs", "show", run["id"][:8], "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    again = json.loads(shown.stdout)
    assert again["run"]["id"] == run["id"]
    assert again["energy_kwh"] == pytest.approx(bill["energy_kwh"])

    failing = subprocess.run(
        [*cmd, sys.executable, "-c", "import sys; sys.exit(3)"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failing.returncode == 3
    missing = subprocess.run(
        [*cmd, "no-such-command-xyz"], env=env, capture_output=True, text=True, check=False
    )
    assert missing.returncode == 127 and "command not found" in missing.stderr
    bad = subprocess.run(
        [*cmd[:5], "--location", "Atlantis", "--", "true"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


HANDLER = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)"
)


def test_track_forwards_signals(tmp_path: Path) -> None:
    env = {**os.environ, "COMBIEN_DB": str(tmp_path / "runs.db")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "combien.cli",
            "track",
            "--interval",
            "0.05",
            "--",
            sys.executable,
            "-c",
            HANDLER,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 42
    run = Store(tmp_path / "runs.db").runs()[0]
    assert run["status"] == "failed"


def test_runs_list_export_compare(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, clock = str(tmp_path / "runs.db"), ManualClock()
    monkeypatch.setenv("COMBIEN_DB", db)
    gpu = FakeSensor([700.0] * 2, name="NVIDIA H100 80GB HBM3")
    with combien.Tracker(
        location="US-IA", db=db, sensors=[gpu], project="cmp", clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(200.0)
    listing = cli("runs", "list", "--format", "json").json()
    assert listing[0]["id"] == t.id and listing[0]["co2e_kg"] > 0
    csv_text = cli("runs", "export", "--format", "csv").out
    assert csv_text.splitlines()[0].startswith("id,project,status")
    samples = cli("runs", "export", t.id, "--format", "json").json()
    # the old option still reads the same run
    assert cli("runs", "export", "--format", "json", "--run", t.id).json() == samples
    assert len(samples) == 2 * 202  # 2 GPUs read at the start, each second, and at the stop
    assert {"t", "node", "key", "energy_j"} <= set(samples[0])
    spec = tmp_path / "run.yaml"
    spec.write_text("hardware: h100-sxm\nlocation: US-IA\n")
    compared = cli("runs", "compare", t.id, "--spec", str(spec), "--format", "json").json()
    line = compared["lines"]["energy_kwh"]
    # the estimate of the same GPU time at TDP × 0.75 × 1.82 vs the fake's 700 W
    assert line["ratio"] == pytest.approx(1 / (0.75 * 1.821), rel=0.15)
    assert cli("runs", "show", "nope").code == 2
    assert cli("runs", "compare", t.id, "--spec", str(spec)).code == 0


def test_nvml_error_mid_run_loses_nothing_with_the_counter(tmp_path: Path) -> None:
    from combien.measure.nvml import NvmlSensor
    from combien.testing import FakeNvml

    clock = ManualClock()
    nvml = FakeNvml(clock=clock.monotonic, fail=lambda t: 1.5 <= t < 3.0)
    with combien.Tracker(
        db=str(tmp_path / "r.db"), sensors=[NvmlSensor(nvml=nvml)], clock=clock, **EACH_SECOND
    ) as t:
        clock.advance(4.0)
    run = Store(tmp_path / "r.db").run(t.id)
    assert run is not None
    events = [(e["code"], e["t"] - run["started_at"]) for e in run["events"]]
    assert events == [("sensor-gap", 2.0), ("sensor-recovered", 3.0)]
    # the board's counter kept counting through the gap: 300 W over the whole 4 s
    assert t.energy_j == pytest.approx(300 * 4.0)


def test_forecast_bill_of_the_whole_run(tmp_path: Path) -> None:
    gpu, clock = FakeSensor([700.0] * 4, name="NVIDIA H100 80GB HBM3"), ManualClock()
    t = combien.Tracker(
        location="FR", db=str(tmp_path / "r.db"), sensors=[gpu], total=10, clock=clock
    )  # counters read every 5 s (the flush interval)
    t.start()
    for step in range(1, 5):  # a step every 5 s, done just before the counters are read
        clock.advance(4.5)
        t.progress(step)
        clock.advance(0.5)
    partial, whole = t.bill(), t.forecast_bill()
    t.stop()
    # 4 GPUs × 700 W: each 5 s step costs 14 kJ, every one the same, so after 4 of 10 steps the
    # whole run is 10 × 14 kJ = 140 kJ over 10 × 5 s = 50 s, with no spread
    assert partial.inputs["it_energy_kwh"].value == pytest.approx(kwh_from_j(2800 * 20))
    assert partial.inputs["chip_hours"].value == pytest.approx(4 * 20 / 3600)
    assert whole is not None and whole.extra["forecast"]["total"] == 10
    assert whole.extra["forecast"]["energy_j"] == pytest.approx(
        {"value": 140_000, "low": 140_000, "high": 140_000}
    )
    assert whole.extra["forecast"]["duration_s"]["value"] == pytest.approx(50)
    assert whole.inputs["it_energy_kwh"].value == pytest.approx(kwh_from_j(140_000))
    assert whole.inputs["chip_hours"].value == pytest.approx(4 * 50 / 3600)
    assert whole.energy_kwh.value / partial.energy_kwh.value == pytest.approx(10 / 4)
    for line in (whole.co2e_total_kg, whole.water_total_l, whole.cost_cloud_usd):
        assert line is not None and line.low <= line.value <= line.high


def test_count_gives_the_measured_energy_per_request_and_token(tmp_path: Path) -> None:
    clock = ManualClock()
    db = str(tmp_path / "r.db")
    with combien.Tracker(db=db, sensors=[FakeSensor(300.0)], clock=clock, **EACH_SECOND) as t:
        clock.advance(10.0)
        t.count(requests=100, tokens_in=10_000, tokens_out=5_000)
        t.count(requests="many")  # type: ignore[arg-type]  # refused, the job goes on
    served = t.run_info()["served"]
    # 300 W for 10 s = 3,000 J: 30 J (8.33 mWh) per request, 0.6 J per output token
    assert served["requests"] == 100 and served["tokens_out"] == 5_000
    assert served["energy_per_request_kwh"] == pytest.approx(3000 / 100 / 3.6e6)
    assert served["energy_per_output_token_j"] == pytest.approx(3000 / 5000)
    notes = t.run_info()["notes"]
    assert any(n.startswith("served 100 requests (5,000 output tokens)") for n in notes)
    assert any("count() refused" in n for n in notes)
    stored = Store(db).run(t.id)["bill"]  # what `runs show` reads back
    assert stored["run"]["served"]["energy_per_output_token_j"] == pytest.approx(0.6)


def test_a_run_under_a_second_does_not_read_0_s(tmp_path: Path, cli: Any) -> None:
    from combien.measure.runs import Comparison

    db, clock = str(tmp_path / "runs.db"), ManualClock()
    with combien.Tracker(db=db, sensors=[FakeSensor(100.0)], clock=clock) as t:
        clock.advance(0.17)
    # 100 W × 0.17 s = 17 J = 0.00472 Wh
    assert t.summary() == "combien: 0.00472 Wh in 0.170 s"
    listing = cli("runs", "list", "--db", db, "--format", "markdown").out
    (row,) = [r for r in listing.splitlines() if r.startswith(f"| {t.id} |")]
    assert "| 0.170 s |" in row
    # a measured energy a thousandth of the estimate: its ratio, not 0.00
    estimate = {"value": 4.72, "low": 3.0, "high": 6.0}
    line = {"measured": 0.00472, "estimated": estimate, "ratio": 0.001, "inside_range": False}
    (compared,) = Comparison({"energy_kwh": line}).rows()
    assert compared[-1] == "0.00100"
