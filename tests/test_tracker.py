"""The tracker: measures, writes as it goes, survives faults, forecasts, never breaks the job."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import combien
from combien.errors import InputError, UnknownNameError
from combien.measure.forecast import forecast
from combien.store import Store
from combien.testing import FakeSensor

FAST = {"interval_s": 0.02, "flush_s": 0.1}


def test_measures_and_stores(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    gpu, cpu = FakeSensor([300.0, 300.0]), FakeSensor(50.0, kind="cpu", method="estimated")
    with combien.Tracker(
        location="FR", project="p", db=db, sensors=[gpu, cpu], total=5, **FAST
    ) as t:
        for i in range(5):
            time.sleep(0.05)
            t.progress(i + 1)
        with t.phase("eval"):
            time.sleep(0.1)
    assert gpu.closed and t.status == "finished"
    # 650 W for the whole run, within the sampling resolution
    assert t.energy_j == pytest.approx(650 * t.duration_s, rel=0.1)
    run = Store(db).run(t.id)
    assert run is not None and run["status"] == "finished" and run["project"] == "p"
    assert {d["key"] for d in run["devices"]} == {"gpu0", "gpu1", "cpu0"}
    assert run["phases"][0]["name"] == "eval"
    assert run["phases"][0]["energy_j"] == pytest.approx(650 * 0.1, rel=0.5)
    assert run["forecast"]["fraction"] == 1.0
    bill = run["bill"]
    assert bill["schema"] == "combien.bill/1" and bill["run"]["id"] == t.id
    methods = {d["key"]: d["method"] for d in bill["run"]["devices"]}
    assert methods == {"gpu0": "measured", "gpu1": "measured", "cpu0": "estimated"}
    assert bill["inputs"]["it_energy_kwh"]["origin"] == "measured"
    assert bill["labels"]["location"] == "FR"
    assert len(Store(db).samples(t.id)) >= 3 * 5


def test_measured_bill_prices_gpu_time(tmp_path: Path) -> None:
    gpu = FakeSensor([700.0] * 8, name="NVIDIA H100 80GB HBM3")
    with combien.Tracker(location="US-IA", db=str(tmp_path / "r.db"), sensors=[gpu], **FAST) as t:
        time.sleep(0.2)
    bill = t.bill()
    assert bill.labels["hardware"] == "h100-sxm"
    assert bill.inputs["chip_hours"].value == pytest.approx(8 * t.duration_s / 3600)
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
    flaky = FakeSensor(100.0, fail_between=(0.1, 0.3))
    steady = FakeSensor(100.0, kind="cpu")
    with combien.Tracker(db=str(tmp_path / "r.db"), sensors=[flaky, steady], **FAST) as t:
        time.sleep(0.5)
    codes = [e["code"] for e in Store(tmp_path / "r.db").run(t.id)["events"]]
    assert codes.count("sensor-gap") == 1 and codes.count("sensor-recovered") == 1
    assert t.status == "finished"
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


def test_store_unwritable_keeps_the_data(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with combien.Tracker(db=str(blocker / "runs.db"), sensors=[FakeSensor(10.0)], **FAST) as t:
        time.sleep(0.3)
    assert t.energy_j > 0
    assert t.fallback_path and Path(t.fallback_path).exists()
    lines = Path(t.fallback_path).read_text().splitlines()
    assert any('"energy_j"' in line for line in lines)
    assert any("cannot be written" in n for n in t.notes)


def test_decorator(tmp_path: Path) -> None:
    @combien.track(db=str(tmp_path / "r.db"), sensors=[FakeSensor()], **FAST)
    def work(x: int) -> int:
        time.sleep(0.05)
        return x * 2

    assert work(21) == 42
    assert Store(tmp_path / "r.db").runs()[0]["status"] == "finished"


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
    import sys, time
    import combien
    from combien.testing import FakeSensor
    t = combien.Tracker(db=sys.argv[1], sensors=[FakeSensor(100.0)], interval_s=0.02,
                        flush_s=0.1, project=sys.argv[2])
    t.start()
    print(t.id, flush=True)
    time.sleep(float(sys.argv[3]))
    t.stop()
    """
)


def test_sigkill_loses_at_most_one_flush(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, db, "killed", "60"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    time.sleep(1.0)
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    run = Store(db).run(run_id)
    assert run is not None and run["status"] == "interrupted"
    samples = Store(db).samples(run_id)
    assert samples and killed_at - samples[-1]["t"] <= 0.1 + 0.25  # one flush, plus slack
    energy = sum(d["energy_j"] for d in run["devices"])
    assert energy == pytest.approx(100 * run["duration_s"], rel=0.2)


def test_concurrent_writers(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, db, f"w{i}", "1.0"], stdout=subprocess.PIPE, text=True
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
        assert len(store.samples(run_id)) >= 5  # counters are read at each 0.1 s flush
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


SPIN = "import time\nt = time.time()\nwhile time.time() - t < 0.6: pass\nprint('out')"


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
    assert run["status"] == "finished" and run["duration_s"] > 0.5
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
    db = str(tmp_path / "runs.db")
    monkeypatch.setenv("COMBIEN_DB", db)
    gpu = FakeSensor([700.0] * 2, name="NVIDIA H100 80GB HBM3")
    with combien.Tracker(location="US-IA", db=db, sensors=[gpu], project="cmp", **FAST) as t:
        time.sleep(0.2)
    listing = cli("runs", "list", "--format", "json").json()
    assert listing[0]["id"] == t.id and listing[0]["co2e_kg"] > 0
    csv_text = cli("runs", "export", "--format", "csv").out
    assert csv_text.splitlines()[0].startswith("id,project,status")
    samples = cli("runs", "export", "--format", "json", "--run", t.id).json()
    assert samples and {"t", "node", "key", "energy_j"} <= set(samples[0])
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

    t0 = time.monotonic()
    nvml = FakeNvml(clock=lambda: time.monotonic() - t0, fail=lambda t: 0.15 <= t < 0.3)
    with combien.Tracker(db=str(tmp_path / "r.db"), sensors=[NvmlSensor(nvml=nvml)], **FAST) as t:
        time.sleep(0.5)
    codes = [e["code"] for e in Store(tmp_path / "r.db").run(t.id)["events"]]
    assert "sensor-gap" in codes and "sensor-recovered" in codes
    # the board's counter kept counting through the gap: 300 W over the whole run
    assert t.energy_j == pytest.approx(300 * t.duration_s, rel=0.1)


def test_forecast_bill_of_the_whole_run(tmp_path: Path) -> None:
    gpu = FakeSensor([700.0] * 4, name="NVIDIA H100 80GB HBM3")
    t = combien.Tracker(
        location="FR",
        db=str(tmp_path / "r.db"),
        sensors=[gpu],
        total=10,
        interval_s=0.02,
        flush_s=0.05,
    )
    t.start()
    for step in range(1, 5):
        time.sleep(0.06)
        t.progress(step)
    time.sleep(0.06)
    partial, whole = t.bill(), t.forecast_bill()
    t.stop()
    assert whole is not None and whole.extra["forecast"]["total"] == 10
    # 4 of 10 steps done: the whole run costs about 10/4 of what was measured so far
    ratio = whole.energy_kwh.value / partial.energy_kwh.value
    assert 1.8 < ratio < 3.2
    for line in (whole.co2e_total_kg, whole.water_total_l, whole.cost_cloud_usd):
        assert line is not None and line.low <= line.value <= line.high
