"""Property tests: monotonicity and scaling of the engine and of whole estimates."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import combien
from combien.engine import evaluate
from combien.engine.uncertainty import Spread, draw, normals

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
frac = st.floats(min_value=0.01, max_value=1.0)
ge1 = st.floats(min_value=1.0, max_value=3.0)


def base_inputs(**over: float) -> dict[str, float]:
    x = {
        "flop": 1e23,
        "peak_flops": 1e15,
        "mfu": 0.4,
        "chips": 1000.0,
        "tdp_w": 700.0,
        "power_fraction": 0.75,
        "server_overhead": 1.8,
        "pue": 1.2,
        "grid_gco2e_per_kwh": 400.0,
        "embodied_kgco2e": 800.0,
        "embodied_lifetime_years": 5.0,
        "hours_per_year": 8766.0,
        "wue_l_per_kwh": 0.5,
        "ewif_l_per_kwh": 3.0,
        "price_usd_per_kwh": 0.08,
        "price_usd_per_hour": 2.0,
        "server_price_usd": 30000.0,
        "price_performance_ooms_per_year": 0.14,
        "interconnect_cost_fraction": 0.19,
    }
    x.update(over)
    return x


OUTPUTS = ["energy_kwh", "co2e_total_kg", "water_total_l", "cost_cloud_usd", "cost_ownership_usd"]


@settings(max_examples=60)
@given(
    name=st.sampled_from(
        [
            "flop",
            "pue",
            "grid_gco2e_per_kwh",
            "tdp_w",
            "server_overhead",
            "wue_l_per_kwh",
            "ewif_l_per_kwh",
        ]
    ),
    factor=st.floats(min_value=1.0, max_value=100.0),
)
def test_more_never_means_less(name: str, factor: float) -> None:
    x = base_inputs()
    before = evaluate(x)
    after = evaluate({**x, name: x[name] * factor})
    for out in OUTPUTS:
        assert after[out] >= before[out] * (1 - 1e-12), (name, out)


@settings(max_examples=60)
@given(factor=st.floats(min_value=0.01, max_value=100.0))
def test_compute_scales_every_usage_line(factor: float) -> None:
    x = base_inputs()
    a, b = evaluate(x), evaluate({**x, "flop": x["flop"] * factor})
    for out in [
        "chip_hours",
        "energy_kwh",
        "co2e_operational_kg",
        "co2e_embodied_kg",
        "water_total_l",
        "cost_cloud_usd",
        "cost_energy_usd",
        "cost_ownership_usd",
    ]:
        assert np.isclose(b[out], a[out] * factor, rtol=1e-9), out
    # the purchase price of the cluster does not depend on how long it runs
    assert np.isclose(b["cost_hardware_capex_usd"], a["cost_hardware_capex_usd"])


@settings(max_examples=60)
@given(mfu=frac, pue=ge1, grid=pos)
def test_equations_compose(mfu: float, pue: float, grid: float) -> None:
    x = base_inputs(mfu=mfu, pue=pue, grid_gco2e_per_kwh=grid)
    out = evaluate(x)
    chip_hours = x["flop"] / (x["peak_flops"] * mfu * 3600)
    it = chip_hours * 0.7 * 0.75 * 1.8
    assert np.isclose(out["it_energy_kwh"], it)
    assert np.isclose(out["energy_kwh"], it * pue)
    assert np.isclose(out["co2e_operational_kg"], it * pue * grid / 1000)
    assert np.isclose(out["water_total_l"], it * 0.5 + it * pue * 3.0)


@settings(max_examples=40)
@given(mfu=frac)
def test_higher_mfu_never_costs_more(mfu: float) -> None:
    low, high = evaluate(base_inputs(mfu=mfu * 0.5)), evaluate(base_inputs(mfu=mfu))
    for out in OUTPUTS:
        assert high[out] <= low[out] * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(tokens=st.floats(min_value=1e9, max_value=1e13), factor=st.floats(1.0, 10.0))
def test_estimates_monotone_in_tokens(tokens: float, factor: float) -> None:
    kw: dict[str, Any] = {
        "params": "7B",
        "hardware": "h100",
        "chips": 64,
        "location": "FR",
        "samples": 200,
    }
    a = combien.estimate(tokens=tokens, **kw)
    b = combien.estimate(tokens=tokens * factor, **kw)
    for name in ["energy_kwh", "co2e_total_kg", "water_total_l", "cost_cloud_usd"]:
        la, lb = getattr(a, name), getattr(b, name)
        assert lb.value >= la.value * (1 - 1e-12)
        # same seed, same draws: every percentile moves the same way
        assert lb.low >= la.low * (1 - 1e-12) and lb.high >= la.high * (1 - 1e-12)


@settings(max_examples=40)
@given(central=st.floats(0.1, 100), lo=st.floats(0.1, 0.99), hi=st.floats(1.01, 10))
def test_spread_percentiles_match_interval(central: float, lo: float, hi: float) -> None:
    spread = Spread(central, central * lo, central * hi)
    samples = draw({"x": spread}, 40_000, seed=1)["x"]
    p5, p50, p95 = np.percentile(samples, [5, 50, 95])
    assert np.isclose(p50, central, rtol=0.03)
    assert np.isclose(p5, central * lo, rtol=0.05)
    assert np.isclose(p95, central * hi, rtol=0.05)
    assert (samples > 0).all()


def test_an_inputs_draws_do_not_depend_on_the_others() -> None:
    # each input has its own stream (seed, name): adding an uncertain input, or another run
    # having more, leaves the draws of the others as they were (common random numbers)
    x, y = Spread(1.0, 0.5, 2.0), Spread(3.0, 2.0, 4.0)
    alone = draw({"x": x}, 1_000, seed=7)["x"]
    both = draw({"x": x, "a_first": y}, 1_000, seed=7)
    assert np.array_equal(alone, both["x"])
    assert not np.array_equal(draw({"x": x}, 1_000, seed=8)["x"], alone)
    assert not np.array_equal(draw({"x2": x}, 1_000, seed=7)["x2"], alone)


def test_a_grid_given_leaves_the_compute_range_as_it_was() -> None:
    run = {"params": "7B", "tokens": "1T", "hardware": "h100-sxm", "chips": 64}
    plain, grid = combien.estimate(**run), combien.estimate(**run, grid=100)
    assert plain.chip_hours is not None and grid.chip_hours is not None
    assert (plain.chip_hours.low, plain.chip_hours.high) == (
        grid.chip_hours.low,
        grid.chip_hours.high,
    )
    assert plain.energy_kwh == grid.energy_kwh


def test_draws_are_the_same_in_every_process() -> None:
    # a stream is seeded by the name's bytes, not by Python's hash(), which is salted per process
    code = (
        "from combien.engine.uncertainty import normals; "
        "print(repr(float(normals(['mfu'], 3, 0)[0, 2])))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": salt},
        ).stdout
        for salt in ("1", "2")
    }
    assert seen == {repr(float(normals(["mfu"], 3, 0)[0, 2])) + "\n"}


def test_bounded_spread_is_clipped() -> None:
    samples = draw({"mfu": Spread(0.8, 0.5, 1.3, upper_bound=1.0)}, 10_000, seed=0)["mfu"]
    assert samples.max() <= 1.0
