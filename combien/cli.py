"""Command line: a thin shell over the library. Each command parses, calls one function, renders.

Errors are one line on stderr with exit code 2 — never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from combien.errors import CombienError, InputError

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


Num = Annotated[str | None, typer.Option(show_default=False)]
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


@app.command()
def estimate(
    model: Annotated[
        str | None, _opt("Preset of a well-known run (see `combien data models`).", _W)
    ] = None,
    params: Annotated[str | None, _opt("Parameters, e.g. 70B.", _W)] = None,
    active_params: Annotated[
        str | None, _opt("Active parameters per token (MoE), e.g. 37B.", _W)
    ] = None,
    tokens: Annotated[str | None, _opt("Training tokens, e.g. 15T.", _W)] = None,
    flop: Annotated[str | None, _opt("Training compute in FLOP, e.g. 3.8e25.", _W)] = None,
    chip_hours: Annotated[str | None, _opt("Accelerator-hours, e.g. 30.84M.", _H)] = None,
    hardware: Annotated[
        str | None, _opt("Accelerator id, e.g. h100-sxm (see `combien data hardware`).", _H)
    ] = None,
    chips: Annotated[str | None, _opt("Number of accelerators.", _H)] = None,
    days: Annotated[str | None, _opt("Wall-clock duration: 90d, 2160h, or days.", _H)] = None,
    mfu: Annotated[str | None, _opt("Model FLOP utilisation, 0–1.", _H)] = None,
    precision: Annotated[
        str | None, _opt("Training precision: bf16 (default), fp16, fp8, tf32, fp32.", _H)
    ] = None,
    location: LocationOpt = None,
    facility: FacilityOpt = None,
    pue: PueOpt = None,
    wue: WueOpt = None,
    grid: GridOpt = None,
    ewif: EwifOpt = None,
    price_hour: PriceHourOpt = None,
    price_kwh: PriceKwhOpt = None,
    provider: ProviderOpt = None,
    commitment: CommitmentOpt = None,
    start: Annotated[
        str | None, _opt("Training start YYYY-MM: depreciates the hardware price to it.", _P)
    ] = None,
    power_fraction: Annotated[str | None, _opt("Average power ÷ TDP, 0–1.", _M)] = None,
    chip_power_w: Annotated[
        str | None, _opt("Measured average power per chip (W); replaces TDP × power fraction.", _M)
    ] = None,
    server_overhead: Annotated[
        str | None, _opt("Server power ÷ accelerator power (≥ 1).", _M)
    ] = None,
    it_energy_kwh: Annotated[
        str | None, _opt("IT energy already known (kWh): compute and power are skipped.", _M)
    ] = None,
    convention: Annotated[
        str | None, _opt("Counting convention: full (default), tdp, epoch.", _M)
    ] = None,
    energy: Annotated[
        str | None, _opt("Power from one source: nuclear, wind, solar, gas, coal ...", _X)
    ] = None,
    efficiency: Annotated[
        str | None, _opt("A method that needs N× less compute (e.g. 10, JEST).", _X)
    ] = None,
    efficiency_overhead: Annotated[
        str | None, _opt("Its overhead, as a share of the original compute.", _X)
    ] = None,
    heat_reuse: Annotated[
        str | None, _opt("Share of the heat recovered (0–1): heat and homes-equivalent.", _X)
    ] = None,
    prefer: Annotated[
        list[str] | None,
        _opt("Which input wins a conflict: flop, params, chip-hours, days, mfu.", _M),
    ] = None,
    spec: SpecOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.", rich_help_panel=_M)
    ] = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Estimate the bill of a training run: compute, time, energy, carbon, water, dollars."""
    from combien.estimation import estimate as run_estimate
    from combien.spec import TrainingRun

    flags = {
        k: v
        for k, v in locals().items()
        if k not in {"spec", "output_format", "run_estimate", "TrainingRun"} and v is not None
    }
    run = TrainingRun.from_yaml(spec).merged(**flags) if spec else TrainingRun.parse(flags)
    bill = run_estimate(run)
    _emit_bill(bill, output_format)


@app.command()
def infer(
    model: Annotated[str | None, _opt("Preset model (see `combien data models`).", _W)] = None,
    params: Annotated[str | None, _opt("Parameters, e.g. 70B.", _W)] = None,
    active_params: Annotated[str | None, _opt("Active parameters per token (MoE).", _W)] = None,
    tokens_in: Annotated[str | None, _opt("Input (prompt) tokens per request.", _W)] = None,
    tokens_out: Annotated[str | None, _opt("Output tokens per request.", _W)] = None,
    requests_per_day: Annotated[str | None, _opt("Traffic, requests per day.", _W)] = None,
    rps: Annotated[str | None, _opt("Traffic, requests per second.", _W)] = None,
    hardware: Annotated[str | None, _opt("Serving accelerator (default h100-sxm).", _H)] = None,
    gpus: Annotated[
        str | None, _opt("Accelerators per replica (default: from memory).", _H)
    ] = None,
    batch: Annotated[str | None, _opt("Concurrent requests per replica.", _H)] = None,
    precision: Annotated[str | None, _opt("Weights: bf16 (default), fp8, int8, int4.", _H)] = None,
    utilisation: Annotated[str | None, _opt("Share of time replicas are busy, 0–1.", _H)] = None,
    request_energy_kwh: Annotated[
        str | None, _opt("IT energy of one request (kWh): replaces the model.", _M)
    ] = None,
    location: LocationOpt = None,
    facility: FacilityOpt = None,
    pue: PueOpt = None,
    wue: WueOpt = None,
    grid: GridOpt = None,
    ewif: EwifOpt = None,
    price_hour: PriceHourOpt = None,
    price_kwh: PriceKwhOpt = None,
    provider: ProviderOpt = None,
    commitment: CommitmentOpt = None,
    spec: SpecOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.", rich_help_panel=_M)
    ] = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """The cost of serving a model: per request, per 1,000, per day and per year."""
    from combien.inference import infer as run_infer
    from combien.spec import InferenceRun

    flags = {
        k: v
        for k, v in locals().items()
        if k not in {"spec", "output_format", "run_infer", "InferenceRun"} and v is not None
    }
    data = _yaml_mapping(spec) if spec else {}
    bill = run_infer(InferenceRun.parse({**data, **flags}))
    if output_format is Format.json:
        sys.stdout.write(bill.to_json() + "\n")
    elif output_format is Format.markdown:
        from combien.render import inference_markdown

        sys.stdout.write(inference_markdown(bill))
    else:
        from combien.render import inference_table

        _print(inference_table(bill))


@app.command()
def lifecycle(
    model: Annotated[
        str | None, _opt("Preset: its training run and its size for serving.", _W)
    ] = None,
    params: Annotated[str | None, _opt("Parameters, e.g. 70B.", _W)] = None,
    active_params: Annotated[str | None, _opt("Active parameters per token (MoE).", _W)] = None,
    tokens: Annotated[str | None, _opt("Training tokens, e.g. 15T.", _W)] = None,
    flop: Annotated[str | None, _opt("Training compute in FLOP.", _W)] = None,
    chip_hours: Annotated[str | None, _opt("Training accelerator-hours.", _H)] = None,
    hardware: Annotated[str | None, _opt("Training accelerator.", _H)] = None,
    chips: Annotated[str | None, _opt("Training accelerators.", _H)] = None,
    serve_hardware: Annotated[
        str | None, _opt("Serving accelerator (default h100-sxm).", _H)
    ] = None,
    tokens_in: Annotated[str | None, _opt("Input tokens per request.", _W)] = None,
    tokens_out: Annotated[str | None, _opt("Output tokens per request.", _W)] = None,
    requests_per_day: Annotated[str | None, _opt("Traffic, requests per day.", _W)] = None,
    rps: Annotated[str | None, _opt("Traffic, requests per second.", _W)] = None,
    months: Annotated[float, typer.Option(help="Months of serving.", rich_help_panel=_W)] = 12.0,
    location: LocationOpt = None,
    facility: FacilityOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.", rich_help_panel=_M)
    ] = Format.table,
) -> None:
    """A model's whole life: the training bill, then months of serving; when serving overtakes."""
    from combien.lifecycle import lifecycle as run_lifecycle
    from combien.spec import InferenceRun, TrainingRun

    if not months > 0:
        raise InputError(f"--months must be greater than 0 (got {months})", field="months")
    site = {"location": location, "facility": facility}
    train = {
        "model": model,
        "params": params,
        "active_params": active_params,
        "tokens": tokens,
        "flop": flop,
        "chip_hours": chip_hours,
        "hardware": hardware,
        "chips": chips,
        **site,
    }
    serve = {
        "model": model,
        "params": params,
        "active_params": active_params,
        "hardware": serve_hardware,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "requests_per_day": requests_per_day,
        "rps": rps,
        **site,
    }
    result = run_lifecycle(
        TrainingRun.parse({k: v for k, v in train.items() if v is not None}),
        InferenceRun.parse({k: v for k, v in serve.items() if v is not None}),
        months,
    )
    if output_format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
        return
    from combien.render import lifecycle_markdown, lifecycle_table

    if output_format is Format.markdown:
        sys.stdout.write(lifecycle_markdown(result))
    else:
        _print(lifecycle_table(result))


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
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """Growth of frontier training compute and cost; when the largest run crosses $1B–$100B."""
    from combien import charts
    from combien.trends import trends as run_trends

    result = run_trends(since, until, seed=seed)
    if png:
        charts.png(result, str(png))
    if html:
        html.write_text(charts.html_page(result), encoding="utf-8")
    if output_format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
        return
    from combien.render import trends_markdown, trends_table

    if output_format is Format.markdown:
        sys.stdout.write(trends_markdown(result))
    else:
        _print(trends_table(result))


@app.command()
def claims(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Claim ids (default: all).", show_default=False)
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
) -> None:
    """Recompute every claim of the article, with assumptions and a verdict."""
    from combien.claims import check_claims, to_json

    result = check_claims(list(ids) if ids else None)
    if output_format is Format.json:
        sys.stdout.write(to_json(result) + "\n")
        return
    from combien.render import claims_markdown, claims_table

    if output_format is Format.markdown:
        sys.stdout.write(claims_markdown(result))
    else:
        _print(claims_table(result))


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
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
) -> None:
    """AI's electricity, water, carbon and revenue question from server shipments."""
    from combien.sector import SectorInputs
    from combien.sector import sector as run_sector
    from combien.validate import number

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
    if output_format is Format.json:
        sys.stdout.write(result.to_json() + "\n")
        return
    from combien.render import sector_markdown, sector_table

    if output_format is Format.markdown:
        sys.stdout.write(sector_markdown(result))
    else:
        _print(sector_table(result))


def _yaml_mapping(path: Path) -> dict[str, Any]:
    from combien.spec import read_yaml

    return read_yaml(path)


def _emit_bill(bill: Any, output_format: Format, stream: Any = None) -> None:
    out = stream or sys.stdout
    if output_format is Format.json:
        out.write(bill.to_json() + "\n")
    elif output_format is Format.markdown:
        out.write(bill.to_markdown())
    else:
        from combien.render import bill_table

        _print(bill_table(bill), stream)


class Table(StrEnum):
    hardware = "hardware"
    locations = "locations"
    prices = "prices"
    models = "models"
    facilities = "facilities"
    conventions = "conventions"
    defaults = "defaults"


def _data_command(table: Table) -> Any:
    def command(
        search: Annotated[str | None, typer.Option(help="Only rows matching this text.")] = None,
        output_format: Annotated[
            Format, typer.Option("--format", help="table, json or markdown.")
        ] = Format.table,
    ) -> None:
        from combien.listing import list_table

        sys.stdout.write(list_table(table.value, search, output_format.value))

    command.__doc__ = f"List the {table.value} reference data, with sources."
    return command


for _table in Table:
    data_app.command(_table.value)(_data_command(_table))


_T = "tracking"
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Run store (SQLite file); default $COMBIEN_DB or ~/.combien/runs.db."
    ),
]


@app.command(context_settings={"allow_interspersed_args": False})
def track(
    command: Annotated[
        list[str], typer.Argument(help="The command to run, after --.", show_default=False)
    ],
    project: Annotated[str | None, _opt("Project name recorded with the run.", _T)] = None,
    location: LocationOpt = None,
    facility: FacilityOpt = None,
    pue: PueOpt = None,
    wue: WueOpt = None,
    grid: GridOpt = None,
    ewif: EwifOpt = None,
    price_kwh: PriceKwhOpt = None,
    price_hour: PriceHourOpt = None,
    hardware: Annotated[
        str | None, _opt("Accelerator id, if the driver's name is not recognised.", _T)
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Sampling interval, seconds.", rich_help_panel=_T)
    ] = 1.0,
    flush: Annotated[
        float, typer.Option(help="Write to the store every N seconds.", rich_help_panel=_T)
    ] = 5.0,
    scope: Annotated[
        str,
        typer.Option(help="process (the command's process tree) or machine.", rich_help_panel=_T),
    ] = "process",
    all_gpus: Annotated[
        bool,
        typer.Option(
            "--all-gpus",
            help="Measure every GPU, not only CUDA_VISIBLE_DEVICES.",
            rich_help_panel=_T,
        ),
    ] = False,
    db: DbOpt = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format", help="table, json or markdown (printed to stderr).", rich_help_panel=_T
        ),
    ] = Format.table,
    output: Annotated[
        Path | None, typer.Option(help="Also write the JSON bill to this file.", rich_help_panel=_T)
    ] = None,
) -> None:
    """Run a command and measure it: combien track \\[options] -- python train.py."""
    from combien.runs import track_command

    site = {
        "location": location,
        "facility": facility,
        "pue": pue,
        "wue": wue,
        "grid": grid,
        "ewif": ewif,
        "price_kwh": price_kwh,
        "price_hour": price_hour,
        "hardware": hardware,
    }
    code, bill = track_command(
        list(command),
        project=project,
        interval_s=interval,
        flush_s=flush,
        scope=scope,
        all_gpus=all_gpus,
        db=db,
        **site,
    )
    if bill is not None:
        if output:
            output.write_text(bill.to_json() + "\n", encoding="utf-8")
        _emit_bill(bill, output_format, stream=sys.stderr)
    raise typer.Exit(code)


@runs_app.command("list")
def runs_list(
    db: DbOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 50,
) -> None:
    """List tracked runs, newest first (runs whose process died are marked interrupted)."""
    from combien.runs import summary_rows
    from combien.store import Store

    rows = summary_rows(Store(db), limit)
    if output_format is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from combien.render import runs_table

    _print(runs_table(rows))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    db: DbOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, json or markdown.")
    ] = Format.table,
) -> None:
    """Show a tracked run's bill (JSON: combien.bill/1 with its `run` object)."""
    from combien.runs import get_run, stored_bill
    from combien.store import Store

    _emit_bill(stored_bill(get_run(Store(db), run_id)), output_format)


@runs_app.command("export")
def runs_export(
    db: DbOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    run: Annotated[
        str | None, typer.Option(help="Export this run's samples instead of the runs.")
    ] = None,
) -> None:
    """Export the runs (or one run's samples) as CSV or JSON."""
    from combien.runs import export
    from combien.store import Store

    if output_format not in ("csv", "json"):
        raise InputError(f"--format: {output_format!r} is not one of 'csv', 'json'")
    sys.stdout.write(export(Store(db), output_format, run))


@runs_app.command("compare")
def runs_compare(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    spec: Annotated[Path, typer.Option(help="YAML spec of the same run (as for estimate).")],
    db: DbOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table or json.")
    ] = Format.table,
) -> None:
    """Compare a tracked run with the estimate of the same run, line by line."""
    from combien.runs import compare, estimate_for_run, get_run, stored_bill
    from combien.spec import TrainingRun
    from combien.store import Store

    run = get_run(Store(db), run_id)
    result = compare(stored_bill(run), estimate_for_run(run, TrainingRun.from_yaml(spec)))
    if output_format is Format.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    from combien.render import compare_table

    _print(compare_table(result))


def _print(renderable: Any, stream: Any = None) -> None:
    from rich.console import Console

    Console(file=stream).print(renderable)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app, turns every known error into one line and exit code 2."""
    try:
        result = app(args=argv, prog_name="combien", standalone_mode=False)
    except CombienError as exc:
        sys.stderr.write(f"combien: error: {exc}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("combien: aborted\n")
        return 130
    except typer.exceptions.TyperException as exc:  # usage errors from the parser
        message = " ".join(exc.format_message().split())
        sys.stderr.write(f"combien: error: {message} (see combien --help)\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"combien: error: {exc.strerror or exc}{where}\n")
        return 2
    except Exception as exc:  # a store that cannot be opened, or a bug: still one line
        import sqlite3

        if isinstance(exc, sqlite3.Error):
            sys.stderr.write(
                f"combien: error: the run store cannot be used ({exc}) — check --db or COMBIEN_DB\n"
            )
            return 2
        sys.stderr.write(
            f"combien: internal error: {type(exc).__name__}: {exc} — please report it\n"
        )
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
