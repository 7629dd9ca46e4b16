"""A run reported to a combien server as it goes: a real server (uvicorn, on a loopback port) over
a real SQLite store, a tracker on a fake sensor posting to it; the server up, down at the start,
never up; a batch sent twice; bodies the server refuses."""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient

import combien
from combien.errors import InputError
from combien.measure import remote
from combien.store import Store
from combien.testing import FakeSensor, ManualClock
from combien.web import create_app

#: on a ManualClock: power meters read every 0.25 s, counters read and a batch sent each second
EACH_SECOND: dict[str, Any] = {"interval_s": 0.25, "flush_s": 1.0}
#: how long a test waits for what happens in the background (a shared machine may be slow)
PATIENCE_S = 60.0


@pytest.fixture(autouse=True)
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests and the last tries at stop() wait long: a loaded machine is not a down server."""
    monkeypatch.setattr(remote, "TIMEOUT_S", PATIENCE_S)
    monkeypatch.setattr(remote, "CLOSE_WAIT_S", PATIENCE_S)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"waited {PATIENCE_S:.0f} s for {what}"
        time.sleep(0.05)


class Server:
    """`combien serve --ingest` over `db`, in a thread, on `port`."""

    def __init__(self, db: Path, port: int, *, ingest: bool = True) -> None:
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(str(db), ingest=ingest), host="127.0.0.1", port=port, log_level="error"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> Server:
        self._thread.start()
        wait_for(lambda: self._server.started, "the server to start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=PATIENCE_S)


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(db: Path, port: int | None = None, **options: Any) -> Server:
        server = Server(db, port or free_port(), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def post(url: str, body: bytes) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/api/ingest", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=PATIENCE_S) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


def stored(db: Path, run_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A run as a store holds it (None if it does not), and its samples."""
    store = Store(db, read_only=True)
    try:
        return store.run(run_id), store.samples(run_id)
    finally:
        store.close()


def has_samples(db: Path, run_id: str) -> bool:
    """True once the store holds samples of the run (False while the file is being made)."""
    try:
        return bool(stored(db, run_id)[1])
    except sqlite3.DatabaseError:
        return False


def assert_same_run(local: Path, served: Path, run_id: str) -> dict[str, Any]:
    """The server's store holds the run as the local store does: energy, samples, end."""
    mine, my_samples = stored(local, run_id)
    theirs, their_samples = stored(served, run_id)
    assert mine is not None and theirs is not None
    assert theirs["status"] == mine["status"] == "finished"
    assert theirs["energy_j"] == pytest.approx(mine["energy_j"], rel=1e-12)
    assert theirs["duration_s"] == pytest.approx(mine["duration_s"])
    assert len(their_samples) == len(my_samples) > 0
    assert their_samples == my_samples
    assert theirs["co2e_kg"] == pytest.approx(mine["co2e_kg"])
    assert {(d["key"], d["energy_j"]) for d in theirs["devices"]} == {
        (d["key"], d["energy_j"]) for d in mine["devices"]
    }
    assert theirs["project"] == mine["project"] and theirs["host"] == mine["host"]
    return theirs


def test_a_run_posted_as_it_goes_is_the_local_run(tmp_path: Path, servers: Any) -> None:
    local, served = tmp_path / "local.db", tmp_path / "served.db"
    server, clock = servers(served), ManualClock()
    sensors = [FakeSensor([300.0, 250.0]), FakeSensor(40.0, kind="cpu", method="estimated")]
    with combien.Tracker(
        db=str(local), server=server.url, sensors=sensors, clock=clock, project="far",
        location="FR", total=4, **EACH_SECOND,
    ) as t:  # fmt: skip
        for step in range(4):
            clock.advance(1.0)
            t.progress(step + 1)
        wait_for(lambda: has_samples(served, t.id), "the first batches on the server")
        running, _ = stored(served, t.id)
        assert running is not None and running["status"] == "running"  # live, while it runs
        with t.phase("eval"):
            clock.advance(0.5)
    assert t.spool_path is None and not any("server" in note for note in t.notes)
    theirs = assert_same_run(local, served, t.id)
    assert t.energy_j == pytest.approx((300 + 250 + 40) * 4.5)
    assert [p["name"] for p in theirs["phases"]] == ["eval"]
    assert theirs["forecast"]["fraction"] == 1.0
    # the server's pages and API show it as they show a local run
    client = TestClient(create_app(str(served)))
    assert client.get("/api/runs").json()[0]["id"] == t.id
    answer = client.get(f"/api/runs/{t.id}")
    assert answer.status_code == 200, answer.text
    bill = answer.json()
    assert bill["run"]["status"] == "finished" and bill["labels"]["location"] == "FR"
    assert bill["energy_kwh"] == t.bill().to_dict()["energy_kwh"]
    power = client.get(f"/api/runs/{t.id}/power").json()
    assert power["samples"] == len(stored(local, t.id)[1])
    assert client.get(f"/api/runs/{t.id}/stream").text.startswith("data: ")
    assert t.id in client.get("/runs").text and client.get(f"/runs/{t.id}").status_code == 200


@pytest.mark.parametrize("comes_up", ["mid-run", "before-stop"])
def test_a_server_down_at_the_start_gets_everything_once(
    tmp_path: Path, servers: Any, comes_up: str
) -> None:
    local, served, port = tmp_path / "local.db", tmp_path / "served.db", free_port()
    clock = ManualClock()
    t = combien.Tracker(
        db=str(local), server=f"http://127.0.0.1:{port}", sensors=[FakeSensor(200.0)],
        clock=clock, **EACH_SECOND,
    ).start()  # fmt: skip
    for _ in range(3):
        clock.advance(1.0)
    wait_for(lambda: t.spool_path is not None, "the batches to wait in the spool file")
    spool = Path(t.spool_path or "")
    assert spool.parent == tmp_path  # beside the store
    first_batch = spool.read_bytes().splitlines()[0]
    server = servers(served, port)
    if comes_up == "mid-run":
        wait_for(lambda: has_samples(served, t.id), "the waiting batches to be sent")
        for _ in range(3):
            clock.advance(1.0)
    t.stop()
    assert not spool.exists()  # everything was sent: nothing left waiting
    assert_same_run(local, served, t.id)
    run, _ = stored(local, t.id)
    assert run is not None
    codes = [e["code"] for e in run["events"]]
    assert "server-unreachable" in codes and "server-reached" in codes
    # a batch sent again (its answer lost) is stored once
    samples = len(stored(served, t.id)[1])
    assert post(server.url, first_batch) == {"run": t.id, "seq": 1, "stored": False}
    assert post(server.url, first_batch)["stored"] is False
    assert len(stored(served, t.id)[1]) == samples
    assert_same_run(local, served, t.id)


def test_a_server_never_up_leaves_the_run_whole_and_says_what_waits(
    tmp_path: Path, servers: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    local, served, port = tmp_path / "local.db", tmp_path / "served.db", free_port()
    clock = ManualClock()
    with combien.Tracker(
        db=str(local), server=f"http://127.0.0.1:{port}", sensors=[FakeSensor(100.0)],
        clock=clock, **EACH_SECOND,
    ) as t:  # fmt: skip
        for _ in range(5):
            clock.advance(1.0)
    run, samples = stored(local, t.id)
    assert run is not None and run["status"] == "finished"  # the local run is complete
    assert run["energy_j"] == pytest.approx(100.0 * 5)
    spool = Path(t.spool_path or "")
    said = [note for note in t.notes if "were not sent" in note]
    assert len(said) == 1 and f"{len(samples)} samples" in said[0] and str(spool) in said[0]
    assert said[0] in run["bill"]["run"]["notes"]  # the stored bill says it too
    err = [line for line in capsys.readouterr().err.splitlines() if "were not sent" in line]
    assert err == [f"combien: {said[0]}"]
    # the spool file holds every batch: sent later, the server has the whole run
    bodies = spool.read_bytes().splitlines()
    assert sum(len(json.loads(body).get("samples", ())) for body in bodies) == len(samples)
    server = servers(served)
    for body in bodies:
        assert post(server.url, body)["stored"] is True
    assert_same_run(local, served, t.id)


def test_a_server_that_does_not_take_runs_is_named_in_the_notes(
    tmp_path: Path, servers: Any
) -> None:
    server = servers(tmp_path / "served.db", ingest=False)
    clock = ManualClock()
    with combien.Tracker(
        db=str(tmp_path / "local.db"), server=server.url, sensors=[FakeSensor(100.0)],
        clock=clock, **EACH_SECOND,
    ) as t:  # fmt: skip
        clock.advance(2.0)
    (said,) = [note for note in t.notes if "were not sent" in note]
    assert "HTTP 403" in said and "combien serve --ingest" in said
    assert not (tmp_path / "served.db").exists()  # the server's store was not written


def test_combien_track_reports_to_the_server(tmp_path: Path, servers: Any, cli: Any) -> None:
    local, served = tmp_path / "local.db", tmp_path / "served.db"
    server = servers(served)
    code = "import time; time.sleep(0.5)"
    result = cli("track", "--db", str(local), "--server", server.url, "--flush", "0.2",
                 "--location", "FR", "--", sys.executable, "-c", code)  # fmt: skip
    assert result.code == 0, result.err
    (run,) = Store(local, read_only=True).runs()
    assert_same_run(local, served, run["id"])


@pytest.mark.parametrize(
    "url", ["ftp://example.org", "127.0.0.1:8000", "http://", "http://host:port", "http://h/?q=1"]
)
def test_a_bad_server_address_fails_at_once(url: str, cli: Any) -> None:
    with pytest.raises(InputError, match="server"):
        combien.Tracker(server=url)
    result = cli("track", "--server", url, "--", "true")
    assert result.code == 2 and result.err.startswith("combien: error: Tracker: server")
    assert len(result.err.splitlines()) == 1


# ------------------------------------------------------------------ what the server refuses


def body(**changes: Any) -> dict[str, Any]:
    batch: dict[str, Any] = {
        "run": {"id": "abc123", "host": "node-1", "started_at": 1.7e9, "project": "p"},
        "seq": 1,
        "samples": [[1.7e9, "node-1", "gpu0", 10.0]],
        "devices": [
            {"key": "gpu0", "node": "node-1", "kind": "gpu", "name": "Fake GPU",
             "method": "measured", "energy_j": 10.0}
        ],
        "duration_s": 1.0,
    }  # fmt: skip
    return batch | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seq": 0}, "seq"),
        ({"samples": [[1.7e9, "node-1", "gpu0", -1.0]]}, "samples"),
        ({"samples": [[1.7e9, "node-1"]]}, "samples"),
        ({"run": {"id": "a b", "host": "h", "started_at": 1.0}}, "run.id"),
        ({"finish": {"status": "done", "duration_s": 1.0, "ended_at": 2.0}}, "finish.status"),
        ({"forecast": {"fraction": float("inf")}}, "forecast"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_batch_is_422_with_one_line(tmp_path: Path, changes: Any, field: str) -> None:
    client = TestClient(create_app(str(tmp_path / "served.db"), ingest=True))
    answer = client.post(
        "/api/ingest",
        content=json.dumps(body(**changes)),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["type"] == "InputError" and error["field"].startswith(field)
    assert error["message"] and "\n" not in error["message"]
    assert Store(tmp_path / "served.db", read_only=True).runs() == []  # nothing written


def test_not_json_and_a_local_run_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    client = TestClient(create_app(str(db), ingest=True))
    answer = client.post(
        "/api/ingest", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422 and "not JSON" in answer.json()["error"]["message"]
    with combien.Tracker(db=str(db), sensors=[FakeSensor(100.0)], flush_s=0.1) as t:
        pass  # a run that a tracker of this machine wrote in the same store
    samples = len(stored(db, t.id)[1])
    answer = client.post("/api/ingest", json=body(run={**body()["run"], "id": t.id}))
    assert answer.status_code == 422 and "local tracker" in answer.json()["error"]["message"]
    assert len(stored(db, t.id)[1]) == samples
    off = TestClient(create_app(str(tmp_path / "other.db"))).post("/api/ingest", json=body())
    assert off.status_code == 403 and "--ingest" in off.json()["error"]["message"]


def test_batches_out_of_order_keep_the_newest_totals(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    client = TestClient(create_app(str(db), ingest=True))
    newer = body(seq=2, samples=[[1.7e9 + 1, "node-1", "gpu0", 20.0]], duration_s=2.0)
    newer["devices"][0]["energy_j"] = 20.0
    assert client.post("/api/ingest", json=newer).json()["stored"] is True
    assert client.post("/api/ingest", json=body()).json()["stored"] is True  # the older, late
    run, samples = stored(db, "abc123")
    assert run is not None and run["energy_j"] == 20.0 and run["duration_s"] == 2.0
    assert len(samples) == 2 and run["host"] == "node-1"


# ------------------------------------------------------------------ fuzzed from the schema

schemathesis = pytest.importorskip("schemathesis", reason="the webtest extra is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402

INGESTING = create_app(None, ingest=True)
schema = schemathesis.openapi.from_asgi("/openapi.json", INGESTING)


@pytest.fixture
def fuzzed_store(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "fuzzed.db"
    INGESTING.state.db, INGESTING.state.writer = str(db), None
    yield db
    if INGESTING.state.writer is not None:
        INGESTING.state.writer.close()


@schema.include(path_regex="^/api/ingest$").parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_what_is_ingested_never_makes_a_server_error(case: Any, fuzzed_store: Path) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["message"]
        return
    run_id = response.json()["run"]
    client = TestClient(INGESTING)
    for path in (f"/api/runs/{run_id}", f"/api/runs/{run_id}/power", f"/runs/{run_id}", "/runs"):
        answer = client.get(path)
        assert answer.status_code < 500, (path, answer.text)
