"""estimate(): a TrainingRun → Assumptions → engine (central + Monte Carlo) → Bill."""

from __future__ import annotations

from typing import Any

from combien.engine import evaluate
from combien.engine.uncertainty import Spread, draw, interval
from combien.provenance import Assumptions, Caveat
from combien.resolve.compute import resolve
from combien.resolve.spec import TrainingRun
from combien.results.bill import Bill, Line

_NULL_REASONS = {
    "energy_kwh": "facility energy needs the chip-hours and the hardware, or --it-energy-kwh",
    "co2e_embodied_kg": "embodied carbon needs the chip-hours and the hardware; the total is "
    "operational only",
    "cost_cloud_usd": "cloud cost needs the chip-hours and a price per chip-hour",
    "cost_ownership_usd": "ownership cost needs the chip-hours and a hardware price",
    "cost_hardware_capex_usd": "upfront hardware cost needs the number of chips "
    "(--chips, or --days with the compute)",
}


def estimate(run: TrainingRun | None = None, **fields: Any) -> Bill:
    """The bill of a training run.

    >>> bill = estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384,
    ...                 location="US-IA")
    """
    if run is None:
        run = TrainingRun.parse(fields)
    elif fields:
        run = run.merged(**fields)
    return bill_from(resolve(run), samples=run.samples, seed=run.seed)


def bill_from(assumptions: Assumptions, *, samples: int, seed: int) -> Bill:
    """Evaluate assumptions at their central values and over Monte Carlo samples."""
    central = evaluate(assumptions.central())
    spreads = {
        name: Spread(a.value, a.low, a.high, a.upper_bound)  # type: ignore[arg-type]
        for name, a in assumptions.values.items()
        if a.uncertain
    }
    x: dict[str, Any] = assumptions.central()
    x.update(draw(spreads, samples, seed))
    sampled = evaluate(x)

    def line(name: str) -> Line | None:
        if name not in central:
            return None
        low, high = interval(sampled[name])
        return Line(float(central[name]), low, high)

    warnings = list(assumptions.warnings)
    for name, reason in _NULL_REASONS.items():
        if name not in central:
            warnings.append(Caveat(f"null-{name}", f"{name} not computed: {reason}"))
    extra: dict[str, Any] = {}
    if "heat_recoverable_kwh" in central:
        extra["heat"] = {
            "recoverable_kwh": line("heat_recoverable_kwh").to_dict(),  # type: ignore[union-attr]
            "homes_year_equivalent": line("heat_homes_year").to_dict(),  # type: ignore[union-attr]
        }
    if "compute_factor" in assumptions.values:
        extra["scenario"] = {"compute_factor": assumptions.values["compute_factor"].value}
    return Bill(
        extra=extra,
        inputs=dict(assumptions.values),
        flop=float(central["flop"]) if "flop" in central else None,
        chip_hours=line("chip_hours"),
        wall_hours=line("wall_hours"),
        energy_kwh=line("energy_kwh"),
        it_energy_kwh=line("it_energy_kwh"),
        co2e_operational_kg=line("co2e_operational_kg"),
        co2e_embodied_kg=line("co2e_embodied_kg"),
        co2e_total_kg=line("co2e_total_kg"),
        water_onsite_l=line("water_onsite_l"),
        water_offsite_l=line("water_offsite_l"),
        water_total_l=line("water_total_l"),
        cost_cloud_usd=line("cost_cloud_usd"),
        cost_ownership_usd=line("cost_ownership_usd"),
        cost_energy_usd=line("cost_energy_usd"),
        cost_hardware_capex_usd=line("cost_hardware_capex_usd"),
        labels=dict(assumptions.labels),
        warnings=tuple(warnings),
        samples=samples,
        seed=seed,
    )
