"""Rules for input numbers, shared by the spec (pydantic) and the tracker (kept light)."""

from __future__ import annotations

from typing import Any

from combien.errors import InputError
from combien.units import parse_number

POSITIVE = (
    "params",
    "active_params",
    "tokens",
    "flop",
    "chip_hours",
    "chips",
    "chip_power_w",
    "it_energy_kwh",
    "tokens_out",
    "batch",
    "gpus",
    "request_energy_kwh",
    "months",
    "efficiency",
    "servers",
    "server_kw_low",
    "server_kw_high",
)
NON_NEGATIVE = (
    "dc_capex",
    "ai_revenue",
    "efficiency_overhead",
    "grid",
    "ewif",
    "wue",
    "price_hour",
    "price_kwh",
    "tokens_in",
    "requests_per_day",
    "rps",
)
FRACTIONS = ("mfu", "power_fraction", "utilisation", "heat_reuse")
AT_LEAST_ONE = ("pue", "server_overhead")
#: the numeric fields of a training run (TrainingRun) and of site options (Tracker)
NUMBERS = (
    "params",
    "active_params",
    "tokens",
    "flop",
    "chip_hours",
    "chips",
    "chip_power_w",
    "it_energy_kwh",
    "grid",
    "ewif",
    "wue",
    "price_hour",
    "price_kwh",
    "mfu",
    "power_fraction",
    "pue",
    "server_overhead",
)


#: what says where and how a job runs: the keys that turn energy into carbon, water and dollars
SITE_KEYS = (
    "hardware",
    "location",
    "facility",
    "pue",
    "wue",
    "grid",
    "ewif",
    "price_hour",
    "price_kwh",
    "provider",
    "commitment",
)


def flag(field: str) -> str:
    """The CLI flag of a field: chip_hours → --chip-hours."""
    return "--" + field.replace("_", "-")


def number(field: str, value: Any) -> float:
    """Parse and range-check the value of a numeric field; one-line InputError otherwise."""
    name = flag(field)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{name}: expected a number, got {value!r}", field=field)
    result = parse_number(value, name=name)
    if field in POSITIVE and result <= 0:
        raise InputError(f"{name} must be greater than 0 (got {value})", field=field)
    if field in NON_NEGATIVE and result < 0:
        raise InputError(f"{name} cannot be negative (got {value})", field=field)
    if field in FRACTIONS and not 0 < result <= 1:
        raise InputError(f"{name} must be in (0, 1] (got {value}) — e.g. 0.4 for 40%", field=field)
    if field in AT_LEAST_ONE and result < 1:
        raise InputError(f"{name} must be at least 1 (got {value})", field=field)
    return result
