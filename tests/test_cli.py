"""The command line: every command has help, renders table / json / markdown, lists the data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import combien


def test_estimate_json_equals_library(cli: Any) -> None:
    result = cli("estimate", "--model", "gpt-3", "--format", "json")
    assert result.code == 0
    assert result.json() == json.loads(combien.estimate(model="gpt-3").to_json())


def test_estimate_table_and_markdown(cli: Any) -> None:
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
        "catalog: ",
    ):
        assert text in table.out
    markdown = cli("estimate", "--model", "bloom", "--format", "markdown")
    assert markdown.code == 0 and markdown.out.startswith("## combien")
    assert "| Energy (facility) |" in markdown.out and "### Inputs" in markdown.out
    assert "locations:FR 2023 — " in markdown.out  # sources in full


def test_spec_file_with_flag_override(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "run.yaml"
    spec.write_text("params: 7B\ntokens: 2T\nhardware: a100-80gb\nchips: 512\nlocation: FR\n")
    a = cli("estimate", "--spec", str(spec), "--format", "json").json()
    b = cli("estimate", "--spec", str(spec), "--location", "US-VA", "--format", "json").json()
    assert a["labels"]["location"] == "FR" and b["labels"]["location"] == "US-VA"
    assert b["co2e_kg"]["operational"]["value"] > 3 * a["co2e_kg"]["operational"]["value"]


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
    assert data["compute"]["wall_hours"] is not None


@pytest.mark.parametrize(
    "table",
    [
        "hardware",
        "locations",
        "prices",
        "models",
        "facilities",
        "conventions",
        "defaults",
        "energy",
        "facts",
        "cpus",
        "architectures",
    ],
)
def test_data_tables(cli: Any, table: str) -> None:
    result = cli("data", table, "--format", "json")
    assert result.code == 0
    rows = result.json()
    assert rows and all(row["source"] for row in rows)
    assert cli("data", table).code == 0


def test_data_search(cli: Any) -> None:
    rows = cli("data", "hardware", "--search", "h100", "--format", "json").json()
    assert {r["id"] for r in rows} >= {"h100-sxm", "h100-pcie"}
    assert all("h100" in (r["id"] + r["name"] + " ".join(r["aliases"])).lower() for r in rows)
    states = cli("data", "locations", "--search", "virginia", "--format", "json").json()
    assert "US-VA" in {r["id"] for r in states}


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
def test_help(cli: Any, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.code == 0 and "Usage" in result.out


def test_console_script_runs_as_a_process() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "combien.cli", "estimate", "--model", "gpt-3", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["schema"] == "combien.bill/1"
    bad = subprocess.run(
        [sys.executable, "-m", "combien.cli", "estimate", "--hardware", "h10", "--flop", "1e24"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_files_that_cannot_be_written_or_read(cli: Any, tmp_path: Path) -> None:
    result = cli("trends", "--html", str(tmp_path / "no" / "such" / "dir" / "t.html"))
    assert result.code == 2 and result.err.count("\n") == 1 and "Traceback" not in result.err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("runs", "list", "--db", str(blocker / "runs.db"))
    assert result.code == 2 and result.err.count("\n") == 1
