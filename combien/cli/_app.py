"""The typer application, its options (input fields come from `combien.fields`), and output."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from combien.cli._output import Format, emit, given, output_format, print_renderable
from combien.fields import INPUTS, METHOD, Field, samples, seed

if TYPE_CHECKING:
    from combien.store import Store

__all__ = [
    "TRACKING",
    "DbOpt",
    "Format",
    "FormatOpt",
    "SamplesOpt",
    "SeedOpt",
    "SpecOpt",
    "app",
    "data_app",
    "emit",
    "format_option",
    "given",
    "option",
    "output_format",
    "print_renderable",
    "read_store",
    "runs_app",
    "with_fields",
]

app = typer.Typer(
    name="combien",
    help="How much does it cost to train an AI model? Dollars, kWh, CO2e and litres, "
    "with ranges and sources.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from combien import __version__

        typer.echo(f"combien {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """How much does it cost to train an AI model? Dollars, kWh, CO2e and litres, with ranges
    and sources."""


data_app = typer.Typer(help="List the reference data (with sources).", no_args_is_help=True)
app.add_typer(data_app, name="data")
runs_app = typer.Typer(
    help="Tracked runs in the store: list, show, export, compare.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")


def read_store(db: str | None) -> Store:
    """The run store, opened read-only. One named by --db must exist: a mistyped path would
    otherwise read as a store without runs. The configured store (COMBIEN_DB, else
    ~/.combien/runs.db) is made by the first tracked run: until then it reads as empty."""
    from combien.errors import InputError
    from combien.store import Store

    store = Store(db, read_only=True)
    if db and not store.path.exists():
        raise InputError(
            f"no run store at {store.path} — check --db; a store is made by the first "
            "`combien track`"
        )
    return store


def option(help_text: str, panel: str) -> Any:
    return typer.Option(help=help_text, rich_help_panel=panel, show_default=False)


# options that are not inputs of a run (those come from combien.fields, see `with_fields`)
SpecOpt = Annotated[
    Path | None, option("YAML file with the same keys (flags override it).", METHOD)
]


# read as the quick path and the specs read them: one line with a hint when they cannot be
def _count_option(help_text: str, parser: Callable[[str], int]) -> Any:
    return typer.Option(
        help=help_text, rich_help_panel=METHOD, show_default=False, parser=parser, metavar="INTEGER"
    )


SamplesOpt = Annotated[int | None, _count_option("Monte Carlo samples (default 10000).", samples)]
SeedOpt = Annotated[int | None, _count_option("Random seed (default 0).", seed)]


def format_option(help_text: str, panel: str | None = METHOD) -> Any:
    """A command's --format, read by `output_format` (an unknown format: one line, the list)."""
    return typer.Option("--format", help=help_text, rich_help_panel=panel, parser=output_format)


FormatOpt = Annotated[Format, format_option("table, json, markdown or csv (the lines).")]
TRACKING = "tracking"
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Run store (SQLite file); default $COMBIEN_DB or ~/.combien/runs.db."
    ),
]

Command = TypeVar("Command", bound=Callable[..., None])


def with_fields(*names: str, help: dict[str, str] | None = None) -> Callable[[Command], Command]:
    """Give a command one option per input field (`combien.fields.INPUTS`), in that table's
    order and panels, before its own parameters; the command receives them as **fields."""
    chosen = [INPUTS[n] for n in INPUTS if n in names]
    unknown = set(names) - set(INPUTS)
    assert not unknown, f"not input fields: {unknown}"

    def decorate(command: Command) -> Command:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        arguments = [p for p in own if p.default is inspect.Parameter.empty]
        options = [_field_parameter(f, (help or {}).get(f.name, f.help)) for f in chosen]
        params = arguments + options + [p for p in own if p not in arguments]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


def _field_parameter(field: Field, help_text: str) -> inspect.Parameter:
    kind: Any = list[str] | None if field.kind == "choices" else str | None
    return inspect.Parameter(
        field.attr,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind, option(help_text, field.panel)],
    )
