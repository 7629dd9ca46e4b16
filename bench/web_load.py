"""Load on the dashboard, on loopback only: N clients reading estimates, run lists, the runs page
and /metrics, while M trackers write their samples to the server's store and P trackers on "other
machines" post theirs to it over HTTP (`Tracker(server=...)` against `combien serve --ingest`),
for a fixed time. Prints requests per second, the 95th-percentile latency (all requests and per
path), errors (an answer that is not 200, a /metrics that does not parse), and whether any energy
was lost: each local tracker's energy against the store, each posting tracker's local store
against the server's, the project totals of /metrics against the store (printed, not asserted:
these machines are shared).

    python bench/web_load.py [clients] [trackers] [posting trackers] [seconds]
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PATHS = ("/api/estimate?model=gpt-3&samples=1000", "/api/runs?limit=20", "/runs", "/metrics")


def main(clients: int = 4, trackers: int = 3, posting: int = 3, seconds: float = 20.0) -> None:
    import httpx
    import uvicorn
    from prometheus_client.parser import text_string_to_metric_families

    import combien
    from combien.store import Store
    from combien.testing import FakeSensor
    from combien.web import create_app

    folder = Path(tempfile.mkdtemp())
    served, elsewhere = str(folder / "served.db"), str(folder / "elsewhere.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(served, ingest=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    options: dict[str, Any] = {"interval_s": 0.2, "flush_s": 0.5}
    local = [
        combien.Tracker(db=served, sensors=[FakeSensor(300.0)], project=f"local-{i}", **options)
        for i in range(trackers)
    ]
    remote = [
        combien.Tracker(db=elsewhere, server=base, sensors=[FakeSensor([250.0, 150.0])],
                        project=f"posted-{i}", **options)
        for i in range(posting)
    ]  # fmt: skip
    for tracker in (*local, *remote):
        tracker.start()
    latencies: dict[str, list[float]] = {path: [] for path in PATHS}
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            i = n
            while time.monotonic() < stop_at:
                path = PATHS[i % len(PATHS)]
                start = time.perf_counter()
                answer = http.get(path)
                elapsed = time.perf_counter() - start
                bad = answer.status_code != 200
                if path == "/metrics" and not bad:
                    try:
                        list(text_string_to_metric_families(answer.text))
                    except ValueError:
                        bad = True
                with lock:
                    latencies[path].append(elapsed)
                    errors[0] += bad
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # how far the server's copy of the posted runs is behind their own stores, under load
    store, theirs = Store(served, read_only=True), Store(elsewhere, read_only=True)
    behind = sum(len(theirs.samples(t.id)) - len(store.samples(t.id)) for t in remote)
    store.close()
    theirs.close()
    stopping = time.perf_counter()
    for tracker in (*local, *remote):
        tracker.stop()
    stopped_s = time.perf_counter() - stopping
    scraped = httpx.get(f"{base}/metrics", timeout=30).text
    server.should_exit = True

    store, theirs = Store(served, read_only=True), Store(elsewhere, read_only=True)
    lost_local = sum(_differs(t.energy_j, _energy(store, t.id)) for t in local)
    lost_posted = sum(
        _differs(_energy(theirs, t.id), _energy(store, t.id))
        or _differs(t.energy_j, _energy(theirs, t.id))
        or len(store.samples(t.id)) != len(theirs.samples(t.id))
        for t in remote
    )
    retries = sum(
        event["code"] == "server-unreachable"
        for t in remote
        for event in (theirs.run(t.id) or {"events": []})["events"]
    )
    unsent = sum(any("were not sent" in note for note in t.notes) for t in remote)
    in_metrics = sum(
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "combien_project_energy_joules_total"
    )
    stored = sum(_energy(store, t.id) for t in (*local, *remote))

    every = [x for values in latencies.values() for x in values]
    print(
        f"clients {clients}, local trackers {trackers}, posting trackers {posting}, "
        f"{seconds:g} s on loopback"
    )
    print(f"  requests:          {len(every):,} ({len(every) / seconds:,.1f}/s)")
    print(f"  p95 latency:       {_p95(every):,.0f} ms")
    for path, values in latencies.items():
        print(f"    {path:<40} {len(values):>6,} requests, p95 {_p95(values):,.0f} ms")
    print(f"  errors:            {errors[0]}")
    print(f"  posted samples not yet on the server when the clients stopped: {behind}")
    print(f"  trackers stopped in {stopped_s * 1000:,.0f} ms (the posting ones send what waits)")
    print(f"  local runs whose energy differs from the store's: {lost_local} of {trackers}")
    print(
        f"  posted runs whose energy or samples differ between their store and the server's: "
        f"{lost_posted} of {posting} (posts retried: {retries}, runs with unsent batches: {unsent})"
    )
    print(
        f"  /metrics project energy after the runs: {in_metrics:,.1f} J, the store's "
        f"{stored:,.1f} J (ratio {in_metrics / stored if stored else float('nan'):.9f})"
    )


def _energy(store: Any, run_id: str) -> float:
    run = store.run(run_id)
    return float((run or {}).get("energy_j") or 0.0)


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > 1e-9 * max(abs(a), abs(b), 1.0)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000 if len(values) > 20 else float("nan")


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:5]]
    main(*(int(a) for a in args[:3]), *args[3:])  # type: ignore[arg-type]
