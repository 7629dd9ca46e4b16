"""Water: on-site (cooling) and off-site (electricity generation), after Li et al. 2023."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from combien.units import Q


def onsite_water_l(it_kwh: Q, wue_l_per_kwh: Q) -> Q:
    """On-site water (L) = IT energy × WUE (Li et al. 2023, arXiv:2304.03271, scope 1)."""
    return it_kwh * wue_l_per_kwh


def offsite_water_l(facility_kwh: Q, ewif_l_per_kwh: Q) -> Q:
    """Off-site water (L) = facility energy × EWIF (= IT × PUE × EWIF; Li et al. 2023, scope 2)."""
    return facility_kwh * ewif_l_per_kwh
