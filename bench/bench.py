"""Performance figures of combien (printed, not asserted: these machines are shared and noisy).

Budgets: `import combien` < 50 ms; a CLI estimate at most 1.6× the time of
`python -c "import numpy"`; 10,000 Monte Carlo samples of an estimate < 10 ms in process (the aim
5 ms); views over the catalog (trends) read central values only.

    python bench/bench.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def _environment() -> dict[str, str]:
    """The environment of the timed processes: bytecode cached, as in an installed package (pip
    compiles it at install), whatever PYTHONDONTWRITEBYTECODE says here."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _best_of(command: list[str], runs: int) -> float:
    times = []
    env = _environment()
    subprocess.run(command, check=True, capture_output=True, env=env)  # writes the bytecode
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def import_time_ms(runs: int = 7) -> float:
    """Time of `import combien` in a fresh interpreter, minus the interpreter's own start."""
    bare = _best_of([sys.executable, "-c", "pass"], runs)
    full = _best_of([sys.executable, "-c", "import combien"], runs)
    return (full - bare) * 1000


CLI_ESTIMATE = [
    "-m",
    "combien",
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


def cli_and_numpy_ms(runs: int = 9) -> tuple[float, float]:
    """A whole `combien estimate ... --format json` process and a whole `python -c "import
    numpy"` process (the yardstick), start to exit: the best of `runs` each, taken in turns so
    that a burst of load on a shared machine weighs on both alike."""
    env = _environment()
    commands = ([sys.executable, *CLI_ESTIMATE], [sys.executable, "-c", "import numpy"])
    best = [float("inf"), float("inf")]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, env=env)  # writes the bytecode
    for _ in range(runs):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0] * 1000, best[1] * 1000


#: what a CLI estimate loads, in order: (stage, code run in one fresh interpreter)
CLI_STAGES = (
    ("numpy", "import numpy"),
    (
        "field table, catalog, bill",
        "import combien.fields, combien.data.catalog, combien.results.bill",
    ),
    ("spec models (Records)", "import combien.resolve.spec"),
    ("resolver, engine, quick path", "import combien.training.estimate, combien.cli._quick"),
    (
        "resolve, Monte Carlo, JSON",
        "import io, contextlib\nfrom combien.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({CLI_ESTIMATE[2:]!r})",
    ),
)


def cli_stages_ms(runs: int = 5) -> list[tuple[str, float]]:
    """Where a CLI estimate's time goes: each stage of CLI_STAGES timed in one interpreter, the
    best of `runs` interpreters."""
    lines = ["import time", "t = [time.perf_counter()]"]
    for _, code in CLI_STAGES:
        lines += [code, "t.append(time.perf_counter())"]
    lines.append("print(*[(b - a) * 1000 for a, b in zip(t, t[1:])])")
    script, env = "\n".join(lines), _environment()
    best = [float("inf")] * len(CLI_STAGES)
    for _ in range(runs + 1):  # the first writes the bytecode
        out = subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
        ).stdout
        best = [min(b, float(x)) for b, x in zip(best, out.split(), strict=True)]
    return [(name, ms) for (name, _), ms in zip(CLI_STAGES, best, strict=True)]


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
    cli, numpy = cli_and_numpy_ms()
    print(
        f"CLI estimate, end to end:       {cli:7.1f} ms   = {cli / numpy:.2f}× "
        f"`python -c 'import numpy'` ({numpy:.0f} ms; budget 1.6×)"
    )
    for name, ms in cli_stages_ms():
        print(f"  {name + ':':<42}{ms:7.1f} ms")
    whole, sampling = monte_carlo_ms()
    print(f"estimate, 10,000 samples:       {whole:7.1f} ms   (resolve + Monte Carlo + bill)")
    print(f"  of which Monte Carlo + bill:  {sampling:7.1f} ms   (budget 10 ms, aim 5 ms)")
    print(f"trends (central values only):   {trends_ms():7.1f} ms")


if __name__ == "__main__":
    main()
