"""The command line: every command has help, renders table / json / markdown, lists the data."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import combien

DATA = Path(__file__).resolve().parent.parent / "combien" / "data"


def test_estimate_json_equals_library(cli: Any) -> None:
    result = cli("estimate", "--model", "gpt-3", "--format", "json")
    assert result.code == 0
    assert result.json() == json.loads(combien.estimate(model="gpt-3").to_json())


def test_estimate_table_and_markdown(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the same table whatever the terminal
    table = cli(
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
    )
    assert table.code == 0
    for text in (
        "Energy (facility)",
        "CO2e embodied",
        "Water off-site",
        "Cost: cloud rental",
        "grid_gco2e_per_kwh",
        "locations:US-IA",  # a source, as a numbered footnote
    ):
        assert text in table.out
    # 6 × 70e9 × 15e12 FLOP / (989.4e12 FLOP/s × MFU × 3,600 s) / goodput 0.9 H100-hours, with
    # the MFU of the fit of published runs (0.323 here; the fit is checked in test_mfu.py);
    # × 0.7 kW × 0.75 × 1.821 (Epoch AI's power factors) × PUE 1.25;
    # × Iowa's eGRID2023 combustion rate (634.156 lb/MWh × 0.45359237 = 287.6 gCO2e/kWh) in the
    # lifecycle scope: × the US ratio of 2023, Ember's 392.848 over eGRID's 349.667 g/kWh: 2,349 t
    args = ("--params", "70B", "--tokens", "15T", "--hardware", "h100-sxm", "--chips", "16384")
    mfu = cli("estimate", *args, "--location", "US-IA", "--format", "json").json()["inputs"]["mfu"]
    chip_hours = 6 * 70e9 * 15e12 / (989.4e12 * mfu["value"] * 3600) / 0.9
    lifecycle = 634.156 * 0.45359237 * 392.848 / 349.66710055508
    tonnes = chip_hours * 0.7 * 0.75 * 1.821 * 1.25 * lifecycle / 1e6
    printed = re.search(r"CO2e operational\s*│\s*([\d,]+) t\s*│", table.out)
    assert printed and float(printed[1].replace(",", "")) == round(tonnes), table.out
    markdown = cli("estimate", "--model", "bloom", "--format", "markdown")
    assert markdown.code == 0 and markdown.out.startswith("## combien")
    assert "### Inputs" in markdown.out
    assert "grid_intensity:FR 2022 lifecycle — " in markdown.out  # sources in full
    # 1,082,990 A100-hours × 0.4 kW × 0.75 × 2.031 × PUE 1.25 = 824,832 kWh
    assert "| Energy (facility) | 825 MWh |" in markdown.out


def test_spec_file_with_flag_override(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "run.yaml"
    spec.write_text("params: 7B\ntokens: 2T\nhardware: a100-80gb\nchips: 512\nlocation: FR\n")
    a = cli("estimate", "--spec", str(spec), "--format", "json").json()
    b = cli("estimate", "--spec", str(spec), "--location", "US-VA", "--format", "json").json()
    assert a["labels"]["location"] == "FR" and b["labels"]["location"] == "US-VA"
    # same run, same facility: only the grid changes, Virginia 244.8 g/kWh (eGRID2023) against
    # France 56.0 g/kWh (Ember 2023)
    ratio = b["co2e_kg"]["operational"]["value"] / a["co2e_kg"]["operational"]["value"]
    # no date: the latest figures, Virginia's eGRID2023 244.758 g/kWh × the US 2023 lifecycle
    # ratio (Ember 392.848 over eGRID 349.667) against France's Ember 2024 44.1791 g/kWh
    assert ratio == pytest.approx(244.75798925963 * 392.848 / 349.66710055508 / 44.1791)


def test_units_in_flags(cli: Any) -> None:
    data = cli(
        "estimate",
        "--flop",
        "3.8e25",
        "--hardware",
        "H100",
        "--chips",
        "16K",
        "--days",
        "2160h",
        "--format",
        "json",
    ).json()
    assert data["compute"]["flop"] == 3.8e25
    # 16K = 16,000 chips (SI, as in units.py) for 2160h = 90 days: 34.56M H100-hours;
    # × 0.7 kW × 0.75 × 1.821 (Epoch AI's power factors) × PUE 1.25
    assert data["inputs"]["chips"]["value"] == 16_000
    assert data["energy_kwh"]["value"] == pytest.approx(16_000 * 2160 * 0.7 * 0.75 * 1.821 * 1.25)


DATA_TABLES = {
    "hardware": "hardware.csv",
    "locations": "locations.csv",
    "prices": "cloud_prices.csv",
    "models": "models.csv",
    "facilities": "facilities.csv",
    "conventions": "conventions.csv",
    "defaults": "defaults.csv",
    "energy": "energy_sources.csv",
    "facts": "facts.csv",
    "cpus": "cpus.csv",
    "architectures": "architectures.csv",
    "serving": "serving_hardware.csv",
    "measurements": "inference_measurements.csv",
    "deployments": "deployments.csv",
}


@pytest.mark.parametrize(("table", "filename"), DATA_TABLES.items())
def test_data_tables_list_every_row_with_its_source(cli: Any, table: str, filename: str) -> None:
    result = cli("data", table, "--format", "json")
    assert result.code == 0
    rows = result.json()
    with (DATA / filename).open(encoding="utf-8", newline="") as fh:
        assert len(rows) == len(list(csv.DictReader(fh)))
    assert all(row["source"] for row in rows)


@pytest.mark.parametrize("table", DATA_TABLES)
def test_smoke_data_table_renders(cli: Any, table: str) -> None:
    """Smoke test: the table format renders without error."""
    assert cli("data", table).code == 0


def test_data_search(cli: Any) -> None:
    rows = cli("data", "hardware", "--search", "h100", "--format", "json").json()
    assert {r["id"] for r in rows} >= {"h100-sxm", "h100-pcie"}
    assert all("h100" in (r["id"] + r["name"] + " ".join(r["aliases"])).lower() for r in rows)
    states = cli("data", "locations", "--search", "virginia", "--format", "json").json()
    assert "US-VA" in {r["id"] for r in states}
    # serving tables: by organisation, by model
    meta = cli("data", "serving", "--search", "facebook", "--format", "json").json()
    assert [r["hardware"] for r in meta] == ["h100-sxm"]
    assert "Meta;Meta AI;Facebook |" in cli("data", "serving", "--format", "markdown").out
    rows = cli("data", "measurements", "--search", "llama-3.1-8b", "--format", "json").json()
    # five ML.ENERGY leaderboard rows and six of its benchmark paper
    assert {r["model"] for r in rows} == {"llama-3.1-8b"} and len(rows) == 11
    (day,) = cli("data", "deployments", "--format", "json").json()
    assert (day["hardware"], day["gpus_mean"]) == ("h800", 1814.0)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["estimate"],
        ["data"],
        ["data", "hardware"],
        ["track"],
        ["runs"],
        ["runs", "list"],
        ["runs", "show"],
        ["runs", "export"],
        ["runs", "compare"],
        ["infer"],
        ["lifecycle"],
        ["trends"],
        ["claims"],
        ["sector"],
    ],
)
def test_smoke_help(cli: Any, command: list[str]) -> None:
    """Smoke test: every command has help."""
    result = cli(*command, "--help")
    assert result.code == 0 and "Usage" in result.out


@pytest.mark.parametrize(
    ("command", "choices"),
    [([], "estimate, lifecycle, compare"), (["runs"], "list, show, export, import, compare")],
)
def test_a_group_without_its_command_names_the_choices(
    cli: Any, command: list[str], choices: str
) -> None:
    """The help, then one line that says what is missing and what to run."""
    out = cli(*command)
    path = " ".join(["combien", *command])
    assert out.code == 2 and "Usage" in out.out and out.err.count("\n") == 1
    assert out.err.startswith(f"combien: error: {path} needs a command: one of {choices}")
    assert out.err.endswith(f"(see {path} --help)\n")


def test_console_script_runs_as_a_process() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "combien.cli", "estimate", "--model", "gpt-3", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0
    assert json.loads(ok.stdout) == json.loads(combien.estimate(model="gpt-3").to_json())
    bad = subprocess.run(
        [sys.executable, "-m", "combien.cli", "estimate", "--hardware", "h10", "--flop", "1e24"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "unknown hardware 'h10' — did you mean: h100-sxm" in bad.stderr


def test_files_that_cannot_be_written_or_read(cli: Any, tmp_path: Path) -> None:
    page = tmp_path / "no" / "such" / "dir" / "t.html"
    result = cli("trends", "--html", str(page))
    assert result.code == 2 and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert f"No such file or directory: {page}" in result.err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("runs", "list", "--db", str(blocker / "runs.db"))
    assert result.code == 2 and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert str(blocker) in result.err and blocker.read_text() == "x"
