"""A judged claim and the set of them: JSON (`combien.claims/1`), markdown and a table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from combien.errors import UnknownNameError
from combien.field.claims.rules import CONSISTENT, NOT, PARTLY, ClaimRule
from combien.results.document import JSON, dumps, markdown_table, records_csv
from combien.units import count

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.claims/1"


@dataclass(frozen=True)
class Finding:
    """What combien computes for a claim: value and range, assumptions, a one-line reason."""

    range: tuple[float, float, float]  # value, low, high
    unit: str
    assumptions: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Claim:
    """A claim, combien's computation for it and the verdict of its rule."""

    rule: ClaimRule
    value: float
    low: float
    high: float
    unit: str
    assumptions: tuple[str, ...]
    verdict: str
    reason: str
    #: (value, low, high) the rule was applied to: the computed range, or a published fact
    checked: tuple[float, float, float]

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def claim(self) -> str:
        return self.rule.claim

    def to_dict(self) -> JSON:
        r = self.rule
        value, low, high = self.checked
        return {
            "id": self.id,
            "claim": self.claim,
            "computed": {
                "value": self.value,
                "low": self.low,
                "high": self.high,
                "unit": self.unit,
            },
            "assumptions": list(self.assumptions),
            "verdict": self.verdict,
            "reason": self.reason,
            "stated": {
                "low": r.stated_low,
                "high": r.stated_high,
                "unit": r.unit,
                "basis": r.basis or None,
                "source": f"facts:{r.stated_fact}" if r.stated_fact else f"claims:{r.id}",
            },
            "rule": {
                "type": r.rule,
                "tolerance": r.tolerance,
                "partly_within": r.partly_within,
                "checked_against": r.checked_against,
                "checked_basis": r.checked_basis or None,
                "checked": {"value": value, "low": low, "high": high},
            },
        }


def computed_text(c: Claim) -> str:
    def fmt(x: float) -> str:
        if "year" in c.unit and 1900 < x < 2200:  # a calendar year, to a tenth
            return f"{x:.1f}"
        return f"{x:.3g}" if abs(x) < 1e4 else count(x)

    span = "" if c.low == c.high else f" [{fmt(c.low)}–{fmt(c.high)}]"
    return f"{fmt(c.value)}{span} {c.unit}"


_HEADER = ("id", "the article says", "combien computes", "verdict", "why")
_COLOURS = {CONSISTENT: "green", PARTLY: "yellow", NOT: "red"}


@dataclass(frozen=True)
class ClaimSet:
    """The claims checked, in claims.csv order: schema `combien.claims/1`."""

    claims: tuple[Claim, ...]

    def __iter__(self) -> Iterator[Claim]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def get(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise UnknownNameError("claim", claim_id, [c.id for c in self.claims if claim_id in c.id])

    def to_dict(self) -> JSON:
        return {"schema": SCHEMA, "claims": [c.to_dict() for c in self.claims]}

    def to_csv(self) -> str:
        """One row per claim."""
        return records_csv([c.to_dict() for c in self.claims])

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def to_markdown(self) -> str:
        rows = [(c.id, c.claim, computed_text(c), c.verdict, c.reason) for c in self.claims]
        out = [
            "## The article's claims, recomputed by combien",
            "",
            *markdown_table(_HEADER, rows, numeric_from=len(_HEADER)),
            "",
        ]
        for c in self.claims:
            out += [f"### {c.id}", "", *(f"- {a}" for a in c.assumptions), ""]
        return "\n".join(out)

    def to_table(self) -> RenderableType:
        from rich.table import Table

        # long words (ids, ranges) fold onto the next line rather than being cut
        table = Table(
            title="combien — the article's claims, recomputed",
            title_justify="left",
            show_lines=True,
        )
        for column in _HEADER:
            table.add_column(column, overflow="fold")
        for c in self.claims:
            verdict = f"[{_COLOURS[c.verdict]}]{c.verdict}[/]"
            table.add_row(c.id, c.claim, computed_text(c), verdict, c.reason)
        return table
