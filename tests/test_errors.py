"""Bad input: one line on stderr, exit code 2, no traceback — for each kind of mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import combien
from combien.errors import CombienError, ConflictError, InputError, UnknownNameError

BASE = ["estimate", "--hardware", "h100-sxm"]

CASES = [
    (["--flop", "abc"], "--flop: cannot read 'abc'"),
    (["--params", "70Q", "--tokens", "1T"], "unknown suffix 'Q'"),
    (["--flop", "0"], "--flop must be greater than 0"),
    (["--flop", "-1e24"], "--flop must be greater than 0"),
    (["--chips", "-5", "--flop", "1e24"], "--chips must be greater than 0"),
    (["--tokens", "0", "--params", "7B"], "--tokens must be greater than 0"),
    (["--flop", "1e24", "--mfu", "1.5"], "--mfu must be in (0, 1]"),
    (["--flop", "1e24", "--mfu", "0"], "--mfu must be in (0, 1]"),
    (["--flop", "1e24", "--power-fraction", "2"], "--power-fraction must be in (0, 1]"),
    (["--flop", "1e24", "--pue", "0.9"], "--pue must be at least 1"),
    (["--flop", "1e24", "--grid", "-3"], "--grid cannot be negative"),
    (["--flop", "1e24", "--days", "soon"], "--days: cannot read 'soon'"),
    (["--flop", "1e24", "--hardware", "h10"], "did you mean: h100-sxm"),
    (["--flop", "1e24", "--location", "Atlantis"], "unknown location 'Atlantis'"),
    (["--model", "gpt5"], "unknown model 'gpt5' — did you mean"),
    (["--flop", "1e24", "--facility", "igloo"], "unknown facility 'igloo'"),
    (["--flop", "1e24", "--convention", "foo"], "unknown convention 'foo'"),
    (["--flop", "1e24", "--format", "xml"], "'xml' is not one of"),
    (["--flop", "1e24", "--precision", "fp4"], "--precision: unknown 'fp4'"),
    (["--flop", "1e24", "--provider", "acme"], "--provider: unknown 'acme'"),
    (["--flop", "1e24", "--bogus", "1"], "No such option: --bogus"),
    (["--chips", "8"], "not enough to derive compute"),
    (["--flop", "1e24", "--params", "70B", "--tokens", "15T"], "--flop 1e+24 and 6·N·D"),
    (["--chip-hours", "1M", "--chips", "1000", "--days", "10"], "--chip-hours 1,000,000 and"),
    (["--flop", "1e24", "--chip-hours", "10"], "implies an MFU of"),
    (["--flop", "3.8e25", "--chip-hours", "30.84M", "--mfu", "0.2"], "--mfu 0.2 disagrees"),
    (["--params", "7B", "--active-params", "70B", "--tokens", "1T"], "cannot exceed --params"),
    (["--flop", "1e24", "--samples", "3"], "--samples must be between"),
    (["--flop", "1e24", "--start", "last year"], "--start: cannot read"),
]


@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_is_one_line_exit_2(cli: Any, args: list[str], message: str) -> None:
    result = cli(*BASE, *args)
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("combien: error: ")
    assert message in result.err
    assert "Traceback" not in result.err


def test_active_params_above_a_presets_params(cli: Any) -> None:
    result = cli("estimate", "--model", "gpt-3", "--active-params", "500B")
    assert result.code == 2 and "cannot exceed the parameters (1.75e+11)" in result.err


def test_missing_hardware(cli: Any) -> None:
    result = cli("estimate", "--flop", "1e24")
    assert result.code == 2 and "no hardware" in result.err


def test_prefer_resolves_conflicts(cli: Any) -> None:
    args = ["--flop", "1e24", "--params", "70B", "--tokens", "15T"]
    assert cli(*BASE, *args, "--prefer", "flop", "--format", "json").json()["compute"][
        "flop"
    ] == pytest.approx(1e24)
    assert cli(*BASE, *args, "--prefer", "params", "--format", "json").json()["compute"][
        "flop"
    ] == pytest.approx(6 * 70e9 * 15e12)
    days = ["--chip-hours", "1M", "--chips", "1000", "--days", "10", "--format", "json"]
    assert cli(*BASE, *days, "--prefer", "days").json()["compute"]["chip_hours"] == 240_000
    assert cli(*BASE, *days, "--prefer", "chip-hours").json()["compute"]["chip_hours"] == 1e6


def test_yaml_spec_errors(cli: Any, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("hardware: h100-sxm\nflops: 1e24\n")
    result = cli("estimate", "--spec", str(unknown))
    assert result.code == 2 and "unknown key 'flops'" in result.err
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("hardware: h100-sxm\nflop: [1, 2]\n")
    result = cli("estimate", "--spec", str(wrong))
    assert result.code == 2 and "--flop: expected a number" in result.err
    broken = tmp_path / "broken.yaml"
    broken.write_text("hardware: [h100\n")
    result = cli("estimate", "--spec", str(broken))
    assert result.code == 2 and "not valid YAML" in result.err
    missing = cli("estimate", "--spec", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "cannot read" in missing.err
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    assert "mapping" in cli("estimate", "--spec", str(listing)).err


def test_errors_are_typed() -> None:
    with pytest.raises(UnknownNameError) as info:
        combien.estimate(hardware="h10", flop=1e24)
    assert isinstance(info.value, LookupError) and isinstance(info.value, CombienError)
    assert "h100-sxm" in info.value.suggestions
    with pytest.raises(ConflictError) as conflict:
        combien.estimate(hardware="h100", flop=1e24, params="70B", tokens="15T")
    assert set(conflict.value.fields) == {"flop", "params"}
    with pytest.raises(InputError):
        combien.estimate(hardware="h100", flop=1e24, mfu=2)
    assert issubclass(InputError, ValueError)
