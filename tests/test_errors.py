"""Bad input: one line on stderr, exit code 2, no traceback — for each kind of mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import combien
from combien.errors import CombienError, ConflictError, InputError, UnknownNameError

BASE = ["estimate", "--hardware", "h100-sxm"]

# (arguments after `estimate --hardware h100-sxm`, the problem, the hint the message gives)
CASES = [
    (["--flop", "abc"], "--flop: cannot read 'abc'", "use e.g. 70B, 1.5e12, 15T, 3.2M"),
    (["--params", "70Q", "--tokens", "1T"], "unknown suffix 'Q'", "use K, M, B, T or P"),
    (["--flop", "0"], "--flop must be greater than 0", "(got 0)"),
    (["--flop", "-1e24"], "--flop must be greater than 0", "(got -1e24)"),
    (["--chips", "-5", "--flop", "1e24"], "--chips must be greater than 0", "(got -5)"),
    (["--tokens", "0", "--params", "7B"], "--tokens must be greater than 0", "(got 0)"),
    (["--flop", "1e24", "--mfu", "1.5"], "--mfu must be in (0, 1]", "e.g. 0.4 for 40%"),
    (["--flop", "1e24", "--mfu", "0"], "--mfu must be in (0, 1]", "e.g. 0.4 for 40%"),
    (["--flop", "1e24", "--power-fraction", "2"], "--power-fraction must be in (0, 1]", "e.g. 0.4"),
    (["--flop", "1e24", "--pue", "0.9"], "--pue must be at least 1", "(got 0.9)"),
    (["--flop", "1e24", "--grid", "-3"], "--grid cannot be negative", "(got -3)"),
    (["--flop", "1e24", "--days", "soon"], "--days: cannot read 'soon'", "use e.g. 90d, 2160h, 3w"),
    (["--flop", "1e24", "--hardware", "h10"], "unknown hardware 'h10'", "did you mean: h100-sxm"),
    (["--flop", "1e24", "--location", "Atlantis"], "unknown location 'Atlantis'", "did you mean"),
    (["--model", "gpt5"], "unknown model 'gpt5'", "did you mean: "),
    (
        ["--flop", "1e24", "--facility", "igloo"],
        "unknown facility 'igloo'",
        "combien data facilities",
    ),
    (["--flop", "1e24", "--convention", "foo"], "unknown convention 'foo'", "did you mean: tdp"),
    (["--flop", "1e24", "--format", "xml"], "--format: unknown 'xml'", "use one of table, json"),
    (["--flop", "1e24", "--precision", "fp4"], "--precision: unknown 'fp4'", "use one of bf16"),
    (["--flop", "1e24", "--provider", "acme"], "--provider: unknown 'acme'", "use one of aws"),
    (["--flop", "1e24", "--bogus", "1"], "No such option: --bogus", "(see combien --help)"),
    (["--chips", "8"], "not enough to derive compute", "give --params and --tokens, --flop"),
    # a source's intensities and the user's own would each hold for carbon or water: refused
    (
        ["--model", "gpt-3", "--energy", "nuclear", "--grid", "500"],
        "--energy nuclear and --grid both give the carbon intensity",
        "pass --energy for a source's carbon and water, or --grid and --ewif",
    ),
    (
        ["--model", "gpt-3", "--energy", "nuclear", "--ewif", "1"],
        "--energy nuclear and --ewif both give the water intensity",
        "not both",
    ),
    # 6 × 70e9 × 15e12 = 6.3e24 FLOP, and 1e24 is 84% less
    (
        ["--flop", "1e24", "--params", "70B", "--tokens", "15T"],
        "--flop 1e+24 and 6·N·D = 6.3e+24 (from --params/--tokens) differ by 84%",
        "pass --prefer flop or --prefer params",
    ),
    # 1,000 chips × 10 days × 24 h = 240,000 chip-hours, 76% less than 1M
    (
        ["--chip-hours", "1M", "--chips", "1000", "--days", "10"],
        "--chip-hours 1,000,000 and --chips × --days × 24 = 240,000 differ by 76%",
        "pass --prefer chip-hours or --prefer days",
    ),
    # 1e24 / (10 h × 3,600 s × 989.4e12 FLOP/s, the H100's dense BF16 peak) = 28,075
    (
        ["--flop", "1e24", "--chip-hours", "10"],
        "implies an MFU of 28075.38 > 1",
        "check --flop, --chip-hours and --hardware/--precision",
    ),
    # Llama 3.1 405B: 3.8e25 / (30.84M h × 3,600 s × 989.4e12 FLOP/s) = 0.35
    (
        ["--flop", "3.8e25", "--chip-hours", "30.84M", "--mfu", "0.2"],
        "--mfu 0.2 disagrees with the 0.35 implied",
        "pass --prefer mfu or --prefer chip-hours",
    ),
    (
        ["--params", "7B", "--active-params", "70B", "--tokens", "1T"],
        "--active-params (7e+10) cannot exceed --params (7e+09)",
        "",
    ),
    (
        ["--flop", "1e24", "--samples", "3"],
        "--samples must be between 100 and 1,000,000",
        "(got 3)",
    ),
    (
        ["--flop", "1e24", "--start", "last year"],
        "--start: cannot read",
        "use YYYY-MM or YYYY-MM-DD",
    ),
]


def _one_line_error(result: Any) -> str:
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("combien: error: ")
    assert "Traceback" not in result.err
    return str(result.err)


@pytest.mark.parametrize(("args", "problem", "hint"), CASES)
def test_bad_input_is_one_line_exit_2(cli: Any, args: list[str], problem: str, hint: str) -> None:
    err = _one_line_error(cli(*BASE, *args))
    assert problem in err and hint in err


def test_active_params_above_a_presets_params(cli: Any) -> None:
    # GPT-3 has 175B parameters (Brown et al. 2020)
    err = _one_line_error(cli("estimate", "--model", "gpt-3", "--active-params", "500B"))
    assert "--active-params (5e+11) cannot exceed the parameters (1.75e+11)" in err


def test_missing_hardware(cli: Any) -> None:
    err = _one_line_error(cli("estimate", "--flop", "1e24"))
    assert "no hardware" in err and "pass --hardware ID (e.g. h100-sxm)" in err


def test_prefer_resolves_conflicts(cli: Any) -> None:
    args = ["--flop", "1e24", "--params", "70B", "--tokens", "15T"]
    assert cli(*BASE, *args, "--prefer", "flop", "--format", "json").json()["compute"][
        "flop"
    ] == pytest.approx(1e24)
    assert cli(*BASE, *args, "--prefer", "params", "--format", "json").json()["compute"][
        "flop"
    ] == pytest.approx(6 * 70e9 * 15e12)
    days = ["--chip-hours", "1M", "--chips", "1000", "--days", "10", "--format", "json"]
    by_days = cli(*BASE, *days, "--prefer", "days").json()["inputs"]["chip_hours"]["value"]
    assert by_days == 1000 * 10 * 24
    by_hours = cli(*BASE, *days, "--prefer", "chip-hours").json()["inputs"]["chip_hours"]["value"]
    assert by_hours == 1e6


def test_yaml_spec_errors(cli: Any, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("hardware: h100-sxm\nflops: 1e24\n")
    err = _one_line_error(cli("estimate", "--spec", str(unknown)))
    assert "unknown key 'flops'" in err and "valid keys: active_params, chip_hours" in err
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("hardware: h100-sxm\nflop: [1, 2]\n")
    err = _one_line_error(cli("estimate", "--spec", str(wrong)))
    assert "--flop: expected a number, got [1, 2]" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("hardware: [h100\n")
    err = _one_line_error(cli("estimate", "--spec", str(broken)))
    assert "line 2 is not valid YAML" in err
    err = _one_line_error(cli("estimate", "--spec", str(tmp_path / "nope.yaml")))
    assert "cannot read" in err and "No such file or directory" in err
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    err = _one_line_error(cli("estimate", "--spec", str(listing)))
    assert "must hold a mapping of keys to values" in err


def test_errors_are_typed() -> None:
    with pytest.raises(UnknownNameError) as info:
        combien.estimate(hardware="h10", flop=1e24)
    assert isinstance(info.value, LookupError) and isinstance(info.value, CombienError)
    assert "h100-sxm" in info.value.suggestions
    with pytest.raises(ConflictError) as conflict:
        combien.estimate(hardware="h100", flop=1e24, params="70B", tokens="15T")
    assert set(conflict.value.fields) == {"flop", "params"}
    with pytest.raises(ConflictError) as source:
        combien.estimate(model="gpt-3", energy="nuclear", grid=500)
    assert source.value.fields == ("energy", "grid")
    with pytest.raises(InputError):
        combien.estimate(hardware="h100", flop=1e24, mfu=2)
    assert issubclass(InputError, ValueError)
