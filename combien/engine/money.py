"""Money: cloud rental, ownership (Epoch AI's amortised capex + energy), upfront purchase."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from combien.units import Q


def cloud_cost_usd(chip_hours: Q, price_usd_per_hour: Q) -> Q:
    """Cloud cost (USD) = accelerator-hours × price per accelerator-hour."""
    return chip_hours * price_usd_per_hour


def energy_cost_usd(facility_kwh: Q, price_usd_per_kwh: Q) -> Q:
    """Energy cost (USD) = facility energy × electricity price."""
    return facility_kwh * price_usd_per_kwh


def depreciation_per_year(price_performance_ooms_per_year: Q) -> Q:
    """Depreciation rate (1/yr) = OOM/yr × ln 10 (Epoch AI: 0.14 OOM/yr → 0.3224/yr)."""
    return price_performance_ooms_per_year * math.log(10)


def price_at_start(price_usd: Q, years_since_price: float, ooms_per_year: Q) -> Q:
    """Hardware value at training start = price × 10^(−OOM/yr × years since the price date)."""
    return price_usd * 10 ** (-ooms_per_year * years_since_price)


def cluster_cost_usd(server_cost_usd: Q, interconnect_fraction: Q) -> Q:
    """Cluster cost = server cost / (1 − interconnect share of the cluster cost)."""
    return server_cost_usd / (1 - interconnect_fraction)


def amortized_hardware_usd(
    chip_hours: Q,
    server_price_usd: Q,
    depreciation_rate: Q,
    hours_per_year: float,
    interconnect_fraction: Q,
) -> Q:
    """Amortised hardware capex (USD) over the run, Epoch AI method A.

    = price × depreciation/yr ÷ hours/yr × accelerator-hours ÷ (1 − interconnect fraction)
    """
    per_hour = server_price_usd * depreciation_rate / hours_per_year
    return cluster_cost_usd(per_hour * chip_hours, interconnect_fraction)


def upfront_hardware_usd(chips: Q, server_price_usd: Q, interconnect_fraction: Q) -> Q:
    """Upfront cluster purchase (USD) = chips × server price ÷ (1 − interconnect fraction)."""
    return cluster_cost_usd(chips * server_price_usd, interconnect_fraction)
