"""Training compute and time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from combien.units import HOURS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from combien.units import Q


def training_flop(active_params: Q, tokens: Q, flop_per_param_token: float) -> Q:
    """Training compute C = k · N · D (FLOP); k = 6 (Kaplan et al. 2020), N = active parameters."""
    return flop_per_param_token * active_params * tokens


def chip_hours_from_flop(flop: Q, peak_flops: Q, mfu: Q) -> Q:
    """Accelerator-hours = C / (peak FLOP/s × MFU × 3600) (Epoch AI `estimate_chip_hours`)."""
    return flop / (peak_flops * mfu * SECONDS_PER_HOUR)


def implied_mfu(flop: Q, chip_hours: Q, peak_flops: Q) -> Q:
    """MFU implied by a compute and a time: C / (chip-hours × 3600 × peak FLOP/s)."""
    return flop / (chip_hours * SECONDS_PER_HOUR * peak_flops)


def chip_hours_from_days(chips: Q, days: Q) -> Q:
    """Accelerator-hours = chips × days × 24."""
    return chips * days * HOURS_PER_DAY


def wall_hours(chip_hours: Q, chips: Q) -> Q:
    """Wall-clock hours = accelerator-hours / chips."""
    return chip_hours / chips
