"""`combien trends`, `claims` and `sector`: looking further than one run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from combien.cli._app import (
    _P,
    _S,
    _W,
    Format,
    FormatOpt,
    PueOpt,
    _emit,
    _opt,
    app,
)


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

    result = run_trends(since, until, seed=seed)
    if png:
        charts.png(result, str(png))
    if html:
        html.write_text(charts.html_page(result), encoding="utf-8")
    _emit(result, output_format, result.to_json, "trends")


@app.command()
def claims(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Claim ids (default: all).", show_default=False)
    ] = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """Recompute every claim of the article, with assumptions and a verdict."""
    from combien.field.claims import check_claims, to_json

    result = check_claims(list(ids) if ids else None)
    _emit(result, output_format, lambda: to_json(result), "claims")


@app.command()
def sector(
    servers: Annotated[str | None, _opt("AI servers in use (de Vries: 1.5M in 2027).", _W)] = None,
    server_kw_low: Annotated[str | None, _opt("Power of one server, low (kW).", _W)] = None,
    server_kw_high: Annotated[str | None, _opt("Power of one server, high (kW).", _W)] = None,
    utilisation: Annotated[
        str | None, _opt("Share of the year at that power (default 1).", _W)
    ] = None,
    pue: PueOpt = None,
    location: Annotated[
        str, typer.Option(help="Grid mix and water of electricity.", rich_help_panel=_S)
    ] = "WORLD",
    dc_capex: Annotated[
        str | None, _opt("Yearly AI data-centre GPU spend, USD (Cahn: $150B).", _P)
    ] = None,
    ai_revenue: Annotated[
        str | None, _opt("Yearly AI revenue, USD (Cahn: $70B named).", _P)
    ] = None,
    output_format: FormatOpt = Format.table,
) -> None:
    """AI's electricity, water, carbon and revenue question from server shipments."""
    from combien.field.sector import SectorInputs
    from combien.field.sector import sector as run_sector
    from combien.fields import number

    def num(name: str, value: str | None) -> float | None:
        return None if value is None else number(name, value)

    result = run_sector(
        SectorInputs(
            servers=num("servers", servers),
            server_kw_low=num("server_kw_low", server_kw_low),
            server_kw_high=num("server_kw_high", server_kw_high),
            utilisation=num("utilisation", utilisation) or 1.0,
            pue=num("pue", pue),
            location=location,
            dc_capex_usd=num("dc_capex", dc_capex),
            ai_revenue_usd=num("ai_revenue", ai_revenue),
        )
    )
    _emit(result, output_format, result.to_json, "sector")
