"""Load on the dashboard's API, on loopback only: N clients requesting estimates and run lists
while M trackers write their samples to the same store, for a fixed time. Prints requests per
second, the 95th-percentile latency, and whether every sample the trackers measured is in the
store (printed, not asserted: these machines are shared).

    python bench/web_load.py [clients] [trackers] [seconds]
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def main(clients: int = 8, trackers: int = 4, seconds: float = 10.0) -> None:
    import httpx
    import uvicorn

    import combien
    from combien.store import Store
    from combien.testing import FakeSensor
    from combien.web import create_app

    db = str(Path(tempfile.mkdtemp()) / "runs.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    running = [
        combien.Tracker(db=db, sensors=[FakeSensor(300.0)], interval_s=0.2, flush_s=0.5,
                        project=f"load-{i}")
        for i in range(trackers)
    ]  # fmt: skip
    for tracker in running:
        tracker.start()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        paths = ["/api/estimate?model=gpt-3&samples=1000", "/api/runs?limit=20"]
        with httpx.Client(base_url=base, timeout=30) as http:
            i = n
            while time.monotonic() < stop_at:
                start = time.perf_counter()
                answer = http.get(paths[i % len(paths)])
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    errors[0] += answer.status_code != 200
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tracker in running:
        tracker.stop()
    server.should_exit = True

    store = Store(db, read_only=True)
    lost = 0
    for tracker in running:
        kept = store.run(tracker.id)
        measured = tracker.energy_j
        stored = (kept or {}).get("energy_j") or 0.0
        lost += abs(measured - stored) > 1e-6 * max(measured, 1.0)
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 20 else float("nan")
    print(f"clients {clients}, trackers {trackers}, {seconds:g} s on loopback")
    print(f"  requests:          {len(latencies):,} ({len(latencies) / seconds:,.1f}/s)")
    print(f"  p95 latency:       {p95:,.0f} ms")
    print(f"  errors:            {errors[0]}")
    print(f"  runs whose energy differs between tracker and store: {lost} of {trackers}")


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:4]]
    main(*(int(a) for a in args[:2]), *args[2:])  # type: ignore[arg-type]
