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
