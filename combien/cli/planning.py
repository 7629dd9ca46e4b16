"""`combien compare` and `combien plan`: variants side by side; the ways to train under limits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from combien.cli._app import (
    Format,
    FormatOpt,
    SamplesOpt,
    SeedOpt,
    app,
    emit,
    format_option,
    given,
    with_fields,
)
from combien.fields import METHOD
from combien.plan.constraints import LIMITS, PANEL, RESTRICTIONS, plan_fields
from combien.resolve.spec import TrainingRun

SpecsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--spec",
        help="YAML file of a variant (repeat for more); flags apply to each.",
        rich_help_panel=METHOD,
        show_default=False,
    ),
]
CompareFormatOpt = Annotated[Format, format_option("table, json, markdown or csv.")]


@app.command()
@with_fields(*TrainingRun.inputs())
def compare(
    spec: SpecsOpt = None,
    output_format: CompareFormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    **fields: Any,
) -> None:
    """Variants of a run side by side, e.g. --location FR,US-VA --hardware h100-sxm,b200: every
    line with its range, and each variant's difference from the first with the share of draws
    in which it is lower (the same draws for the inputs the variants share)."""
    from combien.plan.compare import compare as run_compare
    from combien.plan.names import listed

    runs = [TrainingRun.from_yaml(path) for path in spec or ()]
    names = [path.stem for path in spec or ()]
    variants = listed(given(fields))
    result = run_compare(*runs, names=names or None, samples=samples, seed=seed, **variants)
    emit(result, output_format)


def _limit_option(name: str) -> Any:
    return typer.Option(help=LIMITS[name].help, rich_help_panel=PANEL, show_default=False)


def _list_option(name: str) -> Any:
    return typer.Option(help=RESTRICTIONS[name][1], rich_help_panel=PANEL, show_default=False)


@app.command()
@with_fields(*plan_fields())
def plan(
    deadline: Annotated[str | None, _limit_option("deadline")] = None,
    budget: Annotated[str | None, _limit_option("budget")] = None,
    max_chips: Annotated[str | None, _limit_option("max_chips")] = None,
    co2e_max: Annotated[str | None, _limit_option("co2e_max")] = None,
    water_max: Annotated[str | None, _limit_option("water_max")] = None,
    hardware: Annotated[str | None, _list_option("hardware")] = None,
    locations: Annotated[str | None, _list_option("locations")] = None,
    providers: Annotated[str | None, _list_option("providers")] = None,
    facilities: Annotated[str | None, _list_option("facilities")] = None,
    commitments: Annotated[str | None, _list_option("commitments")] = None,
    output_format: FormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    **fields: Any,
) -> None:
    """The cheapest, cleanest, driest and fastest ways to train: hardware × chips × place ×
    provider and commitment × facility searched at once; the Pareto front of cost, CO2e, water
    and wall-clock time with ranges, the best option for each, and why the others were
    dropped."""
    from combien.plan.plan import plan as run_plan

    options = given(
        {
            "deadline": deadline,
            "budget": budget,
            "max_chips": max_chips,
            "co2e_max": co2e_max,
            "water_max": water_max,
            "hardware": hardware,
            "locations": locations,
            "providers": providers,
            "facilities": facilities,
            "commitments": commitments,
            "samples": samples,
            "seed": seed,
        }
    )
    emit(run_plan(**options, **given(fields)), output_format)
