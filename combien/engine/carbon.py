"""Carbon: operational (location-based) and embodied (manufacturing, amortised)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from combien.units import kg_from_g

if TYPE_CHECKING:
    from combien.units import Q


def operational_co2e_kg(facility_kwh: Q, grid_gco2e_per_kwh: Q) -> Q:
    """Operational emissions (kgCO2e) = facility energy × grid carbon intensity."""
    return kg_from_g(facility_kwh * grid_gco2e_per_kwh)


def embodied_co2e_kg(
    chip_hours: Q, embodied_kgco2e_per_chip: Q, lifetime_years: Q, hours_per_year: float
) -> Q:
    """Embodied emissions (kgCO2e) = per-accelerator footprint × accelerator-hours / service life.

    Equivalent to chips × footprint × (run time / service life) (LLMCarbon, Boavizta).
    """
    life_h = lifetime_years * hours_per_year
    return embodied_kgco2e_per_chip * chip_hours / life_h
