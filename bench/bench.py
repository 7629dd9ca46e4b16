"""Performance figures of combien (printed, not asserted: these machines are shared and noisy).

Budgets: `import combien` < 50 ms; a CLI estimate at most 1.6× the time of
`python -c "import numpy"`; 10,000 Monte Carlo samples of an estimate < 10 ms in process (the aim
5 ms); views over the catalog (trends) read central values only.

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


def numpy_import_ms(runs: int = 5) -> float:
    """A whole `python -c "import numpy"` process, start to exit (the CLI's yardstick)."""
    return _best_of([sys.executable, "-c", "import numpy"], runs) * 1000


def monte_carlo_ms(samples: int = 10_000, runs: int = 30) -> tuple[float, float]:
    """In process: an estimate with `samples` draws (catalog loaded), and the sampling alone."""
    import combien
    from combien.resolve.spec import TrainingRun
    from combien.resolve.training import resolve_training as resolve
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


def trends_ms() -> float:
    """`combien trends` in process, catalog loaded: a central estimate of every frontier run."""
    from combien.data import catalog
    from combien.field import trends

    catalog.models()
    trends.trends.cache_clear()
    start = time.perf_counter()
    trends.trends(2016)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    print(f"import combien:                 {import_time_ms():7.1f} ms   (budget 50 ms)")
    cli, numpy = cli_estimate_ms(), numpy_import_ms()
    print(
        f"CLI estimate, end to end:       {cli:7.1f} ms   = {cli / numpy:.2f}× "
        f"`python -c 'import numpy'` ({numpy:.0f} ms; budget 1.6×)"
    )
    whole, sampling = monte_carlo_ms()
    print(f"estimate, 10,000 samples:       {whole:7.1f} ms   (resolve + Monte Carlo + bill)")
    print(f"  of which Monte Carlo + bill:  {sampling:7.1f} ms   (budget 10 ms, aim 5 ms)")
    print(f"trends (central values only):   {trends_ms():7.1f} ms")


if __name__ == "__main__":
    main()
