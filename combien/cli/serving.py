"""`combien infer`: the cost of serving a model."""

from __future__ import annotations

from typing import Annotated

from combien.cli._app import (
    _H,
    _M,
    _W,
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
    _opt,
    _yaml_mapping,
    app,
)


@app.command()
def infer(
    model: ModelOpt = None,
    params: ParamsOpt = None,
    active_params: ActiveParamsOpt = None,
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
    output_format: FormatOpt = Format.table,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
) -> None:
    """The cost of serving a model: per request, per 1,000, per day and per year."""
    from combien.resolve.spec import InferenceRun
    from combien.serving.infer import infer as run_infer

    flags = {
        k: v
        for k, v in locals().items()
        if k not in {"spec", "output_format", "run_infer", "InferenceRun"} and v is not None
    }
    data = _yaml_mapping(spec) if spec else {}
    bill = run_infer(InferenceRun.parse({**data, **flags}))
    _emit(bill, output_format, bill.to_json, "inference")
