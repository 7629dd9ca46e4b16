"""`combien estimate` and `combien lifecycle`: the bill of a training run, and of a model's life."""

from __future__ import annotations

from typing import Annotated

import typer

from combien.cli._app import (
    _H,
    _M,
    _P,
    _W,
    _X,
    ActiveParamsOpt,
    CommitmentOpt,
    EwifOpt,
    FacilityOpt,
    Format,
    FormatOpt,
    GridOpt,
    LocationOpt,
    ModelOpt,
    ParamsOpt,
    PriceHourOpt,
    PriceKwhOpt,
    ProviderOpt,
    PueOpt,
    SamplesOpt,
    SeedOpt,
    SpecOpt,
    WueOpt,
    _emit,
    _emit_bill,
    _opt,
    app,
)
from combien.errors import InputError


@app.command()
def estimate(
    model: ModelOpt = None,
    params: ParamsOpt = None,
    active_params: ActiveParamsOpt = None,
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
    output_format: FormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Estimate the bill of a training run: compute, time, energy, carbon, water, dollars."""
    from combien.resolve.spec import TrainingRun
    from combien.training.estimate import estimate as run_estimate

    flags = {
        k: v
        for k, v in locals().items()
        if k not in {"spec", "output_format", "run_estimate", "TrainingRun"} and v is not None
    }
    run = TrainingRun.from_yaml(spec).merged(**flags) if spec else TrainingRun.parse(flags)
    bill = run_estimate(run)
    _emit_bill(bill, output_format)


@app.command()
def lifecycle(
    model: ModelOpt = None,
    params: ParamsOpt = None,
    active_params: ActiveParamsOpt = None,
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
    output_format: FormatOpt = Format.table,
) -> None:
    """A model's whole life: the training bill, then months of serving; when serving overtakes."""
    from combien.field.lifecycle import lifecycle as run_lifecycle
    from combien.resolve.spec import InferenceRun, TrainingRun

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
    _emit(result, output_format, result.to_json, "lifecycle")
