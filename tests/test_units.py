"""Units at the edges: parsing numbers and durations, and display."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from combien.errors import InputError
from combien.units import (
    count,
    parse_hours,
    parse_number,
    plural,
    quantity,
    ratio,
    seconds,
    share,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70B", 7e10),
        ("1.5e12", 1.5e12),
        ("15T", 1.5e13),
        ("3.2M", 3.2e6),
        ("0.4", 0.4),
        ("16384", 16384.0),
        ("2k", 2000.0),
        (" 7 b ", 7e9),
        (42, 42.0),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["70Q", "abc", "", "1e", "--3", "nan", "inf", "3m"])
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(InputError):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("90d", 2160.0),
        ("2160h", 2160.0),
        ("3w", 504.0),
        ("45min", 0.75),
        ("14.8", 355.2),
        (2, 48.0),
    ],
)
def test_parse_hours(text: str, hours: float) -> None:
    assert parse_hours(text) == pytest.approx(hours)


def test_parse_hours_refuses() -> None:
    with pytest.raises(InputError, match="duration"):
        parse_hours("ten days")


@settings(deadline=None, derandomize=True)  # no timing, the same examples on every run
@given(st.floats(min_value=1e-3, max_value=1e30, allow_nan=False))
def test_number_round_trip(x: float) -> None:
    assert parse_number(repr(x)) == x


def test_display() -> None:
    assert quantity(1_287_000, "kWh") == "1.29 GWh"
    assert quantity(552_100, "kg") == "552 t"
    assert quantity(5_576_000, "USD") == "$5.58M"
    assert quantity(708_000, "L") == "708 kL"
    assert count(3.14e23) == "3.14e23"
    assert count(16384) == "16,384"


def test_short_durations_and_small_ratios_keep_their_digits() -> None:
    assert seconds(0.17) == "0.170 s" and seconds(0.0042) == "0.00420 s"
    assert seconds(270) == "4.50 min" and seconds(7200) == "2.00 h"
    assert ratio(0.00123) == "0.00123" and ratio(1.0) == "1.00" and ratio(1234.5) == "1,234"


def test_counts_and_shares_in_words() -> None:
    assert (plural(1, "replica"), plural(8, "GPU"), plural(86.4, "request")) == (
        "1 replica",
        "8 GPUs",
        "86.4 requests",
    )
    # a small share is not rounded to nothing: 2e-5 of the time is not 0%
    assert (share(0.5), share(0), share(2e-5), share(0.0049)) == ("50%", "0%", "0.002%", "0.49%")

    assert plural(16384, "chip") == "16,384 chips" and plural(1, "chip-hour") == "1 chip-hour"


def test_z95_is_the_95th_percentile_of_a_standard_normal() -> None:
    from statistics import NormalDist

    from combien.units import Z95

    assert NormalDist().inv_cdf(0.95) == pytest.approx(Z95, abs=1e-12)


def test_a_run_just_started_reads_0_s() -> None:
    assert seconds(0) == "0 s" and seconds(0.17) == "0.170 s"
