"""The article's claims, each recomputed from first principles and judged by a rule held as data.

`combien/data/claims.csv` has one row per claim, in the order of the article's claims list: what
the article states (an interval; for a context row, the published figure it relies on), its
unit, its basis (the quantity, baseline or scope the figure is about), and the rule that judges
it, with its tolerance. A small function here computes combien's range for each claim over the
public API (`estimate`, `infer`, `trends`, `sector`, the catalog); the verdict is the row's rule
applied to that range — or, for a fact check, to the published fact the row names:

- `overlap`: *consistent* when the stated interval, widened by the tolerance, overlaps the
  checked range; *partly consistent* when they are within a factor `partly_within` of each
  other; *not consistent* otherwise.
- `more-than` ("more than X"): *consistent* when the checked value exceeds X − tolerance;
  *partly consistent* when only the high end of its range does; *not consistent* otherwise.
- `less-than` ("by X"): *consistent* when the checked value is below X + tolerance; *partly
  consistent* when only the low end of its range is; *not consistent* otherwise.

A figure that holds for another quantity, baseline or scope than the article's (`basis` differs
from `checked_basis`) is at best *partly consistent*.
"""

from combien.field.claims.checks import CHECKS, check_claims
from combien.field.claims.results import SCHEMA, Claim, ClaimSet, Finding
from combien.field.claims.rules import (
    CONSISTENT,
    NOT,
    PARTLY,
    RULES,
    VERDICTS,
    ClaimRule,
    judge,
    rules,
)

__all__ = [
    "CHECKS",
    "CONSISTENT",
    "NOT",
    "PARTLY",
    "RULES",
    "SCHEMA",
    "VERDICTS",
    "Claim",
    "ClaimRule",
    "ClaimSet",
    "Finding",
    "check_claims",
    "judge",
    "rules",
]
