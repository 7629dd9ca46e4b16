"""The rules that judge a claim, and the rows of claims.csv that hold them (see the package's
docstring for what each rule says)."""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

from combien.data import catalog
from combien.errors import DataError

CONSISTENT, PARTLY, NOT = "consistent", "partly consistent", "not consistent"
VERDICTS = (CONSISTENT, PARTLY, NOT)


@dataclass(frozen=True)
class ClaimRule:
    """A row of claims.csv: what the article states, on which basis, and how to judge it."""

    id: str
    claim: str
    stated_low: float
    stated_high: float
    stated_fact: str
    unit: str
    basis: str
    rule: str
    tolerance: float
    partly_within: float | None
    checked_against: str
    checked_basis: str
    source: str
    as_of: str
    notes: str = ""


def _overlap(rule: ClaimRule, value: float, low: float, high: float) -> str:
    stated_low, stated_high = rule.stated_low - rule.tolerance, rule.stated_high + rule.tolerance
    if stated_low <= high and low <= stated_high:
        return CONSISTENT
    factor = rule.partly_within or 1.0
    if stated_low <= factor * high and low <= factor * stated_high:
        return PARTLY
    return NOT


def _more_than(rule: ClaimRule, value: float, low: float, high: float) -> str:
    threshold = rule.stated_low - rule.tolerance
    return CONSISTENT if value > threshold else PARTLY if high > threshold else NOT


def _less_than(rule: ClaimRule, value: float, low: float, high: float) -> str:
    threshold = rule.stated_high + rule.tolerance
    return CONSISTENT if value < threshold else PARTLY if low < threshold else NOT


RULES: dict[str, Callable[[ClaimRule, float, float, float], str]] = {
    "overlap": _overlap,
    "more-than": _more_than,
    "less-than": _less_than,
}


def judge(rule: ClaimRule, value: float, low: float, high: float) -> str:
    """The verdict of `rule` on a checked value and its range (see the module docstring)."""
    verdict = RULES[rule.rule](rule, value, low, high)
    if verdict == CONSISTENT and rule.basis != rule.checked_basis:
        return PARTLY
    return verdict


@functools.cache
def rules() -> tuple[ClaimRule, ...]:
    """Every row of claims.csv, in order."""
    with open(os.path.join(catalog.DATA_DIR, "claims.csv"), encoding="utf-8", newline="") as fh:
        return tuple(_rule(row, f"claims.csv:{n}") for n, row in enumerate(csv.DictReader(fh), 2))


def _rule(row: dict[str, str], where: str) -> ClaimRule:
    def number(name: str) -> float | None:
        text = row[name].strip()
        try:
            return float(text) if text else None
        except ValueError:
            raise DataError(f"{where}:{name}: {text!r} is not a number") from None

    low, high = number("stated_low"), number("stated_high")
    if row["stated_fact"]:
        fact = catalog.fact(row["stated_fact"])
        low, high = fact_range(fact)[1:]
    against = row["checked_against"]
    if against != "computed":
        catalog.fact(against.removeprefix("facts:"))  # fails on an unknown fact
    tolerance, within = number("tolerance"), number("partly_within")
    problems = {
        "stated_low/stated_high (or stated_fact) missing or reversed": (
            low is None or high is None or low > high
        ),
        f"rule {row['rule']!r} is none of {', '.join(RULES)}": row["rule"] not in RULES,
        "tolerance missing or negative": tolerance is None or tolerance < 0,
        "overlap needs partly_within ≥ 1": (
            row["rule"] == "overlap" and (within is None or within < 1)
        ),
        "checked_against is neither 'computed' nor 'facts:<id>'": (
            against != "computed" and not against.startswith("facts:")
        ),
        "basis and checked_basis go together": bool(row["basis"]) != bool(row["checked_basis"]),
        "no source or as_of": not row["source"] or not row["as_of"],
    }
    wrong = [problem for problem, found in problems.items() if found]
    if wrong or low is None or high is None or tolerance is None:
        raise DataError(f"{where}: " + "; ".join(wrong) + " (see data/README.md)")
    return ClaimRule(
        id=row["id"],
        claim=row["claim"],
        stated_low=low,
        stated_high=high,
        stated_fact=row["stated_fact"],
        unit=row["unit"],
        basis=row["basis"],
        rule=row["rule"],
        tolerance=tolerance,
        partly_within=within,
        checked_against=against,
        checked_basis=row["checked_basis"],
        source=row["source"],
        as_of=row["as_of"],
        notes=row.get("notes", ""),
    )


def fact_range(fact: catalog.Fact) -> tuple[float, float, float]:
    low = fact.low if fact.low is not None else fact.value
    high = fact.high if fact.high is not None else fact.value
    return fact.value, low, high
