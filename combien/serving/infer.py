"""infer(): the cost of every answer — per request, per 1,000, per day and per year of traffic.

An InferenceRun → the one resolver (model size and shape, request, batch, hardware, site) → the
one chain (the serving time stage, then energy, carbon, water, money) at central inputs and over
Monte Carlo samples → an InferenceBill (schema `combien.inference/1`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from combien.data import catalog
from combien.fields import HEADLINES, OUTPUTS, SERVING_LINES
from combien.provenance import Assumption, Caveat
from combien.resolve.serving import resolve_serving
from combien.resolve.spec import InferenceRun
from combien.results.bill import Line
from combien.results.document import JSON, dumps, markdown_table, rich_table
from combien.results.evaluate import evaluate
from combien.units import SECONDS_PER_DAY, count, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.inference/1"
#: the article's unit of water: a 500 ml bottle
BOTTLE_L = 0.5
_HEADER = ("line", "per request", "per 1,000 requests", "per day", "per year")
_ROW_LABELS = {
    "energy_kwh": "Energy (facility)",
    "co2e_total_kg": "CO2e (operational + embodied)",
    "water_total_l": "Water (on-site + off-site)",
    "cost_usd": "Cost",
}


@dataclass(frozen=True)
class InferenceBill:
    """Per-request lines and their scaling to traffic, with the serving set-up behind them."""

    per_request: dict[str, Line]
    requests_per_day: float | None
    requests_per_500ml: Line | None  # None when serving uses no water
    serving: dict[str, float | str | None]
    inputs: dict[str, Assumption]
    labels: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Caveat, ...] = ()
    samples: int = 0
    seed: int = 0

    def scaled(self, factor: float) -> dict[str, Line]:
        return {k: v.scaled(factor) for k, v in self.per_request.items()}

    def per_day(self) -> dict[str, Line] | None:
        return None if self.requests_per_day is None else self.scaled(self.requests_per_day)

    def per_year(self) -> dict[str, Line] | None:
        days = catalog.default("hours_per_year").value / 24
        return None if self.requests_per_day is None else self.scaled(self.requests_per_day * days)

    def to_dict(self) -> JSON:
        def block(lines: dict[str, Line] | None) -> JSON | None:
            if lines is None:
                return None
            out: JSON = {k: v.to_dict() for k, v in lines.items()}
            # the three scopes of energy: accelerators, server (IT), facility
            out["gpu_energy_kwh"] = out.get("accelerator_energy_kwh")
            out["co2e_kg"] = out.get("co2e_total_kg")
            out["water_l"] = out.get("water_total_l")
            return out

        return {
            "schema": SCHEMA,
            "labels": dict(self.labels),
            "inputs": {k: a.to_dict() for k, a in self.inputs.items()},
            "serving": dict(self.serving),
            "requests_per_day": self.requests_per_day,
            "per_request": block(self.per_request),
            "per_1000_requests": block(self.scaled(1000)),
            "per_day": block(self.per_day()),
            "per_year": block(self.per_year()),
            "requests_per_500ml": (
                self.requests_per_500ml.to_dict() if self.requests_per_500ml else None
            ),
            "warnings": [w.message for w in self.warnings],
            "warning_codes": [w.code for w in self.warnings],
            "uncertainty": {"samples": self.samples, "seed": self.seed, "interval": "p5-p95"},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    # ------------------------------------------------------------------ text

    def rows(self) -> list[tuple[str, ...]]:
        """(line, per request, per 1,000, per day, per year) of the headline lines, each
        'value [low–high]'."""
        blocks = [self.per_request, self.scaled(1000), self.per_day(), self.per_year()]
        rows = []
        for _, key in HEADLINES:
            unit = OUTPUTS[key].unit
            cells = []
            for lines in blocks:
                line = lines.get(key) if lines else None
                cells.append(
                    f"{quantity(line.value, unit)} [{quantity(line.low, unit)}–"
                    f"{quantity(line.high, unit)}]"
                    if line
                    else "—"
                )
            rows.append((_ROW_LABELS[key], *cells))
        return rows

    def setup_text(self) -> str:
        """The replica, the fleet and the water per bottle, in one sentence."""
        s, parts = self.serving, []
        if "gpus_per_replica" in s:
            parts.append(
                f"{s['gpus_per_replica']} × {s['hardware']} per replica "
                f"({float(s['replica_memory_gb'] or 0):,.0f} GB)"
            )
        if "tokens_per_s_per_replica" in s:
            parts.append(
                f"{float(s['tokens_per_s_per_replica'] or 0):,.0f} output tokens/s per replica"
            )
        if s.get("replicas"):
            parts.append(
                f"{int(s['replicas'] or 0):,} replicas = {int(s['gpus_total'] or 0):,} "
                f"accelerators for {count(self.requests_per_day)} requests/day"
            )
        b = self.requests_per_500ml
        if b is not None:
            parts.append(
                f"{b.value:,.1f} requests per 500 mL of water [{b.low:,.1f}–{b.high:,.1f}]"
            )
        return "; ".join(parts)

    def heading(self, keys: tuple[str, ...] = ("model", "hardware", "location", "facility")) -> str:
        return "combien — serving bill: " + " · ".join(
            v for k, v in self.labels.items() if k in keys
        )

    def to_markdown(self) -> str:
        out = [f"## {self.heading(tuple(self.labels))}", ""]
        out += markdown_table(_HEADER, self.rows())
        out += ["", self.setup_text(), ""]
        out += [f"- {w.message}" for w in self.warnings]
        return "\n".join(out) + "\n"

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        parts: list[RenderableType] = [rich_table(self.heading(), _HEADER, self.rows())]
        parts.append(Text(self.setup_text()))
        parts += [Text(f"! {w.message}", style="yellow") for w in self.warnings]
        return Group(*parts)


def infer(run: InferenceRun | None = None, **fields: object) -> InferenceBill:
    """The bill of serving a model: per request, and at the given traffic."""
    if run is None:
        run = InferenceRun.parse(fields)
    resolved = resolve_serving(run)
    assumptions = resolved.assumptions
    result = evaluate(assumptions, samples=run.samples, seed=run.seed)
    lines = {k: result.lines[k] for k in SERVING_LINES if k in result.lines}
    per_litre = result.lines.get("per_litre_of_water")
    bottle = per_litre.scaled(BOTTLE_L) if per_litre else None
    info: dict[str, float | str | None] = {
        **resolved.replica,
        "requests_per_day": resolved.requests_per_day,
    }
    per_day = resolved.requests_per_day
    if "replica_s" in result.central:
        info["replica_seconds_per_request"] = result.central["replica_s"]
        info["tokens_per_s_per_replica"] = result.central["tokens_per_s"]
    return InferenceBill(
        lines,
        per_day,
        bottle,
        info,
        dict(assumptions.values),
        dict(assumptions.labels),
        assumptions.warnings,
        run.samples,
        run.seed,
    )
