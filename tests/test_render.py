"""The bill people read: the CLI's quick path, human numbers, footnoted sources, 80 columns."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from combien.cli import _quick, application

ESTIMATE = ("estimate", "--params", "70B", "--tokens", "15T", "--hardware", "h100-sxm")

# ------------------------------------------------------------------ the quick path


def _click_flags(command: str) -> set[str]:
    import typer.main

    group: Any = typer.main.get_command(application())
    return {o for p in group.commands[command].params for o in p.opts if o.startswith("--")}


@pytest.mark.parametrize("command", ["estimate", "infer"])
def test_quick_path_reads_the_options_typer_reads(command: str) -> None:
    assert set(_quick.fields_of(command)) | set(_quick.OWN) == _click_flags(command)


def test_quick_path_gives_what_typer_gives(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*ESTIMATE, "--chips", "1024", "--prefer", "flop", "--format=json", "--samples", "200"]
    assert _quick.read("estimate", args[1:]) is not None  # the quick path takes these
    quick = cli(*args)
    application()(args=args, prog_name="combien", standalone_mode=False)
    assert quick.code == 0 and quick.out == capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--params", "70B", "--help"],
        ["--params"],
        ["--params", "70B", "--params", "7B"],
        ["--nope", "1"],
        ["--samples", "many"],
        ["--format", "yaml"],
        ["70B"],
    ],
)
def test_quick_path_leaves_to_typer_what_it_cannot_read(args: list[str]) -> None:
    assert _quick.read("estimate", args) is None


def test_quick_path_errors_are_typers(cli: Any) -> None:
    unknown = cli(*ESTIMATE, "--nope", "1")
    assert unknown.code == 2 and "No such option: --nope" in unknown.err
    bad = cli(*ESTIMATE, "--mfu", "40")
    assert bad.code == 2 and bad.err.startswith("combien: error: --mfu must be in (0, 1]")


def test_estimate_does_not_build_the_typer_application() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from combien.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({[*ESTIMATE, '--format', 'json', '--samples', '100']!r}) == 0\n"
        "assert 'typer' not in sys.modules and 'rich' not in sys.modules, 'typer or rich'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ readable at a glance

DEMO = ("estimate", "--model", "llama-3.1-405b", "--location", "US", "--facility", "hyperscale")


def test_numbers_in_human_units() -> None:
    from combien.units import quantity, span

    # the H100's dense BF16 peak (NVIDIA datasheet, 1,978.9 TFLOP/s with sparsity, halved)
    assert quantity(989.4e12, "FLOP/s") == "989 TFLOP/s"
    assert quantity(33_750, "USD") == "$33,750"  # an H100 server's share per GPU
    assert quantity(150.2e6, "USD") == "$150M"
    assert quantity(2028.6, "year") == "2028.6"
    assert span(23.7e6, 45.1e6, "kWh") == "23.7–45.1 GWh"  # the unit said once
    assert span(940e3, 2.26e6, "kWh") == "940 MWh–2.26 GWh"  # unless the prefixes differ


def test_demo_markdown_is_short_and_cites_each_source_once(cli: Any) -> None:
    out = cli(*DEMO, "--format", "markdown").out
    assert len(out.encode()) < 4096
    notes = [line for line in out.splitlines() if line.startswith("[")]
    texts = [note.partition("] ")[2] for note in notes]
    assert len(texts) == len(set(texts)) >= 5
    # the H100 row's citation is quoted once; its price row points to it
    assert sum("NVIDIA H100 Tensor Core GPU datasheet" in t for t in texts) == 1
    assert any(t.startswith("hardware:h100-sxm (server price") and " — as [" in t for t in texts)
    assert "e+" not in out


def test_tables_fit_80_columns_without_cutting(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for args in (DEMO, ("infer", "--model", "llama-3.1-70b", "--rps", "100")):
        out = cli(*args).out
        assert max(map(len, out.splitlines())) <= 80
        table = out.split("\n[1] ")[0]  # the tables, before the sources
        assert "…" not in table, table


def test_infer_says_the_defaults_that_decide_it(cli: Any) -> None:
    args = ("infer", "--model", "llama-3.1-70b", "--rps", "100")
    out = cli(*args, "--format", "markdown").out
    inputs = cli(*args, "--format", "json").json()["inputs"]
    batch, busy = inputs["batch"]["value"], inputs["utilisation"]["value"]
    # the serving catalog's request: 1,000 input + 500 output tokens
    assert "requests of 1,000 input + 500 output tokens" in out
    assert f"{batch:,.0f} at a time per replica, replicas busy {busy:.0%} of the time" in out
    for name in ("| batch |", "| tokens_in |", "| utilisation |", "| peak_flops |"):
        assert name in out
    assert "989 TFLOP/s" in out  # the H100's dense BF16 peak, not 9.894e+14


def test_lifecycle_prints_its_warnings(cli: Any) -> None:
    out = cli("lifecycle", "--model", "llama-3.1-405b", "--rps", "200", "--format", "markdown").out
    # no location given: the world's grid is assumed, and said
    assert "### Warnings" in out and "location" in out.split("### Warnings")[1]
