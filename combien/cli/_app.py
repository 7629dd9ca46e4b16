"""The typer application, the options several commands share, and output helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="combien",
    help="How much does it cost to train an AI model? Dollars, kWh, CO2e and litres, "
    "with ranges and sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="List the reference data (with sources).", no_args_is_help=True)
app.add_typer(data_app, name="data")
runs_app = typer.Typer(
    help="Tracked runs in the store: list, show, export, compare.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


_W = "workload"
_H = "hardware and time"
_S = "site"
_P = "prices"
_M = "method"
_X = "scenarios"


def _opt(help_text: str, panel: str) -> Any:
    return typer.Option(help=help_text, rich_help_panel=panel, show_default=False)


# options shared by several commands
LocationOpt = Annotated[
    str | None, _opt("Where it runs: FR, US-IA, aws:us-east-1 (see `combien data locations`).", _S)
]
FacilityOpt = Annotated[
    str | None, _opt("Facility preset: hyperscale, enterprise, air-cooled, evaporative, dlc.", _S)
]
PueOpt = Annotated[str | None, _opt("Power usage effectiveness (≥ 1).", _S)]
WueOpt = Annotated[str | None, _opt("On-site water usage effectiveness, L/kWh of IT energy.", _S)]
GridOpt = Annotated[str | None, _opt("Grid carbon intensity, gCO2e/kWh.", _S)]
EwifOpt = Annotated[str | None, _opt("Water intensity of electricity, L/kWh.", _S)]
PriceHourOpt = Annotated[str | None, _opt("Cloud price, USD per accelerator-hour.", _P)]
PriceKwhOpt = Annotated[str | None, _opt("Electricity price, USD/kWh.", _P)]
ProviderOpt = Annotated[
    str | None, _opt("Cloud provider for prices: aws, gcp, azure, lambda, ...", _P)
]
CommitmentOpt = Annotated[str | None, _opt("Cloud commitment: on-demand, 1y, 3y (default 3y).", _P)]
SpecOpt = Annotated[Path | None, _opt("YAML file with the same keys (flags override it).", _M)]
SamplesOpt = Annotated[int | None, _opt("Monte Carlo samples (default 10000).", _M)]
SeedOpt = Annotated[int | None, _opt("Random seed (default 0).", _M)]
ModelOpt = Annotated[
    str | None, _opt("Preset of a well-known model (see `combien data models`).", _W)
]
ParamsOpt = Annotated[str | None, _opt("Parameters, e.g. 70B.", _W)]
ActiveParamsOpt = Annotated[str | None, _opt("Active parameters per token (MoE), e.g. 37B.", _W)]
FormatOpt = Annotated[
    Format, typer.Option("--format", help="table, json or markdown.", rich_help_panel=_M)
]

_T = "tracking"
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Run store (SQLite file); default $COMBIEN_DB or ~/.combien/runs.db."
    ),
]


def _yaml_mapping(path: Path) -> dict[str, Any]:
    from combien.resolve.spec import read_yaml

    return read_yaml(path)


def _emit_bill(bill: Any, output_format: Format, stream: Any = None) -> None:
    out = stream or sys.stdout
    if output_format is Format.json:
        out.write(bill.to_json() + "\n")
    elif output_format is Format.markdown:
        out.write(bill.to_markdown())
    else:
        from combien.results.render import bill_table

        _print(bill_table(bill), stream)


def _emit(result: Any, output_format: Format, to_json: Callable[[], str], name: str) -> None:
    """Write a result as JSON, or through render.{name}_markdown / render.{name}_table."""
    if output_format is Format.json:
        sys.stdout.write(to_json() + "\n")
        return
    from combien.results import render

    if output_format is Format.markdown:
        sys.stdout.write(getattr(render, f"{name}_markdown")(result))
    else:
        _print(getattr(render, f"{name}_table")(result))


def _print(renderable: Any, stream: Any = None) -> None:
    from rich.console import Console

    Console(file=stream).print(renderable)
