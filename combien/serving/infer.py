"""infer(): the cost of every answer — per request, per 1,000, per day and per year of traffic.

An InferenceRun → the one resolver (model size and shape, request, batch, hardware, site) → the
one chain (the serving time stage, then energy, carbon, water, money) at central inputs and over
Monte Carlo samples → an InferenceBill (schema `combien.inference/1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from combien.data import catalog
from combien.fields import OUTPUTS, SERVING_LINES
from combien.provenance import Assumption, Caveat
from combien.resolve.serving import resolve_serving
from combien.resolve.spec import InferenceRun
from combien.results.bill import (
    BRIEF_SOURCE_CHARS,
    INPUT_HEADER,
    Line,
    input_rows,
    inputs_table,
)
from combien.results.document import (
    JSON,
    Footnotes,
    check_finite,
    csv_text,
    dumps,
    markdown_table,
    rich_table,
)
from combien.results.evaluate import evaluate
from combien.units import count, plural, quantity, share, span

#: the JSON name of the accelerators' scope, as leaderboards name it: GPU energy
GPU_LINE = {"accelerator_energy_kwh": "gpu_energy_kwh"}

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.inference/1"
#: the article's unit of water: a 500 ml bottle
BOTTLE_L = 0.5
_HEADER = ("line", "per request", "per 1,000", "90% range", "per day", "per year")
_ROW_LABELS = {
    "co2e_total_kg": "CO2e (operational + embodied)",
    "water_total_l": "Water (on-site + off-site)",
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
            for line, alias in GPU_LINE.items():
                out[alias] = out.get(line)
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

    def to_csv(self) -> str:
        """One row per line: key, unit, per request (value, low, high), per day, per year."""
        day, year = self.per_day() or {}, self.per_year() or {}
        rows = []
        for key, line in self.per_request.items():
            unit = OUTPUTS[key].unit if key in OUTPUTS else ""
            per_day, per_year = day.get(key), year.get(key)
            rows.append(
                (
                    key,
                    unit,
                    line.value,
                    line.low,
                    line.high,
                    per_day.value if per_day else None,
                    per_year.value if per_year else None,
                )
            )
        header = ("line", "unit", "per_request", "low", "high", "per_day", "per_year")
        return csv_text(header, rows)

    # ------------------------------------------------------------------ text

    def header(self) -> tuple[str, ...]:
        """The columns of `rows`: per day and per year only where a traffic gives them."""
        return _HEADER if self.requests_per_day else _HEADER[:4]

    def rows(self) -> list[tuple[str, ...]]:
        """(line, per request, per 1,000, its 90% range[, per day, per year]) of every line.
        The range is said once: traffic scales every column by the same factor."""
        thousand = self.scaled(1000)
        blocks = [self.per_day(), self.per_year()] if self.requests_per_day else []
        rows = []
        for key, line in self.per_request.items():
            if key == "cost_usd":  # the headline: a copy of the cloud (else ownership) line
                continue
            output = OUTPUTS.get(key)
            unit = output.unit if output else ""
            label = _ROW_LABELS.get(key) or (output.label if output else key)
            per_1000 = thousand[key]
            spread = span(per_1000.low, per_1000.high, unit) if line.low < line.high else "—"
            later = [
                quantity(lines[key].value, unit) if lines and key in lines else "—"
                for lines in blocks
            ]
            rows.append(
                (label, quantity(line.value, unit), quantity(per_1000.value, unit), spread, *later)
            )
        return rows

    def setup_text(self) -> str:
        """The requests, the replica, the fleet and the water per bottle, in one sentence."""
        s, parts = self.serving, []
        requests = self._requests_text()
        if requests:
            parts.append(requests)
        if "gpus_per_replica" in s:
            held = s.get("gpus_for_memory")
            gpus = self.inputs.get("gpus")
            speed = (
                f"; {held} would hold it, {s['gpus_per_replica']} meet the latency target"
                if isinstance(held, int)
                and held < int(s["gpus_per_replica"] or 0)
                and (gpus is None or gpus.origin != "user")  # the user's GPUs are not derived
                else ""
            )
            parts.append(
                f"{s['gpus_per_replica']} × {s['hardware']} per replica "
                f"({float(s['replica_memory_gb'] or 0):,.0f} GB{speed})"
            )
        if "tokens_per_s_per_replica" in s:
            parts.append(
                f"{float(s['tokens_per_s_per_replica'] or 0):,.0f} output tokens/s per replica"
            )
        if s.get("replicas"):
            parts.append(self._fleet_text())
        b = self.requests_per_500ml
        if b is not None:
            parts.append(
                f"{count(b.value)} requests per 500 mL of water [{span(b.low, b.high, '')}]"
            )
        return "; ".join(parts)

    def _fleet_text(self) -> str:
        """'1 replica for 86.4 requests/day, on 1 whole server of 8 = 8 accelerators
        provisioned, of which 7 hold no replica and idle': replicas sized for the peak occupy
        whole servers; with a given utilisation, the replicas' accelerators alone."""
        s = self.serving
        replicas, total = int(s["replicas"] or 0), int(s["gpus_total"] or 0)
        fleet = f"{plural(replicas, 'replica')} for {plural(self.requests_per_day, 'request')}/day"
        utilisation = self.inputs.get("utilisation")
        if utilisation is not None and utilisation.origin == "user":
            return f"{fleet} = {plural(total, 'accelerator')}"
        per_server = int(catalog.default("gpus_per_server").value)
        idle = total - int(s["gpus_busy"] or 0)
        spare = f", of which {count(idle)} hold no replica and idle" if idle else ""
        return (
            f"{fleet}, on {plural(total // per_server, 'whole server')} of {per_server} = "
            f"{plural(total, 'accelerator')} provisioned{spare}"
        )

    def _requests_text(self) -> str:
        """'requests of 500 input + 300 output tokens, 16 at a time per replica, replicas busy
        50% of the time': the defaults that decide the answer, said where it is read."""
        inputs = self.inputs
        words = []
        if "tokens_out" in inputs:
            tokens_in = inputs.get("tokens_in")
            before = f"{count(tokens_in.value)} input + " if tokens_in else ""
            words.append(f"requests of {before}{count(inputs['tokens_out'].value)} output tokens")
        if "batch" in inputs:
            words.append(f"{count(inputs['batch'].value)} at a time per replica")
        if "utilisation" in inputs:
            words.append(f"replicas busy {share(inputs['utilisation'].value)} of the time")
        return ", ".join(words)

    def heading(self, keys: tuple[str, ...] = ("model", "hardware", "location", "facility")) -> str:
        return "serving estimate: " + " · ".join(v for k, v in self.labels.items() if k in keys)

    def to_markdown(self) -> str:
        notes = Footnotes(brief=BRIEF_SOURCE_CHARS)
        out = [f"## combien — {self.heading(tuple(self.labels))}", ""]
        out += markdown_table(self.header(), self.rows())
        out += ["", self.setup_text() + ".", "", "### Inputs", ""]
        out += markdown_table(INPUT_HEADER, input_rows(self.inputs, notes), left=(2, 3))
        if self.warnings:
            out += ["", "### Warnings", ""] + [f"- {w.message}" for w in self.warnings]
        out += ["", _ranges_note(self.samples, self.seed), "", "### Sources", ""]
        return "\n".join(out + notes.markdown()) + "\n"

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        notes = Footnotes(brief=BRIEF_SOURCE_CHARS, inline=False)
        parts: list[RenderableType] = [
            # with the per-day and per-year columns, no vertical rules: the labels keep their words
            rich_table(self.heading(), self.header(), self.rows(), compact=len(self.header()) > 4),
            Text(self.setup_text()),
            inputs_table(self.inputs, notes),
        ]
        parts += [Text(f"[{n}] {text}", style="dim") for n, text in notes.notes]
        parts += [Text(f"! {w.message}", style="yellow") for w in self.warnings]
        return Group(*parts)


def _ranges_note(samples: int, seed: int) -> str:
    return (
        f"Ranges: 5th–95th percentile of {samples:,} Monte Carlo samples (seed {seed}); each "
        "column scales the range of 1,000 requests. Sources shortened; in full with --format json."
    )


def infer(run: InferenceRun | None = None, **fields: object) -> InferenceBill:
    """The bill of serving a model: per request, and at the given traffic."""
    if run is None:
        run = InferenceRun.parse(fields)
    resolved = resolve_serving(run)
    assumptions = resolved.assumptions
    result = evaluate(assumptions, samples=run.samples, seed=run.seed)
    check_finite(result.lines)
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
