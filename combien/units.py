"""Parsing and formatting of quantities — the only place where units are converted.

Canonical units inside combien: FLOP, FLOP/s, hours, kWh, kgCO2e, litres, USD. Inputs from users
("70B", "1.5e12", "15T", "3.2M", "90d", "2160h") are parsed here; display formatting too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from combien.errors import InputError

if TYPE_CHECKING:
    import numpy as np

# A quantity in the engine: a point value, or a numpy array of Monte Carlo samples.
Q = TypeVar("Q", float, "np.ndarray")

#: the 95th percentile of a standard normal, statistics.NormalDist().inv_cdf(0.95), written out
#: so that the estimate does not import `statistics` (4 ms): a 90% range is ±Z95 σ
Z95 = 1.6448536269514715
W_PER_KW = 1_000.0
G_PER_KG = 1_000.0
HOURS_PER_DAY = 24.0
SECONDS_PER_HOUR = 3_600.0
J_PER_KWH = 3_600_000.0
MILLI = 1e-3
MICRO = 1e-6
BYTES_PER_GB = 1e9
BYTES_PER_TB = 1e12
KWH_PER_MWH = 1e3
SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.25  # a Julian year
KWH_PER_TWH = 1e9
M3_PER_L = 1e-3
#: bytes per stored value (a weight, a KV-cache entry) of each format, by definition of the
#: format; mxfp4 (OCP Microscaling Formats v1.0): 4-bit E2M1 elements in blocks of 32 sharing
#: one 8-bit E8M0 scale, (32 × 4 + 8) / 32 = 4.25 bits
BYTES_PER_PARAM = {
    "fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5,
    "mxfp4": 4.25 / 8,
}  # fmt: skip

_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]?)\s*$")
_DURATION = {
    "s": 1 / SECONDS_PER_HOUR,
    "m": 1 / 60,
    "h": 1.0,
    "d": HOURS_PER_DAY,
    "w": 7 * HOURS_PER_DAY,
    "y": 8_766.0,
}
_DURATION_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(min|[smhdwy]?)\s*$")
#: the most characters of a user's input that an error message repeats
ECHO_CHARS = 60


def median(values: Iterable[float]) -> float:
    """The median of some numbers (numpy's median imports numpy.ma, 12 ms, and `statistics`
    costs 4 ms: the estimate takes two medians of a few prices)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def echo(value: object, limit: int = ECHO_CHARS, *, quotes: bool = True) -> str:
    """A user's input as an error message repeats it: its repr (a string without its quotes
    if `quotes` is false, escapes kept, so always one line), cut to `limit` characters."""
    text = repr(value)
    if not quotes and isinstance(value, str):
        text = text[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def limit(value: float) -> str:
    """A bound as an error message writes it: 1e14, 0.001, 3653, 2.778e-4."""
    mantissa, _, exponent = f"{value:.4g}".partition("e")
    return mantissa + (f"e{int(exponent)}" if exponent else "")


def _finite(value: float, text: object, name: str) -> float:
    if not math.isfinite(value):
        raise _not_finite(text, name)
    return value


def _float(number: str | float | int, text: object, name: str) -> float:
    try:
        return float(number)
    except OverflowError:  # an int too large for a float
        raise _not_finite(text, name) from None


def _not_finite(text: object, name: str) -> InputError:
    message = f"{name}: {echo(text)} is not a finite number — check the exponent and the unit"
    return InputError(message, field=name)


def parse_number(
    text: str | float | int, *, name: str = "value", hint: str = "e.g. 70B, 1.5e12, 15T, 3.2M"
) -> float:
    """Parse '70B', '1.5e12', '15T', '3.2M', '0.4' into a float; `hint` says what to write
    instead of text that is no number.

    Suffixes: K=1e3, M=1e6, B/G=1e9, T=1e12, P=1e15 (case-insensitive, except that a lower-case
    'm' is refused to avoid milli/mega confusion; write exponents as 1e18).
    """
    if isinstance(text, bool):
        raise InputError(f"{name}: expected a number, got {text!r}", field=name)
    if isinstance(text, int | float):
        return _finite(_float(text, text, name), text, name)
    match = _NUMBER.match(str(text))
    if not match:
        raise InputError(
            f"{name}: cannot read {echo(text)} as a number — use {hint}",
            field=name,
        )
    number, suffix = match.groups()
    if suffix == "m":
        raise InputError(f"{name}: {echo(text)} is ambiguous — write M for million", field=name)
    if suffix.upper() not in _SUFFIX:
        raise InputError(
            f"{name}: unknown suffix {suffix!r} in {echo(text)} — use K, M, B, T or P",
            field=name,
        )
    return _finite(float(number) * _SUFFIX[suffix.upper()], text, name)


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD, or YYYY-MM for the first of that month (ValueError if not)."""
    return date.fromisoformat(text if len(text) > 7 else text + "-01")


def parse_hours(text: str | float | int, *, name: str = "duration") -> float:
    """Parse a duration into hours: '90d', '2160h', '3w', '45min', or a bare number of days."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return _finite(_float(text, text, name) * HOURS_PER_DAY, text, name)
    match = _DURATION_RE.match(str(text))
    if not match:
        raise InputError(
            f"{name}: cannot read {echo(text)} as a duration — use e.g. 90d, 2160h, 3w",
            field=name,
        )
    number, unit = match.groups()
    factor = 1 / 60 if unit == "min" else _DURATION[unit] if unit else HOURS_PER_DAY
    return _finite(float(number) * factor, text, name)


def kw(watts: Q) -> Q:
    """Watts → kilowatts (works on numpy arrays too)."""
    return watts / W_PER_KW


def kwh_from_j(joules: Q) -> Q:
    """Joules → kilowatt-hours."""
    return joules / J_PER_KWH


def j_from_kwh(kwh: Q) -> Q:
    """Kilowatt-hours → joules."""
    return kwh * J_PER_KWH


def t_from_kg(kg: Q) -> Q:
    """Kilograms → tonnes."""
    return kg / 1000.0


def kg_from_g(grams: Q) -> Q:
    """Grams → kilograms (works on numpy arrays too)."""
    return grams / G_PER_KG


_PREFIXES = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def si(value: float | None, unit: str = "", digits: int = 3) -> str:
    """Format with an SI prefix: si(1.287e6, 'Wh') → '1.29 MWh'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    for factor, prefix in _PREFIXES:
        if abs(value) >= factor:
            return f"{_sig(value / factor, digits)} {prefix}{unit}".rstrip()
    return f"{_sig(value, digits)} {unit}".rstrip()


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def count(value: float | None) -> str:
    """Compact count: 3.14e23 → '3.14e23', 16384 → '16,384', 7e10 → '70B'."""
    if value is None:
        return "—"
    if abs(value) >= 1e21:
        return f"{value:.3g}".replace("e+", "e")
    for factor, suffix in [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M")]:
        if abs(value) >= factor:
            return f"{_sig(value / factor, 3)}{suffix}"
    if value == int(value):
        return f"{int(value):,}"
    return _sig(value, 3) if abs(value) >= 0.01 else f"{value:.3g}"


def plural(value: float | None, noun: str) -> str:
    """A count and its noun, singular for one: plural(1, 'replica') → '1 replica',
    plural(86.4, 'request') → '86.4 requests'."""
    return f"{count(value)} {noun}{'' if value == 1 else 's'}"


def share(fraction: float) -> str:
    """A fraction as a percentage, small ones not rounded to nothing: 0.5 → '50%',
    2e-5 → '0.002%'."""
    if fraction == 0 or abs(fraction) >= 0.01:
        return f"{fraction:.0%}"
    return f"{fraction * 100:.2g}%"


def quantity(value: float | None, unit: str) -> str:
    """Human display of a quantity in its canonical unit: '33.0 GWh', '12,818 t', '8.85 ML',
    '$33,750', '78.4 d', '989 TFLOP/s', '700 W', '2028.6' (a calendar year)."""
    if value is None or math.isnan(value):
        return "—"
    if unit == "kWh":
        return si(value * W_PER_KW, "Wh")
    if unit == "kg":
        return _mass(value)
    if unit == "L":
        return f"{_sig(value * 1000, 3)} mL" if 0 < abs(value) < 1 else si(value, "L")
    if unit == "USD":
        return money(value)
    if unit.startswith("USD/"):
        return money(value) + unit[3:]
    if unit == "h":
        return _duration(value)
    if unit in ("FLOP/s", "W", "Wh", "B/s"):
        return si(value, unit)
    if unit == "year":
        return f"{value:.1f}"
    if unit in _COUNTED:
        return count(value)
    return f"{count(value)} {unit}"


#: units shown as a bare count: '405B' parameters, '16,384' chips, '0.750' of TDP
_COUNTED = frozenset({"", "parameters", "tokens", "count", "fraction", "×", "requests"})


def _mass(kg: float) -> str:
    if abs(kg) >= 1000:
        return f"{_sig(kg / 1000, 3)} t"
    if 0 < abs(kg) < 1:
        return f"{_sig(kg * 1000, 3)} g" if abs(kg) >= 1e-3 else f"{_sig(kg * 1e6, 3)} mg"
    return f"{_sig(kg, 3)} kg"


def _duration(hours: float) -> str:
    """'78.4 d', '12.0 h', '4.50 min', '0.706 s'."""
    if abs(hours) >= 48:
        return f"{_sig(hours / 24, 3)} d"
    if abs(hours) >= 1 or hours == 0:
        return f"{_sig(hours, 3)} h"
    if abs(hours) >= 1 / 60:
        return f"{_sig(hours * 60, 3)} min"
    return f"{_sig(hours * SECONDS_PER_HOUR, 3)} s"


def seconds(duration_s: float) -> str:
    """A duration given in seconds, as `quantity` shows hours: '0.170 s', '4.50 min', '12.0 h'
    (a run that lasted a fraction of a second does not read '0 s'; one just started, 0, does)."""
    return "0 s" if duration_s == 0 else _duration(duration_s / SECONDS_PER_HOUR)


def ratio(value: float) -> str:
    """A ratio to three significant digits: '1.00', '0.170', '0.00123', '1,234' (a small
    ratio is not rounded to '0.00')."""
    return _sig(value, 3)


def money(usd: float, *, thousands: bool = False) -> str:
    """Dollars: '$150M', '$1.41B', '$260k', '$33,750', '$4.86', '$0.000686' (whole dollars up
    to $100,000, as prices are quoted; `thousands`: '$72.9k' from $1,000, to match a range's
    other end)."""
    sign, usd = ("-" if usd < 0 else ""), abs(usd)
    if usd >= 1e6:
        return f"{sign}${count(usd)}"
    if usd >= 1e5 or (thousands and usd >= 1000):
        return f"{sign}${_sig(usd / 1e3, 3)}k"
    if usd >= 1000:
        return f"{sign}${usd:,.0f}"
    return f"{sign}${_sig(usd, 3)}"


def span(low: float | None, high: float | None, unit: str) -> str:
    """A range with its unit said once where both ends share it: '23.7–45.1 GWh',
    '8,360–17,079 t', '$61.8M–$382M'; one value when both ends print the same."""
    first, second = quantity(low, unit), quantity(high, unit)
    if unit == "USD" and low is not None and second.endswith("k"):
        first = money(low, thousands=True)  # '$72.9k–$260k', not '$72,908–$260k'
    if first == second:
        return first
    number, _, suffix = first.rpartition(" ")
    if number and second.endswith(" " + suffix):
        return f"{number}–{second}"
    return f"{first}–{second}"
