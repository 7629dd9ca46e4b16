"""Docs are tested: README commands and code run; methodology names what the code uses."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from combien.data import catalog

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
METHODOLOGY = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _tour_commands() -> list[list[str]]:
    commands = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("combien "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_readme_starts_with_the_two_commands() -> None:
    first = _blocks("sh")[0]
    assert "make demo" in first and "make test" in first


@pytest.mark.parametrize("args", _tour_commands(), ids=" ".join)
def test_readme_commands_run(
    cli: Any, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "runs.db"))
    (tmp_path / "run.yaml").write_text("params: 70B\ntokens: 15T\nhardware: h100-sxm\n")
    result = cli(*args)
    assert result.code == 0, result.err


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")
def test_readme_python_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMBIEN_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    assert "combien.bill/1" in capsys.readouterr().out


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
