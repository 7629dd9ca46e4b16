"""Performance figures of combien (printed, not asserted).

Budgets on a 2-core machine: `import combien` < 150 ms, a CLI estimate < 0.5 s end to end,
10,000 Monte Carlo samples of an estimate < 20 ms in process.

    python bench/bench.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _best_of(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def import_time_ms(runs: int = 7) -> float:
    """Time of `import combien` in a fresh interpreter, minus the interpreter's own start."""
    bare = _best_of([sys.executable, "-c", "pass"], runs)
    full = _best_of([sys.executable, "-c", "import combien"], runs)
    return (full - bare) * 1000


def cli_estimate_ms(runs: int = 5) -> float:
    """A whole `combien estimate ... --format json` process, start to exit."""
    command = [
        sys.executable,
        "-m",
        "combien.cli",
        "estimate",
        "--params",
        "70B",
        "--tokens",
        "15T",
        "--hardware",
        "h100-sxm",
        "--chips",
        "16384",
        "--location",
        "US-IA",
        "--format",
        "json",
    ]
    return _best_of(command, runs) * 1000


def monte_carlo_ms(samples: int = 10_000, runs: int = 30) -> tuple[float, float]:
    """In process: an estimate with `samples` draws (catalog loaded), and the sampling alone."""
    import combien
    from combien.resolve.compute import resolve
    from combien.resolve.spec import TrainingRun
    from combien.training.estimate import bill_from

    run = TrainingRun(
        params=7e10,
        tokens=1.5e13,
        hardware="h100-sxm",
        chips=16384,
        location="US-IA",
        samples=samples,
    )
    combien.estimate(run)  # warm the catalog
    whole, sampling = [], []
    for _ in range(runs):
        start = time.perf_counter()
        assumptions = resolve(run)
        middle = time.perf_counter()
        bill_from(assumptions, samples=samples, seed=0)
        end = time.perf_counter()
        whole.append(end - start)
        sampling.append(end - middle)
    return statistics.median(whole) * 1000, statistics.median(sampling) * 1000


def main() -> None:
    print(f"import combien:                 {import_time_ms():7.1f} ms   (budget 150 ms)")
    print(f"CLI estimate, end to end:       {cli_estimate_ms():7.1f} ms   (budget 500 ms)")
    whole, sampling = monte_carlo_ms()
    print(f"estimate, 10,000 samples:       {whole:7.1f} ms   (budget 20 ms)")
    print(f"  of which Monte Carlo + bill:  {sampling:7.1f} ms")


if __name__ == "__main__":
    main()
