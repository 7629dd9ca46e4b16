"""Energy: accelerator → IT (server) → facility."""

from __future__ import annotations

from typing import TYPE_CHECKING

from combien.units import kw

if TYPE_CHECKING:
    from combien.units import Q


def average_chip_power_w(tdp_w: Q, power_fraction: Q) -> Q:
    """Average power per accelerator during the run (W) = TDP × average power fraction."""
    return tdp_w * power_fraction


def accelerator_energy_kwh(chip_hours: Q, chip_power_w: Q) -> Q:
    """Accelerator energy (kWh) = accelerator-hours × average power per accelerator (kW)."""
    return chip_hours * kw(chip_power_w)


def it_energy_kwh(accelerator_kwh: Q, server_overhead: Q) -> Q:
    """IT energy (kWh) = accelerator energy × server overhead (host CPUs, memory, network, fans)."""
    return accelerator_kwh * server_overhead


def facility_energy_kwh(it_kwh: Q, pue: Q) -> Q:
    """Facility energy (kWh) = IT energy × PUE (cooling, power distribution, lighting)."""
    return it_kwh * pue


def recoverable_heat_kwh(it_kwh: Q, reuse_fraction: Q) -> Q:
    """Heat that can be recovered (kWh): IT energy (all of which ends as heat) × reused share."""
    return it_kwh * reuse_fraction
