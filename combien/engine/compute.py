"""Training compute and time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from combien.units import HOURS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from combien.units import Q


def training_flop(active_params: Q, tokens: Q, flop_per_param_token: float) -> Q:
    """Training compute C = k · N · D (FLOP); k = 6 (Kaplan et al. 2020), N = active parameters."""
    return flop_per_param_token * active_params * tokens


def chip_hours_from_flop(flop: Q, peak_flops: Q, mfu: Q, goodput: Q) -> Q:
    """Accelerator-hours = C / (peak FLOP/s × MFU × goodput × 3600) (Epoch AI
    `estimate_chip_hours`, with the share of wall-clock time spent training: restarts, failures
    and evaluation stretch the time a compute takes)."""
    return flop / (peak_flops * mfu * goodput * SECONDS_PER_HOUR)


def implied_mfu(flop: Q, chip_hours: Q, peak_flops: Q) -> Q:
    """MFU implied by a compute and a time: C / (chip-hours × 3600 × peak FLOP/s)."""
    return flop / (chip_hours * SECONDS_PER_HOUR * peak_flops)


def chip_hours_from_days(chips: Q, days: Q) -> Q:
    """Accelerator-hours = chips × days × 24."""
    return chips * days * HOURS_PER_DAY


def wall_hours(chip_hours: Q, chips: Q) -> Q:
    """Wall-clock hours = accelerator-hours / chips."""
    return chip_hours / chips


def precision_mfu(mfu_bf16: Q, peak_bf16: Q, peak_precision: Q, throughput_gain: Q) -> Q:
    """MFU relative to another precision's peak: MFU_p = MFU_bf16 × gain × peak_bf16 / peak_p,
    where gain is the throughput that precision achieves over bf16 in real runs (fp8: far less
    than its doubled peak)."""
    return mfu_bf16 * throughput_gain * peak_bf16 / peak_precision


def log_linear_mfu(
    intercept: float, coefficients: Sequence[float], terms: Sequence[float]
) -> float:
    """MFU = exp(intercept + Σ coefficient × centred term) (the fitted MFU model)."""
    return float(np.exp(intercept + np.dot(coefficients, terms)))


def fit_log_linear(terms: np.ndarray, mfu: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares of log(MFU) on centred terms (one column per term, first the intercept's
    ones): the coefficients and the residual standard deviation (n − p degrees of freedom)."""
    y = np.log(mfu)
    coefficients, *_ = np.linalg.lstsq(terms, y, rcond=None)
    residuals = y - terms @ coefficients
    dof = max(len(y) - terms.shape[1], 1)
    return coefficients, float(np.sqrt(residuals @ residuals / dof))
