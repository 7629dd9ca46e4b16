"""Docs are tested: README commands and code run and print the numbers a worked example gives;
methodology names what the code uses."""

from __future__ import annotations

import ast
import csv
import io
import math
import re
import shlex
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import combien
from combien.data import catalog
from combien.units import quantity, span

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
METHODOLOGY = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
RUN_YAML = "params: 70B\ntokens: 15T\nhardware: h100-sxm\n"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _tour_commands() -> list[list[str]]:
    commands = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("combien "):
                commands.append(shlex.split(line)[1:])
    # a server runs until it is stopped: tests/test_web.py serves and reads the dashboard
    return [args for args in commands if args[0] != "serve"]


@pytest.fixture
def readme_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory as the README assumes it: a run.yaml, a fresh store, wide tables."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "200")  # one line per table row, whatever the terminal
    (tmp_path / "run.yaml").write_text(RUN_YAML)
    return tmp_path


# --- reading what a command prints -------------------------------------------------------------

_MULTIPLIER = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_PREFIX = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
# printed unit → factor to combien's canonical unit (kWh, kg, L, h)
_BASE = {"Wh": 1e-3, "g": 1e-3, "t": 1e3, "L": 1.0, "d": 24.0, "h": 1.0}


def _quantity(text: str) -> float:
    """'5.68 GWh' → 5.68e6 (kWh), '1,634 t' → 1.634e6 (kg), '$23.1M', '4.75M chip-h', '12.1 d'."""
    number_unit = r"\$?([\d.]+(?:e[+-]?\d+)?)([kMBT]?)\s*(\S*)"
    match = re.fullmatch(number_unit, text.strip().replace(",", ""))
    assert match, text
    number = float(match[1]) * _MULTIPLIER[match[2]]
    unit = match[3]
    for base, factor in _BASE.items():
        if unit.endswith(base) and unit[: -len(base)] in _PREFIX:
            return number * _PREFIX[unit[: -len(base)]] * factor
    return number  # a count, chip-hours, or a unit given with the number (USD/yr)


def _cell(text: str, label: str, column: int = 0) -> str:
    """A cell of the first table row (rich or markdown) that starts with `label`."""
    row = re.search(re.escape(label) + r"\s*[│|]([^\n]*)", text)
    assert row, (label, text)
    return re.split(r"[│|]", row[1])[column].strip()


def _printed(text: str, label: str, column: int = 0) -> float:
    """The central value printed in a row, in canonical units."""
    return _quantity(_cell(text, label, column).split("[")[0])


def _as_printed(printed: float, exact: float) -> None:
    """Printed with three significant digits: within 0.5% of the exact value."""
    assert printed == pytest.approx(exact, rel=5e-3)


# --- worked examples: inputs from the publications and the sourced catalog rows ------------------

# H100 SXM: 989.4 TFLOP/s dense BF16 (NVIDIA whitepaper), 700 W TDP, 0.75 of TDP on average
# and server power 10.2 kW / 8 / 0.7 kW = 1.821
# × the chip (Epoch AI, DGX H100 datasheet); a typical facility's PUE 1.25 (Epoch AI)
H100_KW = 0.7 * 0.75 * 1.821
PUE_TYPICAL = 1.25
# 70B parameters × 15T tokens × 6 (Kaplan et al. 2020)
FLOP_70B = 6 * 70e9 * 15e12
# The MFU comes from the fit of published runs (mfu_fit.csv, checked against a refit in
# test_mfu.py); useful training is `goodput` 0.9 of the time (defaults.csv, the Llama 3 paper)
GOODPUT = 0.9


def chip_hours_70b(mfu: float) -> float:
    """6 · N · D FLOP / (989.4 TFLOP/s × MFU × 3,600 s), stretched by the goodput."""
    return FLOP_70B / (989.4e12 * mfu * 3600) / GOODPUT


def _mfu(cli: Any, args: list[str]) -> float:
    mfu = _json(cli, args)["inputs"]["mfu"]
    assert mfu["origin"] == "catalog" and mfu["source"].startswith("mfu_fit:")
    return float(mfu["value"])


# GPT-3: 10,000 V100 × 14.8 days (Patterson et al. 2021); V100 300 W TDP (datasheet), × 0.75,
# server power × 1.667 (Epoch AI, DGX-2 and DGX Station)
GPT3_CHIP_HOURS = 10_000 * 14.8 * 24
GPT3_FACILITY_KWH = GPT3_CHIP_HOURS * 0.3 * 0.75 * 1.667 * PUE_TYPICAL
# BLOOM: 1,082,990 A100-hours at 400 W TDP (Luccioni et al. 2023, Table 1); server power
# 6.5 kW / 8 / 0.4 kW = 2.031 × the chip (Epoch AI, DGX A100 datasheet)
BLOOM_CHIP_HOURS = 1_082_990
BLOOM_IT_KWH = BLOOM_CHIP_HOURS * 0.4 * 0.75 * 2.031
# Llama 3.1 405B: 30.84M H100-hours (Meta's model card), in Meta's own data centres: Meta's fleet
# PUE 1.08 of 2023 (Meta 2024 Sustainability Report; fleet_pue.csv), the year published nearest
# the training start, 2024-07-23 − 60 days
PUE_META_FLEET = 1.08
LLAMA_405B_FACILITY_KWH = 30.84e6 * H100_KW * PUE_META_FLEET


def _json(cli: Any, args: list[str]) -> Any:
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def _estimate_70b(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    assert f"{FLOP_70B:.2g} FLOP".replace("+", "") in out  # 6.3e24 FLOP
    chip_hours = chip_hours_70b(_mfu(cli, args))
    _as_printed(_printed(out, "Compute"), chip_hours)  # 6.08M chip-h at MFU 0.323
    _as_printed(_printed(out, "Energy (facility)"), chip_hours * H100_KW * PUE_TYPICAL)


def _estimate_gpt3_json(cli: Any, args: list[str]) -> None:
    energy = cli(*args).json()["energy_kwh"]
    assert energy["value"] == pytest.approx(GPT3_FACILITY_KWH)
    # Patterson et al.'s 1,287 MWh lies inside combien's 90% range; the central value is above it
    # by the ratio of the assumptions: 300 W × 0.75 × 1.667 = 375 W per chip with PUE 1.25,
    # against the 330 W measured per chip and PUE 1.10 (14.8 days rounded: ±0.4%)
    assert energy["low"] <= 1_287_000 <= energy["high"]
    ratio = (300 * 0.75 * 1.667 * PUE_TYPICAL) / (330 * 1.10)
    assert energy["value"] / 1_287_000 == pytest.approx(ratio, rel=0.004)


def _estimate_bloom_tdp(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # BLOOM's own accounting: 1,082,990 h × 400 W, no PUE → 433,196 kWh; × 57 g/kWh → 24.7 t
    _as_printed(_printed(out, "Energy (facility)"), BLOOM_CHIP_HOURS * 0.4)
    _as_printed(_printed(out, "CO2e operational"), BLOOM_CHIP_HOURS * 0.4 * 0.057)
    data = _json(cli, args)
    assert data["energy_kwh"]["value"] == pytest.approx(433_196)
    operational = data["co2e_kg"]["operational"]["value"]
    assert operational == pytest.approx(data["energy_kwh"]["value"] * 57 / 1000, rel=1e-12)


def _estimate_spec_markdown(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    assert out.startswith("## combien") and "6.3e24 FLOP" in out
    spec = [a for a in args if a != "--format" and a != "markdown"]
    _as_printed(_printed(out, "| Compute"), chip_hours_70b(_mfu(cli, spec)))


def _data_hardware(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    row = re.search(r"│ h100-sxm\s*│[^│]*│\s*([\d.]+)\s*│\s*([\d.e+]+)\s*│", out)
    assert row, out
    assert float(row[1]) == 700  # W, NVIDIA H100 datasheet
    # dense BF16: half the 1,978.9 TFLOP/s "with sparsity" of the datasheet
    assert float(row[2]) == pytest.approx(1978.9e12 / 2, rel=5e-4)


def _data_grid(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    row = re.search(r"│ US-VA\s*│ 2023 │ combustion │\s*([\d.]+)\s*│", out)
    assert row, out
    # eGRID2023, Virginia: 539.599 lb/MWh × 0.45359237 = 244.76 gCO2e/kWh
    assert float(row[1]) == pytest.approx(539.599 * 0.45359237, abs=0.05)


def _track(cli: Any, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == 0  # the command's own exit code
    # measured energy becomes carbon at France's grid: 44.18 gCO2e/kWh (Ember, 2024, lifecycle)
    grid = re.search(r"grid_gco2e_per_kwh\s+([\d.]+) ", result.err)
    assert grid and float(grid[1]) == 44.2


def _track_command() -> list[str]:
    return next(args for args in _tour_commands() if args[0] == "track")


def _runs_list(cli: Any, args: list[str]) -> None:
    _track(cli, _track_command())  # the README's own track command, then the listing
    out = cli(*args).out
    assert "runs (1)" in out
    assert re.search(r"^\w{8}\s+demo\s+finished\s", out, re.M), out  # id prefix, project, status


def _runs_export(cli: Any, args: list[str]) -> None:
    _track(cli, _track_command())
    rows = list(csv.DictReader(io.StringIO(cli(*args).out)))
    assert len(rows) == 1 and rows[0]["project"] == "demo"
    energy, facility = float(rows[0]["energy_kwh"]), float(rows[0]["facility_energy_kwh"])
    # whatever the energy measured: × PUE 1.25 (typical facility), × 44.18 g/kWh (France, 2024)
    assert facility == pytest.approx(energy * PUE_TYPICAL)
    assert float(rows[0]["co2e_kg"]) == pytest.approx(facility * 0.0441791)


def _infer_70b(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # the replica is the power-of-two batch (up to 256) and GPU count (from what the memory
    # needs, doubling) that serve a request on the fewest GPU-seconds while the decode step
    # meets MLPerf's interactive 40 ms per token (engine equations at the defaults: 0.66 of the
    # 3.35 TB/s HBM, MFU 0.375, the engine's 59 µs per sequence and step). Weights 70e9 × 2
    # bytes = 140 GB; KV cache per token 327,680 bytes (2 × 80 layers × 8 KV heads × 128 × 2
    # bytes, Llama 3.1 70B config); requests of 1,000 tokens in and 500 out. On the 4 GPUs its
    # memory needs, batch 128 is too slow (the largest meeting 40 ms is 64); on 8, batch 256 is
    # too (15 ms of engine time alone) and batch 128 meets it at fewer GPU-seconds per request.
    kv = 2 * 80 * 8 * 128 * 2

    def step_ms(batch: int, gpus: int) -> float:
        read = 70e9 * 2 + batch * (1000 + 500 / 2) * kv
        memory = read / (gpus * 3.35e12 * 0.66)
        return 1e3 * (memory + 2 * 70e9 * batch / (gpus * 989.4e12 * 0.375) + batch * 59e-6)

    def gpu_seconds(batch: int, gpus: int) -> float:
        prefill_s = 2 * 70e9 * 1000 / (gpus * 989.4e12 * 0.375)
        return gpus * (prefill_s + 500 * step_ms(batch, gpus) / 1e3 / batch)

    def gpus_for(batch: int) -> int:
        memory = (70e9 * 2 + batch * 1500 * kv) / 1e9
        return 2 ** math.ceil(math.log2(math.ceil(memory / (80 * 0.9))))

    assert gpus_for(256) == 4 and step_ms(64, 4) <= 40 < step_ms(128, 4)
    assert step_ms(128, 8) <= 40 < step_ms(256, 8)
    assert gpu_seconds(128, 8) < min(gpu_seconds(64, 4), gpu_seconds(256, 16))
    memory_gb = (70e9 * 2 + 128 * 1500 * kv) / 1e9
    assert "128 at a time per replica" in out
    assert f"8 × h100-sxm per replica ({memory_gb:.0f} GB; 4 would hold it, 8 meet" in out
    assert "for 8.64M requests/day" in out  # 100 requests/s × 86,400 s


def _infer_li(cli: Any, args: list[str]) -> None:
    # Li et al. 2023: 0.004 kWh × (WUE 0.55 + PUE 1.17 × EWIF 3.142) L/kWh = 16.9 mL
    water_l = 0.004 * (0.55 + 1.17 * 3.142)
    _as_printed(_printed(cli(*args).out, "Water (on-site + off-site)"), water_l)
    data = _json(cli, args)
    assert data["per_request"]["water_l"]["value"] == pytest.approx(water_l, rel=1e-12)
    assert data["requests_per_500ml"]["value"] == pytest.approx(0.5 / water_l)


def _lifecycle(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    _as_printed(_printed(out, "| Energy (facility)"), LLAMA_405B_FACILITY_KWH)  # 31.8 GWh
    energy = _json(cli, args)["quantities"][0]
    assert energy["quantity"] == "energy_kwh"
    assert energy["training"]["value"] == pytest.approx(LLAMA_405B_FACILITY_KWH)
    # 24 months of serving = 24 × 365.25 / 12 = 730.5 days
    assert energy["serving"]["value"] == pytest.approx(energy["serving_per_day"]["value"] * 730.5)


def _trends(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    assert Path("trends.html").read_text().count("<svg") == 3
    # the fit, by hand: the running top 10 by compute (Epoch AI's rule), from 2016 on, least
    # squares of log10(FLOP) on the decimal year
    rows = [m for m in catalog.models() if m.flop and m.date]
    frontier = [
        m
        for m in rows
        if sum(1 for o in rows if o.date <= m.date and (o.flop or 0) > (m.flop or 0)) < 10
    ]

    def year(text: str) -> float:
        day = date.fromisoformat(text if len(text) > 7 else text + "-01")
        return day.year + (day - date(day.year, 1, 1)).days / 365.25

    points = [(year(m.date), math.log10(m.flop or 1)) for m in frontier if year(m.date) >= 2016]
    slope = np.polyfit([p[0] for p in points], [p[1] for p in points], 1)[0]
    printed = re.search(r"training compute\s*│\s*×([\d.]+)\s*│", out)
    assert printed and float(printed[1]) == pytest.approx(10**slope, abs=0.005)


def _claims(cli: Any, args: list[str]) -> None:
    # Cahn (Sequoia): $150B of GPUs ÷ 0.5 (GPUs are half a data centre's cost) ÷ 0.5 (end users'
    # gross margin) = $600B of yearly revenue needed
    assert _printed(cli(*args).out, "revenue-gap", column=1) == 150e9 / 0.5 / 0.5


def _sector(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # de Vries 2023: 1.5 million servers × 6.5 kW (DGX A100) to 10.2 kW (DGX H100) × 8,760 h
    electricity = r"\| AI servers' electricity \(IT\) \| [\d.]+ \[([\d.]+)–([\d.]+)\] TWh/yr"
    row = re.search(electricity, out)
    assert row, out
    assert float(row[1]) == pytest.approx(1.5e6 * 6.5 * 8760 / 1e9, abs=0.05)  # 85.4 TWh
    assert float(row[2]) == pytest.approx(1.5e6 * 10.2 * 8760 / 1e9, abs=0.5)  # 134 TWh
    # Li et al. 2023: withdrawal = IT energy × (1.2 + PUE 1.1 × 43.83) L/kWh: 4.22 billion m³
    water = re.search(r"\| water withdrawn \| [\d.]+ \[([\d.]+)–([\d.]+)\] billion m³/yr", out)
    assert water, out
    low_m3 = 1.5e6 * 6.5 * 8760 * (1.2 + 1.1 * 43.83) / 1e3
    assert float(water[1]) * 1e9 == pytest.approx(low_m3, rel=5e-3)


def _nuclear(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # the catalog's nuclear row: 12 gCO2e/kWh, lifecycle median (IPCC AR5 WGIII Annex III)
    nuclear = catalog.energy_sources().get("nuclear")
    assert nuclear.gco2e_per_kwh == 12
    _as_printed(_printed(out, "CO2e operational"), GPT3_FACILITY_KWH * 12 / 1000)  # 20.0 t
    grid = _json(cli, args)["inputs"]["grid_gco2e_per_kwh"]
    assert grid["value"] == nuclear.gco2e_per_kwh and "energy_sources:nuclear" in grid["source"]
    assert (grid["low"], grid["high"]) == (nuclear.gco2e_low, nuclear.gco2e_high)


def _efficiency(cli: Any, args: list[str]) -> None:
    _as_printed(_printed(cli(*args).out, "Energy (facility)"), GPT3_FACILITY_KWH / 10)
    base = _json(cli, ["estimate", "--model", "gpt-3"])["energy_kwh"]
    tenth = _json(cli, args)["energy_kwh"]
    for key in ("value", "low", "high"):
        assert tenth[key] == pytest.approx(base[key] / 10, rel=1e-12)


def _heat_reuse(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # direct liquid cooling: PUE 1.1 (the dlc facility row)
    _as_printed(_printed(out, "Energy (facility)"), BLOOM_IT_KWH * 1.1)  # 726 MWh
    _as_printed(_printed(out, "Heat recoverable"), BLOOM_IT_KWH * 0.8)  # 528 MWh
    data = _json(cli, args)
    # all electricity ends as heat: 0.8 of the IT energy recovered; a new French dwelling uses
    # 4.7 MWh of heat a year (facts.csv, RT2012 measurements)
    it_kwh = data["it_energy_kwh"]["value"]
    assert it_kwh == pytest.approx(BLOOM_IT_KWH)
    heat = data["heat"]
    assert heat["recoverable_kwh"]["value"] == pytest.approx(0.8 * it_kwh, rel=1e-12)
    assert heat["homes_year_equivalent"]["value"] == pytest.approx(0.8 * it_kwh / 4700)


def _report_model_card(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # the block's emissions are in grams: the bill's CO2e total × 1,000 (Hugging Face's unit)
    grams = float(re.search(r"emissions: ([\d.e+]+)", out)[1])  # type: ignore[index]
    total = _json(cli, ["estimate", "--model", "gpt-3"])["co2e_kg"]["total"]["value"]
    assert grams == pytest.approx(total * 1000)


def _report_ai_act(cli: Any, args: list[str]) -> None:
    out = cli(*args).out
    # Meta's 3.8e25 FLOP crosses the 1e25 FLOP of Article 51(2); 30.84M GPU-hours ÷ 16,384 GPUs
    assert "Training compute | 3.8e25 FLOP" in out and "**Threshold crossed.**" in out
    assert f"{30.84e6 / 16384 / 24:.1f} d" in out  # 78.4 d


# Every command of the README, and the number it must print
README_NUMBERS: dict[str, Callable[[Any, list[str]], None]] = {
    "estimate --params 70B --tokens 15T --hardware h100-sxm --chips 16384 --location US-IA": (
        _estimate_70b
    ),
    "estimate --model gpt-3 --format json": _estimate_gpt3_json,
    "estimate --model bloom --convention tdp --pue 1 --grid 57": _estimate_bloom_tdp,
    "estimate --spec run.yaml --format markdown": _estimate_spec_markdown,
    "data hardware --search h100": _data_hardware,
    "data grid --search US-VA": _data_grid,
    "track --location FR --project demo -- python3 -c print('training')": _track,
    "runs list": _runs_list,
    "runs export --format csv": _runs_export,
    "infer --model llama-3.1-70b --rps 100 --location US-VA": _infer_70b,
    "infer --request-energy-kwh 0.004 --pue 1.17 --wue 0.55 --ewif 3.142": _infer_li,
    "lifecycle --model llama-3.1-405b --rps 200 --months 24 --location US --format markdown": (
        _lifecycle
    ),
    "trends --html trends.html": _trends,
    "claims": _claims,
    "sector --format markdown": _sector,
    "estimate --model gpt-3 --energy nuclear": _nuclear,
    "estimate --model gpt-3 --efficiency 10": _efficiency,
    "estimate --model bloom --facility dlc --heat-reuse 0.8": _heat_reuse,
    "report --model gpt-3 --as hf-model-card": _report_model_card,
    "report --model llama-3.1-405b --as eu-ai-act": _report_ai_act,
}


def test_readme_starts_with_the_two_commands() -> None:
    first = _blocks("sh")[0]
    assert "make demo" in first and "make test" in first


@pytest.mark.parametrize("args", _tour_commands(), ids=" ".join)
def test_smoke_readme_commands_run(cli: Any, args: list[str], readme_dir: Path) -> None:
    """Smoke test: every README command exits 0."""
    result = cli(*args)
    assert result.code == 0, result.err


@pytest.mark.parametrize("args", _tour_commands(), ids=" ".join)
def test_readme_command_prints_the_worked_number(
    cli: Any, args: list[str], readme_dir: Path
) -> None:
    check = README_NUMBERS.get(" ".join(args))
    assert check, f"README command without a worked number: combien {' '.join(args)}"
    check(cli, args)


def test_every_worked_number_is_a_readme_command() -> None:
    assert set(README_NUMBERS) == {" ".join(args) for args in _tour_commands()}


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")
def test_smoke_readme_python_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Smoke test: every README Python block runs, and prints a bill."""
    monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    assert "combien.bill/1" in capsys.readouterr().out


def _python_block(word: str) -> str:
    return next(b for b in _blocks("python") if word in b)


def test_readme_python_estimate_prints_the_worked_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exec(compile(_python_block("combien.estimate("), "README.md", "exec"), {})
    out = capsys.readouterr().out
    value, low, high = (float(x) for x in out.splitlines()[0].split())
    run = {"params": "70B", "tokens": "15T", "hardware": "h100-sxm", "chips": 16384}
    mfu = combien.estimate(**run, location="US-IA").inputs["mfu"].value
    assert value == pytest.approx(chip_hours_70b(mfu) * H100_KW * PUE_TYPICAL)
    assert low < value < high
    # Llama 3.1 405B: Meta's 30.84M H100-hours, and the energy they take
    _as_printed(_printed(out, "| Compute"), 30.84e6)
    _as_printed(_printed(out, "| Energy (facility)"), LLAMA_405B_FACILITY_KWH)


def test_readme_python_tracker_bills_at_frances_grid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "runs.db"))
    namespace: dict[str, Any] = {}
    exec(compile(_python_block("combien.Tracker("), "README.md", "exec"), namespace)
    bill = namespace["t"].bill()
    # whatever energy was measured: 44.1791 gCO2e/kWh (France, Ember 2024) of the facility energy
    assert bill.inputs["grid_gco2e_per_kwh"].value == 44.1791
    assert bill.co2e_operational_kg.value == pytest.approx(bill.energy_kwh.value * 0.0441791)
    printed = capsys.readouterr().out.splitlines()[-1]
    total = bill.co2e_total_kg
    assert printed == (
        f"CO2e total: {quantity(total.value, 'kg')} "
        f"(90% range: {span(total.low, total.high, 'kg')})"
    )


def test_readme_error_example(cli: Any) -> None:
    block = next(b for b in README.split("```") if "$ combien estimate" in b)
    command, expected = block.strip().splitlines()[-2:]
    result = cli(*shlex.split(command.removeprefix("$ combien ")))
    assert result.code == 2 and result.err.strip() == expected.strip()


def test_methodology_names_every_constant() -> None:
    for name in catalog.default_ids():
        assert f"`{name}`" in METHODOLOGY, name


def test_methodology_names_every_equation() -> None:
    for module in ["compute", "energy", "carbon", "water", "money", "serving"]:
        tree = ast.parse((ROOT / "combien" / "engine" / f"{module}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert f"`{node.name}`" in METHODOLOGY, node.name


@pytest.mark.parametrize("command", ["estimate", "track"])
def test_every_flag_is_documented(cli: Any, command: str) -> None:
    help_text = cli(command, "--help").out
    flags = set(re.findall(r"--[a-z][a-z0-9-]+", help_text)) - {"--help"}
    assert flags, help_text
    for flag in flags:
        assert flag in README, flag


def test_every_constant_is_used_by_the_code() -> None:
    code = "\n".join(p.read_text() for p in (ROOT / "combien").rglob("*.py"))
    for name in catalog.default_ids():
        assert f'"{name}"' in code, name
