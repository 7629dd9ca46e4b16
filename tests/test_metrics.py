"""`/metrics`: the run store in Prometheus's text format, read with Prometheus's own parser, over
real SQLite stores written by real trackers (fake sensors) and by `POST /api/ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("prometheus_client", reason="the web extra is not installed")

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

import combien
from combien.measure.sensors import Sensor
from combien.store import Store
from combien.testing import FakeSensor, ManualClock
from combien.web import create_app

#: on a ManualClock: a sample and a flush each second
EACH_SECOND: dict[str, Any] = {"interval_s": 1.0, "flush_s": 1.0, "counter_interval_s": 1.0}


class StepSensor(Sensor):
    """One GPU at `before_w` for its first `switch_s` seconds, then at `after_w`."""

    def __init__(self, before_w: float, after_w: float, switch_s: float) -> None:
        from combien.measure.sensors import MEASURED, Device

        self.devices = (Device("gpu0", "gpu", "Step GPU", MEASURED),)
        self.before_w, self.after_w, self.switch_s = before_w, after_w, switch_s
        self._t0: float | None = None

    def sample(self, now: float) -> list[float]:
        self._t0 = now if self._t0 is None else self._t0
        elapsed = now - self._t0
        early = min(elapsed, self.switch_s)
        return [self.before_w * early + self.after_w * (elapsed - early)]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    """/metrics read as Prometheus reads it: {(sample name, sorted labels): value}."""
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert answer.headers["x-content-type-options"] == "nosniff"
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, key  # no series twice
            samples[key] = sample.value
    return samples


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples[metric, tuple(sorted(labels.items()))]


def named(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def finished_run(db: Path, watts: float, seconds: float, project: str) -> dict[str, Any]:
    clock = ManualClock()
    with combien.Tracker(
        db=str(db), sensors=[FakeSensor(watts)], clock=clock, project=project, location="FR",
        hardware="h100-sxm", provider="aws", **EACH_SECOND,
    ) as t:  # fmt: skip
        clock.advance(seconds)
    run = Store(db, read_only=True).run(t.id)
    assert run is not None and run["status"] == "finished"
    return run


def test_finished_runs_add_up_to_their_stored_energy_and_bills(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    runs = [finished_run(db, 300.0, 10.0, "llm"), finished_run(db, 200.0, 4.0, "llm")]
    other = finished_run(db, 100.0, 3.0, "vision")
    live = combien.Tracker(db=str(db), sensors=[FakeSensor(50.0)], clock=ManualClock(),
                           project="llm", **EACH_SECOND).start()  # fmt: skip
    try:
        samples = scrape(TestClient(create_app(str(db))))
    finally:
        live.stop()
    # measured energy: 300 W × 10 s + 200 W × 4 s, as the store holds it; the running run apart
    energy = value(samples, "combien_project_energy_joules_total", project="llm")
    assert energy == pytest.approx(sum(r["energy_j"] for r in runs), rel=1e-12)
    assert energy == pytest.approx(300.0 * 10 + 200.0 * 4)
    assert value(samples, "combien_project_energy_joules_total", project="vision") == (
        pytest.approx(other["energy_j"])
    )
    # from each run's stored bill: facility energy, CO2e, water, cost
    bills = [r["bill"] for r in runs]
    kwh = sum(b["energy_kwh"]["value"] for b in bills)
    kg = sum(b["co2e_kg"]["total"]["value"] for b in bills)
    expected = {
        "combien_project_facility_energy_joules_total": kwh * 3.6e6,
        "combien_project_co2e_grams_total": kg * 1e3,
        "combien_project_water_liters_total": sum(b["water_l"]["total"]["value"] for b in bills),
    }
    for name, total in expected.items():
        assert total > 0 and value(samples, name, project="llm") == pytest.approx(total), name
    # cost by basis; the hardware's purchase price is not a cost of the run, and not added up
    costs = named(samples, "combien_project_cost_usd_total")
    assert {dict(k)["basis"] for k in costs} == {"cloud", "ownership", "energy"}
    for basis in ("cloud", "ownership", "energy"):
        total = sum(b["cost_usd"][basis]["value"] for b in bills)
        assert costs[("basis", basis), ("project", "llm")] == pytest.approx(total), basis
    # the runs by project and status
    assert value(samples, "combien_runs", project="llm", status="finished") == 2
    assert value(samples, "combien_runs", project="llm", status="running") == 1
    assert value(samples, "combien_runs", project="vision", status="finished") == 1
    assert value(samples, "combien_store_up") == 1


def test_a_running_run_shows_its_latest_power_and_energy_so_far(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    clock = ManualClock()
    tracker = combien.Tracker(
        db=str(db), sensors=[StepSensor(300.0, 100.0, 5.0)], clock=clock, project="live",
        **EACH_SECOND,
    ).start()  # fmt: skip
    client = TestClient(create_app(str(db)))
    try:
        clock.advance(8.0)
        samples = scrape(client)
        stored = Store(db, read_only=True).run(tracker.id)
        assert stored is not None and stored["status"] == "running"
        (device,) = stored["devices"]
        labels = {"run": tracker.id, "project": "live", "node": device["node"], "device": "gpu0",
                  "kind": "gpu", "name": "Step GPU"}  # fmt: skip
        # the power of the last sample (100 W), not the run's average
        assert value(samples, "combien_device_power_watts", **labels) == pytest.approx(100.0)
        energy = value(samples, "combien_device_energy_joules_total", **labels)
        assert energy == device["energy_j"] == pytest.approx(300.0 * 5 + 100.0 * 3)
        assert not named(samples, "combien_project_energy_joules_total")  # nothing finished
    finally:
        tracker.stop()
    # once it ends, its devices leave and its energy joins the project's total
    samples = scrape(client)
    assert not named(samples, "combien_device_power_watts")
    assert value(samples, "combien_project_energy_joules_total", project="live") == (
        pytest.approx(tracker.energy_j)
    )


def batch(seq: int, samples: list[list[Any]], energy_j: float, **run: Any) -> dict[str, Any]:
    return {
        "run": {"id": "far01", "host": "node-7", "started_at": 1.7e9, "project": "far",
                "flush_s": 3600.0, **run},
        "seq": seq,
        "samples": samples,
        "devices": [{"key": "gpu0", "node": "node-7", "kind": "gpu", "name": "H100 80GB",
                     "method": "measured", "energy_j": energy_j}],
        "duration_s": float(seq),
    }  # fmt: skip


def test_a_run_posted_to_the_server_shows_while_it_runs(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "served.db"), ingest=True))
    t0 = 1.7e9
    first = batch(1, [[t0, "node-7", "gpu0", 0.0], [t0 + 5, "node-7", "gpu0", 1000.0]], 1000.0)
    second = batch(2, [[t0 + 6, "node-7", "gpu0", 1400.0]], 1400.0)
    for body in (first, second):
        assert client.post("/api/ingest", json=body).json()["stored"] is True
    samples = scrape(client)
    labels = {"run": "far01", "project": "far", "node": "node-7", "device": "gpu0",
              "kind": "gpu", "name": "H100 80GB"}  # fmt: skip
    assert value(samples, "combien_device_power_watts", **labels) == pytest.approx(400.0)
    assert value(samples, "combien_device_energy_joules_total", **labels) == 1400.0
    assert value(samples, "combien_runs", project="far", status="running") == 1


HOSTILE = ['quote " and \\ backslash', "new\nline", "<script>alert(1)</script>", "été ☃ 🌍", ""]


@pytest.mark.parametrize("project", HOSTILE)
def test_label_values_are_escaped_and_read_back_whole(tmp_path: Path, project: str) -> None:
    db = tmp_path / "runs.db"
    run = finished_run(db, 300.0, 2.0, project)
    client = TestClient(create_app(str(db)))
    samples = scrape(client)
    assert value(samples, "combien_project_energy_joules_total", project=project) == (
        pytest.approx(run["energy_j"])
    )
    # OpenMetrics, which Prometheus asks for first, reads back the same
    answer = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    families = {f.name: f for f in openmetrics_families(answer.text)}
    (sample,) = families["combien_project_energy_joules"].samples
    assert sample.labels == {"project": project} and sample.value == pytest.approx(run["energy_j"])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    project=st.text(st.characters(blacklist_categories=["Cs"]), max_size=60),
    name=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=60),
)
def test_any_text_a_tracker_sends_is_a_valid_exposition(project: str, name: str) -> None:
    import tempfile

    client = TestClient(create_app(str(Path(tempfile.mkdtemp()) / "runs.db"), ingest=True))
    body = batch(1, [[1.7e9, "n", "gpu0", 0.0], [1.7e9 + 1, "n", "gpu0", 5.0]], 5.0,
                 project=project)  # fmt: skip
    body["devices"][0].update(node="n", name=name)
    answer = client.post("/api/ingest", json=body)
    assert answer.status_code == 200, answer.text
    samples = scrape(client)
    device = named(samples, "combien_device_power_watts")
    (labels,) = device
    assert dict(labels)["project"] == project and dict(labels)["name"] == name
    assert device[labels] == pytest.approx(5.0)


def test_no_store_is_an_empty_exposition(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "no-such-folder" / "runs.db")))
    samples = scrape(client)
    assert samples == {("combien_store_up", ()): 1.0}
    # an empty store, and an Accept header whose version is not one
    Store(tmp_path / "empty.db").close()
    empty = TestClient(create_app(str(tmp_path / "empty.db")))
    assert scrape(empty, Accept="text/plain; version=abc") == samples
    assert not (tmp_path / "no-such-folder").exists()  # reading creates nothing


def test_a_store_that_cannot_be_read_says_so_and_is_not_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "runs.db"
    broken.write_bytes(b"this is not a SQLite file" * 100)
    samples = scrape(TestClient(create_app(str(broken))))
    assert samples == {("combien_store_up", ()): 0.0}


def test_each_app_reads_its_own_store(tmp_path: Path) -> None:
    finished_run(tmp_path / "a.db", 300.0, 2.0, "a")
    finished_run(tmp_path / "b.db", 300.0, 2.0, "b")
    first = scrape(TestClient(create_app(str(tmp_path / "a.db"))))
    second = scrape(TestClient(create_app(str(tmp_path / "b.db"))))
    assert [dict(k)["project"] for k in named(first, "combien_project_energy_joules_total")] == [
        "a"
    ]
    assert [dict(k)["project"] for k in named(second, "combien_project_energy_joules_total")] == [
        "b"
    ]
    # what is written after a scrape is read at the next one
    client = TestClient(create_app(str(tmp_path / "a.db")))
    scrape(client)
    run = finished_run(tmp_path / "a.db", 100.0, 1.0, "a")
    again = scrape(client)
    assert value(again, "combien_runs", project="a", status="finished") == 2
    assert value(again, "combien_project_energy_joules_total", project="a") == pytest.approx(
        600.0 + run["energy_j"]
    )


def test_metrics_is_described_as_text_and_refuses_in_json(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "runs.db")))
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/plain"]
    refused = client.post("/metrics")  # read by programs: the API's error shape, not a page
    assert refused.status_code == 405 and refused.json()["error"]["message"]
