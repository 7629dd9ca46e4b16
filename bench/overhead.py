"""Tracker overhead against CodeCarbon on the same CPU-bound workload, same 1 s interval.

For each tool, a fresh interpreter imports it, starts tracking, runs a CPU-bound loop on the main
thread for SECONDS, stops. Reported:
- import time of the package (with the tracker constructed);
- CPU time of every thread but the workload's (process CPU time minus the main thread's, both
  from the kernel's precise clocks) and of any child processes, per minute of tracking, and as a
  share of one core, also without the one-off load of the billing code (combien does it in a
  thread of its own a second after start: `Tracker.billing_load_cpu_s`), that share being the
  steady cost; and the CPU spent when tracking stops (writing the bill);
- peak resident memory above the same workload untracked;
- wall time of `start()` and of `stop()` (the tool's own start-up and close, in the job's
  process; combien's budgets are 50 ms and 150 ms).

    python bench/overhead.py [SECONDS]          # needs codecarbon installed to compare

CodeCarbon runs as OfflineEmissionsTracker(country_iso_code="FRA", measure_power_secs=1), so it
never reaches the network; combien as Tracker(location="FR", interval_s=1).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def child(tool: str, seconds: float) -> None:
    t0 = time.perf_counter()
    if tool == "combien":
        import combien

        tracker = combien.Tracker(
            location="FR",
            interval_s=1.0,
            flush_s=5.0,
            db=os.path.join(tempfile.mkdtemp(), "runs.db"),
        )
    elif tool == "codecarbon":
        from codecarbon import OfflineEmissionsTracker

        tracker = OfflineEmissionsTracker(
            country_iso_code="FRA", measure_power_secs=1, save_to_file=False, log_level="error"
        )
    import_s = time.perf_counter() - t0
    # CPU of every thread but this one (threads that ended included), to the nanosecond
    before = time.process_time() - time.thread_time()
    children_before = os.times().children_user + os.times().children_system
    t_start = time.perf_counter()
    if tool != "none":
        tracker.start()
    start_ms = (time.perf_counter() - t_start) * 1000
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:  # the CPU-bound workload
        x += 1
    during = time.process_time() - time.thread_time() - before
    t_stop = time.perf_counter()
    if tool != "none":
        tracker.stop()
    stop_ms = (time.perf_counter() - t_stop) * 1000
    at_stop = time.process_time() - time.thread_time() - before - during
    children = os.times().children_user + os.times().children_system - children_before
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    one_off = getattr(tracker, "billing_load_cpu_s", 0.0) if tool == "combien" else 0.0
    result = {
        "tool": tool,
        "import_s": import_s,
        "tracker_cpu_s": during + children,
        "one_off_cpu_s": one_off,
        "stop_cpu_s": at_stop,
        "start_ms": start_ms,
        "stop_ms": stop_ms,
        "seconds": seconds,
        "peak_rss_mb": rss_mb,
        "loops": x,
    }
    print(json.dumps(result))


def run(tool: str, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", tool, str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    tools = ["none", "combien"]
    try:
        import codecarbon  # noqa: F401

        tools.append("codecarbon")
    except ImportError:
        print("codecarbon is not installed: only combien is measured")
    results = {tool: run(tool, seconds) for tool in tools}
    base = results["none"]
    header = (
        "tool",
        "import",
        "start()",
        "stop()",
        "CPU s/min",
        "% of a core",
        "steady %",
        "one-off",
        "at stop",
        "extra MB",
        "work done",
    )
    print("".join(f"{h:>12}" for h in header))
    for tool, r in results.items():
        per_min = r["tracker_cpu_s"] / r["seconds"] * 60
        cells = (
            tool,
            f"{r['import_s'] * 1000:.0f} ms",
            f"{r['start_ms']:.0f} ms",
            f"{r['stop_ms']:.0f} ms",
            f"{per_min:.3f}",
            f"{per_min / 60 * 100:.2f}%",
            f"{(r['tracker_cpu_s'] - r['one_off_cpu_s']) / r['seconds'] * 100:.2f}%",
            f"{r['one_off_cpu_s']:.2f} s",
            f"{r['stop_cpu_s']:.2f} s",
            f"{r['peak_rss_mb'] - base['peak_rss_mb']:.1f}",
            f"{r['loops'] / base['loops']:.3f}",
        )
        print("".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], float(sys.argv[3]))
    else:
        main()
