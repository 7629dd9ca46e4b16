"""Hostile input: numbers at the edge of float64, spec files that are not what they seem.

Every case ends as one line on stderr with exit code 2 (no traceback, no numpy warning, a hint),
and every result that is printed holds finite numbers only.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from combien.errors import InputError
from combien.field.sector import SectorInputs, sector
from combien.fields import INPUTS, months, seed, year
from combien.resolve.spec import SPEC_MAX_BYTES, SPEC_MAX_DEPTH, TrainingRun, read_yaml
from combien.results.bill import Line
from combien.results.document import check_finite, dumps

ESTIMATE = ["estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm"]
INFER = ["infer", "--model", "llama-3.1-8b"]
LIFECYCLE = ["lifecycle", "--model", "llama-3.1-8b"]
HINT = "check the exponent and the unit"

# (arguments, the problem the message names, the hint it gives)
NUMBERS = [
    ([*ESTIMATE, "--price-kwh", "1e308"], "--price-kwh must be at most 100 (got 1e308)", HINT),
    ([*ESTIMATE, "--chips", "1e308"], "--chips must be at most 1e7 (got 1e308)", HINT),
    ([*ESTIMATE, "--price-hour", "1e308"], "--price-hour must be at most 1e4 (got 1e308)", HINT),
    (
        [*INFER, "--request-energy-kwh", "5e-324"],
        "--request-energy-kwh must be at least 1e-9 (got 5e-324)",
        HINT,
    ),
    ([*LIFECYCLE, "--rps", "5e-324"], "--rps must be at least 1e-8 (got 5e-324)", HINT),
    (["sector", "--servers", "1e308"], "--servers must be at most 1e9 (got 1e308)", HINT),
    (
        ["estimate", "--params", "1e308", "--tokens", "1T", "--hardware", "h100-sxm"],
        "--params must be at most 1e14 (got 1e308)",
        HINT,
    ),
    ([*INFER, "--rps", "1e308"], "--rps must be at most 1e8 (got 1e308)", HINT),
    ([*INFER, "--gpus", "1e308"], "--gpus must be at most 1e5 (got 1e308)", HINT),
    ([*ESTIMATE, "--days", "1e400"], "--days: '1e400' is not a finite number", HINT),
    ([*ESTIMATE, "--days", "1e308"], "--days: '1e308' is not a finite number", HINT),
    ([*ESTIMATE, "--days", "3654d"], "--days must be at most 3653 days (got 3654d)", HINT),
    ([*ESTIMATE, "--days", "0.5s"], "--days must be at least 1 s (got 0.5s)", HINT),
    (["trends", "--until", "inf"], "--until must be a year from 1950 to 2100 (got inf)", ""),
    (["trends", "--until", "nan"], "--until must be a year from 1950 to 2100 (got nan)", ""),
    (["trends", "--seed", "-1"], "--seed must be a whole number from 0 to 4,294,967,295", ""),
    ([*ESTIMATE, "--seed", "-1"], "--seed must be a whole number from 0 to 4,294,967,295", ""),
    ([*INFER, "--seed", "-1"], "(got -1)", ""),
    (
        [*ESTIMATE, "--samples", "10"],
        "--samples must be between 100 and 1,000,000 (got 10)",
        "fewer draws leave the 5th and 95th percentiles to chance",
    ),
    ([*ESTIMATE, "--grid", "5e-324"], "--grid must be 0 or at least 1e-9", HINT),
    ([*ESTIMATE, "--mfu", "1e-5"], "--mfu must be at least 0.0001 (got 1e-5)", HINT),
    ([*ESTIMATE, "--params", "1e-300", "--tokens", "1T"], "--params must be at least 1", HINT),
]


FRACTION = "use a number between 0 and 1, e.g. 0.4"
# values that cannot be read: a hint suited to the field (a fraction, a factor, a count, a format)
UNREADABLE = [
    ([*ESTIMATE, "--mfu", "abc"], "--mfu: cannot read 'abc' as a number", FRACTION),
    ([*ESTIMATE, "--goodput", "90%"], "--goodput: cannot read '90%' as a number", FRACTION),
    (
        [*ESTIMATE, "--pue", "abc"],
        "--pue: cannot read 'abc'",
        "use a number of at least 1, e.g. 1.2",
    ),
    ([*ESTIMATE, "--chips", "1.5"], "--chips must be a whole number (got '1.5')", "e.g. 1 or 2"),
    ([*ESTIMATE, "--samples", "abc"], "--samples: cannot read 'abc'", "a whole number, e.g. 10000"),
    ([*ESTIMATE, "--samples", "100.5"], "--samples must be a whole number (got 100.5)", ""),
    ([*ESTIMATE, "--seed", "x"], "--seed: cannot read 'x'", "a whole number, e.g. 42"),
    (
        [*ESTIMATE, "--format", "xml"],
        "--format: unknown 'xml'",
        "use one of table, json, markdown, csv",
    ),
    # the commands typer reads give the same lines
    (["compare", "--model", "gpt-3", "--samples", "abc"], "--samples: cannot read 'abc'", ""),
    (["compare", "--model", "gpt-3", "--format", "xml"], "--format: unknown 'xml'", "csv"),
    (["plan", "--params", "7B", "--tokens", "1T", "--seed", "0.5"], "--seed must be a whole", ""),
]


def one_line_error(result: Any) -> str:
    """The error of a run that must fail cleanly: exit 2, nothing on stdout, one line."""
    assert result.code == 2, result.err
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("combien: error: ")
    assert "Traceback" not in result.err and "Warning" not in result.err
    return str(result.err)


def finite_json(result: Any) -> Any:
    """The JSON of a run that must succeed, read strictly (no Infinity, no NaN)."""
    assert result.code == 0, result.err
    assert result.err == ""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    return json.loads(result.out, parse_constant=refuse)


@pytest.mark.parametrize(("args", "problem", "hint"), NUMBERS)
def test_numbers_out_of_range(cli: Any, args: list[str], problem: str, hint: str) -> None:
    err = one_line_error(cli(*args, "--format", "json"))
    assert problem in err and hint in err


@pytest.mark.parametrize(("args", "problem", "hint"), UNREADABLE)
def test_unreadable_values_get_a_hint_of_their_kind(
    cli: Any, args: list[str], problem: str, hint: str
) -> None:
    err = one_line_error(cli(*args))
    assert problem in err and hint in err
    assert "Value error" not in err and "Input should be" not in err and "70B" not in err


def test_a_count_may_be_written_with_an_exponent(cli: Any) -> None:
    bill = finite_json(cli(*ESTIMATE, "--samples", "1e3", "--format", "json"))
    assert bill["uncertainty"]["samples"] == 1000
    bill = finite_json(cli(*ESTIMATE, "--chips", "2e3", "--format", "json"))
    assert bill["inputs"]["chips"]["value"] == 2000


def test_lifecycle_months_infinite(cli: Any) -> None:
    err = one_line_error(cli(*LIFECYCLE, "--months", "inf", "--format", "json"))
    assert ("months" in err and "finite" in err) or "--months must be" in err


def test_bounds_are_inclusive(cli: Any) -> None:
    # the largest and smallest values accepted pass; just beyond them fails (above)
    assert cli(*ESTIMATE, "--chips", "1e7", "--format", "json").code == 0
    assert cli(*ESTIMATE, "--days", "3653d", "--format", "json").code == 0
    assert cli(*ESTIMATE, "--samples", "100", "--format", "json").code == 0
    assert cli(*ESTIMATE, "--seed", str(2**32 - 1), "--format", "json").code == 0
    assert cli(*INFER, "--rps", "1e-8", "--format", "json").code == 0
    err = one_line_error(cli(*INFER, "--rps", "9e-9", "--format", "json"))
    assert "--rps must be at least 1e-8 (got 9e-9)" in err
    assert cli(*ESTIMATE, "--grid", "0", "--format", "json").code == 0
    err = one_line_error(cli(*ESTIMATE, "--grid", "1e-10", "--format", "json"))
    assert "--grid must be 0 or at least 1e-9 (got 1e-10)" in err


@pytest.mark.parametrize("name", [n for n, f in INPUTS.items() if f.kind in ("number", "whole")])
def test_every_number_has_bounds(name: str) -> None:
    field = INPUTS[name]
    assert 0 < field.smallest < field.maximum < 1e33
    for hostile in ("1e308", "5e-324", 10**400, float("inf"), float("nan")):
        with pytest.raises(InputError) as info:
            field.parse(hostile)
        assert info.value.field == field.attr
        assert field.flag in str(info.value)


def test_extremes_within_the_bounds_give_finite_results(cli: Any) -> None:
    site = ["--pue", "10", "--wue", "100", "--grid", "2000", "--ewif", "1000"]
    largest = [
        ["estimate", "--flop", "1e32", "--hardware", "h100-sxm", "--price-hour", "1e4",
         "--price-kwh", "100", "--server-overhead", "10", "--efficiency", "1e-3",
         "--efficiency-overhead", "100", "--heat-reuse", "1", *site],
        ["estimate", "--params", "1e14", "--tokens", "1e17", "--hardware", "h100-sxm",
         "--chips", "1e7", "--prefer", "params"],
        ["estimate", "--it-energy-kwh", "1e12", "--hardware", "h100-sxm", *site],
        ["infer", "--params", "1e14", "--rps", "1e8", "--tokens-in", "1e8", "--tokens-out",
         "1e8", "--gpus", "1e5", "--batch", "0.01", "--utilisation", "1e-4", "--price-hour",
         "1e4", *site],
        ["infer", "--request-energy-kwh", "100", "--requests-per-day", "1e13", *site],
        ["sector", "--servers", "1e9", "--server-kw-low", "1e3", "--server-kw-high", "1e3",
         "--pue", "10", "--dc-capex", "1e15", "--ai-revenue", "1e15"],
    ]  # fmt: skip
    tiny = ["--grid", "1e-9", "--wue", "1e-9", "--ewif", "1e-9"]
    smallest = [
        ["estimate", "--flop", "1", "--hardware", "h100-sxm", "--chips", "1", "--mfu", "1",
         "--efficiency", "1e6", "--price-hour", "1e-9", "--price-kwh", "1e-9", *tiny],
        ["estimate", "--it-energy-kwh", "1e-9", "--hardware", "h100-sxm", *tiny],
        ["infer", "--request-energy-kwh", "1e-9", "--requests-per-day", "1e-3", *tiny],
        ["lifecycle", "--params", "1e12", "--tokens", "1e17", "--hardware", "h100-sxm",
         "--rps", "1e-8"],
        ["sector", "--servers", "1", "--server-kw-low", "1e-3", "--server-kw-high", "1e-3",
         "--utilisation", "1e-4", "--dc-capex", "0"],
    ]  # fmt: skip
    for args in largest + smallest:
        assert finite_json(cli(*args, "--format", "json")), args


def test_json_refuses_non_finite_numbers_naming_the_line() -> None:
    assert (
        dumps({"a": 1.5, "b": [0.0, None]})
        == '{\n  "a": 1.5,\n  "b": [\n    0.0,\n    null\n  ]\n}'
    )
    with pytest.raises(InputError, match=r"the result's cost_usd\.energy is not a finite number"):
        dumps({"schema": "x", "cost_usd": {"cloud": 1.0, "energy": float("inf")}})
    with pytest.raises(InputError, match=r"the result's lines\[1\]\.value is not .* \(nan\)"):
        check_finite({"lines": [{"value": 1.0}, {"value": float("nan")}]})
    with pytest.raises(InputError, match=r"\(-inf\) — the inputs are too large or too small"):
        dumps({"x": -float("inf")})
    # a bill's lines, before any JSON is made
    lines = {"energy_kwh": Line(1.0, 0.5, 2.0), "cost_usd": Line(1.0, 0.5, float("inf"))}
    with pytest.raises(InputError, match=r"the result's cost_usd\.high is not a finite number"):
        check_finite(lines)
    check_finite({"energy_kwh": Line(1.0, 0.5, 2.0), "water_l": None})


def test_library_checks_its_inputs_too() -> None:
    with pytest.raises(InputError, match="--servers must be at most 1e9"):
        sector(SectorInputs(servers=1e308))
    with pytest.raises(InputError, match="--onsite-consumption-l-per-kwh cannot be negative"):
        sector(SectorInputs(onsite_consumption_l_per_kwh=-1))
    with pytest.raises(InputError, match=r"--server-kw-low \(20\) cannot exceed"):
        sector(SectorInputs(server_kw_low=20, server_kw_high=10))
    with pytest.raises(InputError, match="--seed must be a whole number"):
        TrainingRun.parse({"seed": -1})
    with pytest.raises(InputError, match=r"--months must be from 0\.01 to 1,200 \(got inf\)"):
        months(float("inf"))
    assert months(12.0) == 12.0
    assert seed(0) == 0 and year(2024.5, "--until") == 2024.5
    with pytest.raises(InputError, match="--seed"):
        seed(True)


# ------------------------------------------------------------------ spec files


def within(seconds: float, action: Callable[[], Any]) -> Any:
    """The result of `action`, or a failure if it takes longer than `seconds` (it may hang)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = action()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def spec_error(cli: Any, path: Path | str) -> str:
    return one_line_error(within(20, lambda: cli("estimate", "--spec", str(path))))


def write(tmp_path: Path, text: str | bytes, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_is_refused_not_waited_on(cli: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    assert "spec.yaml is not a regular file — give a YAML file" in spec_error(cli, fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_not_read(cli: Any) -> None:
    assert "/dev/zero is not a regular file" in spec_error(cli, "/dev/zero")


def test_a_directory_is_refused(cli: Any, tmp_path: Path) -> None:
    assert "is a directory — give a YAML file" in spec_error(cli, tmp_path)


def test_size_is_capped(cli: Any, tmp_path: Path) -> None:
    body = "hardware: h100-sxm\nflop: 1e24\n"
    exact = write(tmp_path, body + "#" * (SPEC_MAX_BYTES - len(body) - 1) + "\n")
    assert exact.stat().st_size == SPEC_MAX_BYTES
    assert read_yaml(exact) == {"hardware": "h100-sxm", "flop": "1e24"}
    over = write(tmp_path, body + "#" * (SPEC_MAX_BYTES - len(body)) + "\n", "over.yaml")
    err = spec_error(cli, over)
    assert "over.yaml is larger than 65,536 bytes" in err


def test_an_alias_bomb_is_refused_at_the_first_alias(cli: Any, tmp_path: Path) -> None:
    # nine levels of nine aliases each: 9**9 = 387M strings if expanded
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = write(tmp_path, "\n".join(lines) + "\n")
    err = spec_error(cli, bomb)
    assert "line 2: aliases (*name) are not allowed — write the value out" in err
    harmless = write(tmp_path, "hardware: &h h100-sxm\nflop: 1e24\nlocation: *h\n", "h.yaml")
    assert "h.yaml line 3: aliases (*name) are not allowed" in spec_error(cli, harmless)


def test_deep_nesting_is_refused(cli: Any, tmp_path: Path) -> None:
    flow = write(tmp_path, "flop: " + "[" * 5000 + "]" * 5000 + "\n")
    assert f"line 1: nested more than {SPEC_MAX_DEPTH} levels deep" in spec_error(cli, flow)
    block = write(tmp_path, "".join("  " * i + f"k{i}:\n" for i in range(100)), "block.yaml")
    assert f"block.yaml line {SPEC_MAX_DEPTH}: nested more than" in spec_error(cli, block)


@pytest.mark.parametrize(
    ("encoding", "byte", "offset"),
    [("latin-1", "0xe9", 26), ("utf-16", "0xff", 0), ("cp1252", "0xe9", 26)],
)
def test_text_not_in_utf8(cli: Any, tmp_path: Path, encoding: str, byte: str, offset: int) -> None:
    path = write(tmp_path, "flop: 1e24\nlocation: FR # été\n".encode(encoding))
    err = spec_error(cli, path)
    assert f"is not UTF-8 text (byte {byte} at offset {offset}) — save it as UTF-8" in err


def test_a_bom_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "flop: 1e24\n".encode("utf-8-sig"))
    assert read_yaml(path) == {"flop": "1e24"}


def test_a_secret_file_is_not_repeated(cli: Any, tmp_path: Path) -> None:
    secret = "$6$rounds=5000$s4lt$Zm9vYmFyYmF6"
    shadow = write(tmp_path, f"alice:{secret}:19000:0:99999:7:::\nbob:*:19000::::::\n", "s")
    err = spec_error(cli, shadow)
    assert "line 1: a key is not a name like chip_hours (it is not repeated here)" in err
    assert "alice" not in err and secret not in err and "19000" not in err


def test_long_input_is_cut_short_in_errors(cli: Any, tmp_path: Path) -> None:
    cases = {
        "hardware: " + "h" * 5000: "--hardware: 'hhhh",
        "flop: '" + "9" * 5000 + "'": "--flop: '9999",
        "flop: " + "x" * 5000: "--flop: cannot read 'xxxx",
        "prefer: [" + ", ".join(["flops"] * 2000) + "]": "--prefer: unknown 'flops'",
        "start: '" + "2" * 5000 + "'": "--start: cannot read '2222",
        "flop: 1" + "0" * 5000: "holds a value YAML cannot read",
    }
    for i, (text, problem) in enumerate(cases.items()):
        err = spec_error(cli, write(tmp_path, text + "\n", f"{i}.y"))
        assert problem in err
        assert len(err) < 200, err
    err = one_line_error(cli(*ESTIMATE, "--flop", "y" * 5000))
    assert "--flop: cannot read 'yyyy" in err and len(err) < 200
    # a long file name keeps its end; a newline in it stays escaped, on the one line
    err = one_line_error(cli(*ESTIMATE, "--spec", "z" * 500 + "/spec\nfile.yaml"))
    assert "cannot read …zzz" in err and "zzz/spec\\nfile.yaml: " in err and len(err) < 200


def test_repeated_keys_are_an_error(cli: Any, tmp_path: Path) -> None:
    twice = write(tmp_path, "hardware: h100-sxm\nflop: 1e24\nflop: 2e24\n")
    assert "spec.yaml line 3: the key 'flop' is given twice" in spec_error(cli, twice)
    spelled = write(tmp_path, "hardware: h100-sxm\nchip-hours: 1M\nchip_hours: 2M\n", "d.yaml")
    err = spec_error(cli, spelled)
    assert "the key 'chip-hours' is given twice (once with _ and once with -) — keep one" in err
    nested = write(tmp_path, "hardware: h100-sxm\nflop: {a: 1, a: 2}\n", "n.yaml")
    assert "n.yaml line 2: the key 'a' is given twice" in spec_error(cli, nested)


def test_non_finite_yaml_numbers(cli: Any, tmp_path: Path) -> None:
    for value in (".inf", "-.inf", ".nan", "1.0e400"):
        path = write(tmp_path, f"hardware: h100-sxm\nflop: {value}\n")
        assert "--flop: " in spec_error(cli, path)
        assert "is not a finite number" in spec_error(cli, path)


def test_an_unquoted_date_is_read_as_the_date_it_is(cli: Any, tmp_path: Path) -> None:
    base = ["estimate", "--hardware", "h100-sxm", "--flop", "1e24", "--format", "json"]
    unquoted = write(tmp_path, "start: 2024-01-01\n")
    assert read_yaml(unquoted) == {"start": date(2024, 1, 1)}
    by_file = finite_json(cli(*base, "--spec", str(unquoted)))
    by_flag = finite_json(cli(*base, "--start", "2024-01-01"))
    undated = finite_json(cli(*base))
    assert by_file["inputs"]["years_since_price"] == by_flag["inputs"]["years_since_price"]
    assert "years_since_price" not in undated["inputs"]
    assert by_file["cost_usd"] == by_flag["cost_usd"] != undated["cost_usd"]
    assert TrainingRun.parse({"start": datetime(2024, 1, 1, 10, 30)}).start == "2024-01-01"


def test_a_spec_that_is_not_a_mapping_or_not_yaml(cli: Any, tmp_path: Path) -> None:
    tagged = write(tmp_path, "flop: !!python/object/apply:os.system ['true']\n")
    assert "spec.yaml line 1 is not valid YAML" in spec_error(cli, tagged)
    nul = write(tmp_path, b"flop: 1e24\x00\n", "nul.yaml")
    assert "nul.yaml" in spec_error(cli, nul) and "is not valid YAML" in spec_error(cli, nul)


def test_no_traffic_is_refused_not_divided_by(cli: Any) -> None:
    # serving no request has no cost per request: zero traffic is refused, never divided by
    for flag in ("--rps", "--requests-per-day"):
        result = cli("infer", "--model", "llama-3.1-8b", flag, "0")
        assert result.code == 2 and result.err.count("\n") == 1
        assert f"{flag} must be greater than 0 (got 0)" in result.err
