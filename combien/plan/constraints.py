"""What a plan must meet, and what it may use: the deadline, budget, chip count, CO2e and water
limits (each read and bounded like an input field), and the lists that restrict the search."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from combien.data import catalog
from combien.errors import InputError
from combien.fields import INPUTS, Field
from combien.plan.names import id_list, split
from combien.provenance import Caveat
from combien.resolve.spec import TrainingRun
from combien.units import HOURS_PER_DAY, parse_date

PANEL = "constraints"

#: the limits of a plan: input fields of `combien.fields` (number syntax, bounds, errors)
LIMITS = {name: INPUTS[name] for name in ("deadline", "budget", "max_chips", "co2e_max",
                                          "water_max")}  # fmt: skip
# fmt: off
#: the lists that restrict the search, and the field that reads each item
RESTRICTIONS = {
    "hardware": ("hardware", "Accelerators to consider, e.g. h100-sxm,b200."),
    "locations": ("location", "Places to consider: FR, US-VA, aws:us-east-1 (a country "
                  "admits its states and cloud regions)."),
    "providers": ("provider", "Providers to consider: aws, gcp, azure, lambda, ..., or owned."),
    "facilities": ("facility", "Facility presets for owned chips: hyperscale, enterprise, "
                   "air-cooled, evaporative, dlc."),
    "commitments": ("commitment", "Cloud commitments: on-demand, 1y, 3y."),
}
# fmt: on


@dataclass(frozen=True)
class Restrictions:
    """What the user allows (None: everything the catalog has)."""

    hardware: tuple[str, ...] | None = None
    locations: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    facilities: tuple[str, ...] | None = None
    commitments: tuple[str, ...] | None = None


#: fields of a run that a plan takes as they are: the work, and how it is counted
WORK = ("model", "params", "active_params", "tokens", "flop")
METHOD = (
    "mfu",
    "goodput",
    "precision",
    "power_fraction",
    "server_overhead",
    "convention",
    "start",
    "price_kwh",
    "efficiency",
    "efficiency_overhead",
)


def plan_fields() -> tuple[str, ...]:
    """The run fields a plan takes (those of WORK and METHOD that the spec has)."""
    return tuple(n for n in (*WORK, *METHOD) if n in INPUTS and n in TrainingRun.attributes())


@dataclass(frozen=True)
class Limits:
    """The limits in canonical units (None: no limit)."""

    deadline_hours: float | None = None
    budget_usd: float | None = None
    max_chips: float | None = None
    co2e_max_kg: float | None = None
    water_max_l: float | None = None
    deadline_text: str = ""


def limits(
    *,
    deadline: object = None,
    budget: object = None,
    max_chips: object = None,
    co2e_max: object = None,
    water_max: object = None,
    today: date | None = None,
) -> Limits:
    """Parse and check the limits (one-line InputError naming the flag otherwise)."""
    number = {
        name: None if value is None else LIMITS[name].parse(value)
        for name, value in (
            ("budget", budget),
            ("max_chips", max_chips),
            ("co2e_max", co2e_max),
            ("water_max", water_max),
        )
    }
    hours = None if deadline is None else deadline_hours(deadline, today or date.today())
    return Limits(
        hours,
        number["budget"],  # type: ignore[arg-type]
        number["max_chips"],  # type: ignore[arg-type]
        number["co2e_max"],  # type: ignore[arg-type]
        number["water_max"],  # type: ignore[arg-type]
        "" if deadline is None else str(deadline),
    )


def deadline_hours(value: object, today: date) -> float:
    """Hours until the deadline: a duration ('120d') or a date ('2027-06', '2027-06-01')."""
    text = str(value).strip()
    if isinstance(value, date) or (len(text) >= 7 and text[4:5] == "-"):
        try:
            when = value if isinstance(value, date) else parse_date(text)
        except ValueError:
            raise InputError(
                f"--deadline: cannot read {text!r} — use a duration (120d) or a date (YYYY-MM-DD)",
                field="deadline",
            ) from None
        days = (when - today).days
        if days <= 0:
            raise InputError(
                f"--deadline {text} is not after today ({today.isoformat()})", field="deadline"
            )
        return days * HOURS_PER_DAY
    duration = Field("deadline", "d", "duration", "", PANEL).parse(value)
    assert isinstance(duration, float)
    return duration * HOURS_PER_DAY


def chip_counts(max_chips: float | None) -> list[float]:
    """Powers of two up to the limit (and the limit itself); by default up to the largest
    cluster of a published run (models.csv)."""
    top = max_chips or max(m.chips or 0 for m in catalog.models())
    counts = [2.0**k for k in range(int(math.log2(top)) + 1)]
    if counts[-1] != top and max_chips is not None:
        counts.append(float(top))
    return counts


def restrictions(
    **lists: str | Sequence[str] | None,
) -> tuple[Restrictions, list[Caveat]]:
    """The restricting lists as catalog ids (repeats counted once, with a warning; every unknown
    item named, with suggestions, in one error)."""
    out: dict[str, tuple[str, ...]] = {}
    warnings: list[Caveat] = []
    for name, value in lists.items():
        if value is None:
            continue
        field, _ = RESTRICTIONS[name]
        option = "--" + name
        items = split(value)
        if not items:
            raise InputError(f"{option}: empty list", field=name)
        ids, repeats = id_list(field, items, option)
        warnings += repeats
        out[name] = tuple(ids)
    return Restrictions(**out), warnings
