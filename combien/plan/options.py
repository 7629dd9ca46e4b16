"""The Plan: the Pareto front of a search, schema `combien.plan/1`.

Each option says what it is (hardware, chips, place, provider, commitment), its wall-clock time,
cost, CO2e and water, each a central value and the 5th–95th percentile of its Monte Carlo
samples, whether it is on the front, and for which objective it is the best. `dropped` says why
the other configurations were left out, how many, and the closest of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from combien.plan.comparison import percent
from combien.plan.space import Placement
from combien.results.bill import Line
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.units import HOURS_PER_DAY, count, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.plan/1"
#: the objectives as the JSON names them, and their units
OBJECTIVE_UNITS = {"cost_usd": "USD", "co2e_kg": "kg", "water_l": "L", "wall_days": "d"}
#: how many options a table shows at most
TABLE_ROWS = 24
_BEST_WORDS = {
    "cost_usd": "cheapest",
    "co2e_kg": "lowest CO2e",
    "water_l": "least water",
    "wall_days": "fastest",
}


@dataclass(frozen=True)
class Option:
    """One configuration, with the Monte Carlo ranges of its objectives."""

    hardware: str
    chips: float
    placement: Placement
    cost_usd: Line
    co2e_kg: Line
    water_l: Line
    wall_hours: Line
    pareto: bool
    p_deadline: float | None = None
    p_budget: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def wall_days(self) -> Line:
        return self.wall_hours.scaled(1 / HOURS_PER_DAY)

    @property
    def cost_basis(self) -> str:
        if self.placement.owned:
            return "ownership (amortised hardware + energy)"
        return "cloud rental"

    def describe(self) -> str:
        """'2,048 × h100-sxm on aws (aws:us-east-1), 3-yr commitment, 96.7 days'."""
        days = self.wall_days.value
        return f"{count(self.chips)} × {self.hardware} {_on(self.placement)}, {days:,.1f} days"

    def objective(self, name: str) -> float:
        return float(getattr(self, name).value)

    def to_dict(self, number: int, best_for: list[str]) -> JSON:
        p = self.placement
        return {
            "id": number,
            "description": self.describe(),
            "hardware": self.hardware,
            "chips": self.chips,
            "location": p.location,
            "facility": p.facility,
            "provider": p.provider,
            "commitment": p.commitment,
            "cost_basis": self.cost_basis,
            "wall_days": self.wall_days.value,
            "wall_days_range": self.wall_days.to_dict(),
            "cost_usd": self.cost_usd.to_dict(),
            "co2e_kg": self.co2e_kg.to_dict(),
            "water_l": self.water_l.to_dict(),
            "p_meets_deadline": self.p_deadline,
            "p_within_budget": self.p_budget,
            "pareto": self.pareto,
            "best_for": best_for,
            "warnings": list(self.warnings),
        }


def _on(p: Placement) -> str:
    if p.owned:
        return f"owned in {p.location}, {p.facility} facility"
    where = f"on {p.location}" if p.location != "WORLD" else f"from {p.provider} (site unknown)"
    terms = {"on-demand": "on demand", "1y": "1-yr commitment", "3y": "3-yr commitment"}
    return f"{where}, {terms.get(str(p.commitment), p.commitment)}"


@dataclass(frozen=True)
class Dropped:
    """Configurations left out for one reason: how many, and the closest of them."""

    code: str
    reason: str
    configurations: int
    examples: tuple[str, ...] = ()

    def to_dict(self) -> JSON:
        return {
            "code": self.code,
            "reason": self.reason,
            "configurations": self.configurations,
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class Plan:
    """The options of a search (the front first), the best per objective, what was dropped."""

    options: tuple[Option, ...]
    best: dict[str, int]
    dropped: tuple[Dropped, ...]
    flop: float
    constraints: JSON
    searched: JSON
    samples: int
    seed: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def front(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.pareto)

    def best_option(self, objective: str) -> Option:
        """The best option for `cost_usd`, `co2e_kg`, `water_l` or `wall_days`."""
        return self.options[self.best[objective]]

    def best_for(self, index: int) -> list[str]:
        return [k for k, i in self.best.items() if i == index]

    def to_csv(self) -> str:
        """One row per option, the front first, as in the JSON."""
        return records_csv(self.to_dict()["options"])  # type: ignore[arg-type]

    def to_dict(self) -> JSON:
        return {
            "schema": SCHEMA,
            "work": {"flop": self.flop},
            "constraints": self.constraints,
            "searched": self.searched,
            "options": [o.to_dict(i, self.best_for(i)) for i, o in enumerate(self.options)],
            "best": {
                k: {"option": i, "description": self.options[i].describe()}
                for k, i in self.best.items()
            },
            "dropped": [d.to_dict() for d in self.dropped],
            "warnings": list(self.warnings),
            "uncertainty": {"samples": self.samples, "seed": self.seed, "interval": "p5-p95"},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    # ------------------------------------------------------------------ text

    def heading(self) -> str:
        searched = self.searched.get("configurations")
        limits = ", ".join(
            f"{k.replace('_', ' ')} {v}"
            for k, v in self.constraints.items()
            if v is not None and k in ("deadline", "budget_usd", "co2e_max_kg", "water_max_l")
        )
        return (
            f"combien — plan: {count(self.flop)} FLOP"
            + (f", {limits}" if limits else "")
            + f" · {count(float(searched or 0))} configurations searched"  # type: ignore[arg-type]
        )

    def shown(self) -> list[int]:
        """The options a table shows: the best ones, then the front and the rest by cost, up
        to TABLE_ROWS (JSON has them all)."""
        first = list(dict.fromkeys(self.best.values()))
        rest = [i for i in range(len(self.options)) if i not in first]
        return sorted(first + rest[: max(0, TABLE_ROWS - len(first))])

    def rows(self, sep: str = " ") -> list[list[str]]:
        """One row per shown option; `sep` separates a value from its range (a new line in a
        terminal table)."""
        out = []
        for i in self.shown():
            o = self.options[i]
            best = [_BEST_WORDS[k] for k in self.best_for(i)] or ([] if o.pareto else ["off front"])
            time = _cell(o.wall_hours, "h", sep)
            if o.p_deadline is not None:
                time += f"{sep}in time in {percent(o.p_deadline)}"
            out.append(
                [
                    str(i),
                    o.describe(),
                    _cell(o.cost_usd, "USD", sep),
                    _cell(o.co2e_kg, "kg", sep),
                    _cell(o.water_l, "L", sep),
                    time,
                    ", ".join(best),
                ]
            )
        return out

    HEADER = ("#", "option", "cost", "CO2e", "water", "wall-clock", "best")

    def dropped_lines(self) -> list[str]:
        out = []
        for d in self.dropped:
            example = f" (e.g. {d.examples[0]})" if d.examples else ""
            out.append(f"{d.configurations:,} dropped: {d.reason}{example}")
        return out

    def footnote(self) -> str:
        hidden = len(self.options) - len(self.shown())
        more = f"{hidden} more options in --format json. " if hidden else ""
        return more + (
            f"Ranges: 5th–95th percentile of {self.samples:,} Monte Carlo samples (seed "
            f"{self.seed}), for the options shown; the search itself reads central values."
        )

    def to_markdown(self) -> str:
        out = [f"## {self.heading()}", ""]
        out += markdown_table(self.HEADER, self.rows(), numeric_from=2, left=(6,))
        if self.dropped:
            out += ["", "### Dropped", ""] + [f"- {d}" for d in self.dropped_lines()]
        if self.warnings:
            out += ["", "### Warnings", ""] + [f"- {w}" for w in self.warnings]
        out += ["", self.footnote()]
        return "\n".join(out) + "\n"

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        # in a terminal the option's 'best for' sits under its description: seven columns of
        # ranges do not fit 80 characters
        rows = [
            [n, f"{option}\n→ {best}" if best else option, *cells]
            for n, option, *cells, best in self.rows("\n")
        ]
        parts: list[RenderableType] = [
            rich_table(self.heading(), self.HEADER[:-1], rows, numeric_from=2, show_lines=True)
        ]
        parts += [Text(f"- {d}", style="dim") for d in self.dropped_lines()]
        parts += [Text(f"! {w}", style="yellow") for w in self.warnings]
        parts.append(Text(self.footnote(), style="italic"))
        return Group(*parts)


def _cell(line: Line, unit: str, sep: str) -> str:
    """'$5.68M [$2.30M – $14.1M]', the range on its own line in a terminal."""
    low, high = quantity(line.low, unit), quantity(line.high, unit)
    return f"{quantity(line.value, unit)}{sep}[{low} – {high}]"


def objective_text(name: str, value: float) -> str:
    """An objective's value for people."""
    if name == "wall_days":
        return f"{value:,.1f} days"
    return quantity(value, OBJECTIVE_UNITS[name])
