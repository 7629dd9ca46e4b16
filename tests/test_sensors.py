"""Sensors at the hardware boundary: NVML through a fake of the library, RAPL through a fake
sysfs tree, replayed power traces with known integrals; the sampler's window over them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from combien.measure.nvml import NvmlSensor, visible_indices
from combien.measure.rapl import RaplSensor
from combien.measure.sampler import Reading, Sampler, Schedule
from combien.measure.sensors import SensorUnavailable
from combien.testing import FakeNvml, FakeSensor, ManualClock, ReplaySensor, Trace


def wave(i: int, t: float) -> float:
    """A GPU power trace: 350 W ± 250 W square-ish wave with a ramp, known integral."""
    return 350 + 250 * math.sin(t / 7) + 20 * i


def wave_energy(i: int, t_end: float) -> float:
    return 350 * t_end + 250 * 7 * (1 - math.cos(t_end / 7)) + 20 * i * t_end


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("counter", [True, False])
def test_nvml_energy_matches_the_integral(counter: bool) -> None:
    clock = Clock()
    nvml = FakeNvml(["NVIDIA H100 80GB HBM3"] * 2, power_w=wave, clock=clock, counter=counter)
    sensor = NvmlSensor(nvml=nvml, all_gpus=True)
    assert sensor.methods == ["counter" if counter else "power"] * 2
    energy = sensor.sample(0.0)
    for step in range(1, 601):  # 600 s at a 1 s interval
        clock.t = float(step)
        energy = sensor.sample(clock.t)
    for i in range(2):
        assert energy[i] == pytest.approx(wave_energy(i, 600), rel=1e-3)
    sensor.close()
    assert not nvml.initialised


def test_nvml_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    uuids = ["GPU-aaaa", "GPU-bbbb", "GPU-cccc"]
    assert visible_indices(3, uuids, None, False) == [0, 1, 2]
    assert visible_indices(3, uuids, "2,0", False) == [2, 0]
    assert visible_indices(3, uuids, "GPU-bb", False) == [1]
    assert visible_indices(3, uuids, "1,7,2", False) == [1]  # CUDA stops at an invalid id
    assert visible_indices(3, uuids, "", False) == []
    assert visible_indices(3, uuids, "", True) == [0, 1, 2]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    sensor = NvmlSensor(nvml=FakeNvml(["A", "NVIDIA H100 PCIe"]))
    assert [d.name for d in sensor.devices] == ["NVIDIA H100 PCIe"]
    assert [d.key for d in sensor.devices] == ["gpu1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(SensorUnavailable, match="no GPU visible"):
        NvmlSensor(nvml=FakeNvml())


def test_nvml_unavailable() -> None:
    with pytest.raises(SensorUnavailable, match="NVML cannot start"):
        NvmlSensor(nvml=FakeNvml(fail=lambda t: True))


def test_replayed_trace_integral() -> None:
    t = [0, 1, 2.5, 4, 10, 30, 31, 60]
    p = [[60, 700, 650, 690, 120, 700, 80, 80]]
    trace = Trace(t, p)
    exact = trace.energy_j(0)
    sensor = ReplaySensor(trace)
    sensor.sample(0.0)
    energy = [0.0]
    for k in range(1, 1201):  # sampled every 0.05 s, as a power meter would
        energy = sensor.sample(k * 0.05)
    assert energy[0] == pytest.approx(exact, rel=1e-3)


def test_sampler_window_replays_a_trace() -> None:
    # every breakpoint of the trace is a multiple of the 0.25 s interval: the trapezoids the
    # power meter integrates are the trace's own, and the energy is its exact integral
    trace = Trace([0, 1, 2.5, 4, 10, 30, 31, 60], [[60, 700, 650, 690, 120, 700, 80, 80]])
    clock = ManualClock()
    readings: list[Reading] = []
    heartbeats: list[float] = []
    sampler = Sampler(
        clock=clock,
        node="n1",
        on_read=readings.append,
        on_heartbeat=lambda: heartbeats.append(clock.monotonic()),
    )
    counter = FakeSensor(40.0, kind="cpu")  # a cumulative reading, read every 5 s only
    sampler.begin(lambda: [ReplaySensor(trace), counter])
    sampler.run(Schedule(interval_s=0.25, counter_interval_s=5.0, heartbeat_s=10.0))
    clock.advance(60.0)
    measurement = sampler.end()
    assert counter.closed
    assert measurement.duration_s == 60.0
    (gpu, gpu_j), (cpu, cpu_j) = measurement.devices
    assert (gpu.key, gpu.node, cpu.key) == ("gpu0", "n1", "cpu0")
    assert gpu_j == pytest.approx(trace.energy_j(0), rel=1e-12)
    assert cpu_j == pytest.approx(40.0 * 60)
    assert measurement.energy_j == pytest.approx(trace.energy_j(0) + 40.0 * 60)
    assert heartbeats == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    # counters at the start, every 5 s and at the end; power alone at the other 0.25 s ticks
    counter_times = [r.elapsed_s for r in readings if r.counters]
    assert counter_times == [0.0, *(5.0 * k for k in range(1, 13)), 60.0]
    assert sum(not r.counters for r in readings) == 240 - 12
    # after the end nothing is read any more, and the measurement stays as it was
    clock.advance(5.0)
    assert sampler.measurement() == measurement


def test_trace_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text("t_s,gpu0,gpu1\n0,100,200\n10,300,200\n")
    trace = Trace.from_csv(path)
    assert trace.energy_j(0) == pytest.approx(2000)
    assert trace.energy_j(1) == pytest.approx(2000)


def make_rapl(root: Path, package_uj: int, dram_uj: int, max_uj: int = 262_143_328_850) -> None:
    for zone, value, name in (
        ("intel-rapl:0", package_uj, "package-0"),
        ("intel-rapl:0/intel-rapl:0:0", None, "core"),
        ("intel-rapl:0/intel-rapl:0:1", dram_uj, "dram"),
    ):
        path = root / zone.split("/")[-1]
        path.mkdir(parents=True, exist_ok=True)
        (path / "name").write_text(name + "\n")
        (path / "energy_uj").write_text(f"{value if value is not None else 5}\n")
        (path / "max_energy_range_uj").write_text(f"{max_uj}\n")


def test_rapl_counts_packages_and_dram_and_handles_wrap(tmp_path: Path) -> None:
    max_uj = 1_000_000_000  # wraps every 1 kJ
    make_rapl(tmp_path, package_uj=990_000_000, dram_uj=100, max_uj=max_uj)
    sensor = RaplSensor(root=tmp_path)
    assert {d.kind for d in sensor.devices} == {"cpu", "dram"}
    assert len(sensor.devices) == 2  # the core sub-zone is inside the package
    # package: +20 J across the wrap (990 J → 1000 J = 0 → 10 J); dram: +3 J
    make_rapl(tmp_path, package_uj=10_000_000, dram_uj=3_000_100, max_uj=max_uj)
    assert sensor.sample(1.0) == pytest.approx([20.0, 3.0])
    make_rapl(tmp_path, package_uj=15_000_000, dram_uj=4_000_100, max_uj=max_uj)
    assert sensor.sample(2.0) == pytest.approx([25.0, 4.0])


def test_rapl_missing_or_unreadable(tmp_path: Path) -> None:
    with pytest.raises(SensorUnavailable, match="missing"):
        RaplSensor(root=tmp_path / "nope")
    with pytest.raises(SensorUnavailable, match="no package zone"):
        RaplSensor(root=tmp_path)
    make_rapl(tmp_path, 1, 1)
    sensor = RaplSensor(root=tmp_path)
    (tmp_path / "intel-rapl:0" / "energy_uj").unlink()  # the file vanishes mid-run
    with pytest.raises(OSError):
        sensor.sample(1.0)


@pytest.mark.parametrize(("counter", "api"), [(True, "6.2"), (True, "6.0"), (False, "6.2")])
def test_amd_energy_matches_the_integral(
    counter: bool, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from combien.measure.amd import AmdSmiSensor
    from combien.testing import FakeAmdSmi

    for name in ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(name, raising=False)
    clock = Clock()
    smi = FakeAmdSmi(
        ["AMD Instinct MI300X"] * 2, power_w=wave, clock=clock, counter=counter, api=api
    )
    sensor = AmdSmiSensor(amdsmi=smi)
    assert sensor.power_sampled is not counter
    assert [d.name for d in sensor.devices] == ["AMD Instinct MI300X"] * 2
    energy = sensor.sample(0.0)
    for step in range(1, 601):
        clock.t = float(step)
        energy = sensor.sample(clock.t)
    for i in range(2):
        assert energy[i] == pytest.approx(wave_energy(i, 600), rel=1e-3)
    sensor.close()
    assert not smi.initialised


def test_amd_visible_devices_and_absence(monkeypatch: pytest.MonkeyPatch) -> None:
    from combien.measure.amd import AmdSmiSensor
    from combien.testing import FakeAmdSmi

    monkeypatch.setenv("HIP_VISIBLE_DEVICES", "1")
    sensor = AmdSmiSensor(amdsmi=FakeAmdSmi(["A", "AMD Instinct MI250X"]))
    assert [d.key for d in sensor.devices] == ["gpu1"]
    with pytest.raises(SensorUnavailable):
        AmdSmiSensor()  # amdsmi is not installed here


def test_the_tree_scan_reads_the_trees_own_files() -> None:
    """The per-task children files give the same descendants as psutil's scan of every
    process, parents before children (a child and its grandchild, both sleeping)."""
    import os
    import subprocess
    import sys
    import time

    import psutil

    from combien.measure import scope

    if not scope._CHILDREN_FILES:
        pytest.skip("this kernel does not list a task's children")
    code = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(600):  # until the grandchild exists (a condition, not a timing)
            if psutil.Process(child.pid).children():
                break
            time.sleep(0.05)
        grandchild = psutil.Process(child.pid).children()[0].pid
        # the child's subtree, which nothing else touches, as psutil sees it
        below = scope._descendants(child.pid)
        assert below is not None
        assert set(below) == {p.pid for p in psutil.Process(child.pid).children(recursive=True)}
        # from this process: parents before their children
        found = scope._descendants(os.getpid())
        assert found is not None
        assert found.index(child.pid) < found.index(grandchild)
    finally:
        for proc in psutil.Process(child.pid).children(recursive=True):
            proc.kill()
        child.kill()
        child.wait()
