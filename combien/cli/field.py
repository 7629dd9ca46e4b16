"""`combien trends`, `claims` and `sector`: looking further than one run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from combien.cli._app import (
    Format,
    FormatOpt,
    app,
    emit,
    given,
    with_fields,
)
from combien.fields import SITE


@app.command()
def trends(
    since: Annotated[int, typer.Option(help="First publication year of the window.")] = 2016,
    until: Annotated[
        float | None, typer.Option(help="Last publication date (decimal year).", show_default=False)
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option(help="Write the chart as a PNG (needs matplotlib).", show_default=False),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(help="Write the chart as a standalone HTML page.", show_default=False),
    ] = None,
    output_format: FormatOpt = Format.table,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """Growth of frontier training compute and cost; when the largest run crosses $1B–$100B."""
    from combien.field import charts
    from combien.field.trends import trends as run_trends
    from combien.fields import seed as checked_seed
    from combien.fields import year

    year(since, "--since")
    if until is not None:
        year(until, "--until")
    result = run_trends(since, until, seed=checked_seed(seed))
    if png:
        charts.png(result, str(png))
    if html:
        html.write_text(charts.html_page(result), encoding="utf-8")
    emit(result, output_format)


@app.command()
def claims(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Claim ids (default: all).", show_default=False)
    ] = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """Recompute every claim of the article, with assumptions and a verdict."""
    from combien.field.claims import check_claims

    emit(check_claims(list(ids) if ids else None), output_format)


@app.command()
@with_fields(
    "servers",
    "server_kw_low",
    "server_kw_high",
    "utilisation",
    "pue",
    "dc_capex",
    "ai_revenue",
    help={"utilisation": "Share of the year at that power (default 1)."},
)
def sector(
    location: Annotated[
        str, typer.Option(help="Grid mix and water of electricity.", rich_help_panel=SITE)
    ] = "WORLD",
    output_format: FormatOpt = Format.table,
    **fields: Any,
) -> None:
    """AI's electricity, water, carbon and revenue question from server shipments."""
    from combien.field.sector import SectorInputs
    from combien.field.sector import sector as run_sector
    from combien.fields import number

    flags = given(fields)

    def num(name: str) -> float | None:
        return None if name not in flags else number(name, flags[name])

    result = run_sector(
        SectorInputs(
            servers=num("servers"),
            server_kw_low=num("server_kw_low"),
            server_kw_high=num("server_kw_high"),
            utilisation=num("utilisation") or 1.0,
            pue=num("pue"),
            location=location,
            dc_capex_usd=num("dc_capex"),
            ai_revenue_usd=num("ai_revenue"),
        )
    )
    emit(result, output_format)
