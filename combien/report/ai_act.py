"""The energy and compute section of the EU AI Act's technical documentation for
general-purpose AI models.

Regulation (EU) 2024/1689, Annex XI, Section 1, point 2: (d) "the computational resources used
to train the model (e.g. number of floating point operations), training time, and other relevant
details related to the training"; (e) "known or estimated energy consumption of the model" —
where it is unknown, it "may be based on information about computational resources used". Each
figure says whether it was measured, published, given or estimated. Article 51(2): a model
trained with more than the threshold of `facts.csv` (10^25 FLOP) is presumed to have
high-impact capabilities, i.e. systemic risk; the section flags it when crossed.
"""

from __future__ import annotations

from combien.data import catalog
from combien.report import figures
from combien.results.bill import Bill
from combien.results.document import Footnotes, markdown_table
from combien.units import count, quantity, span

THRESHOLD_FACT = "ai-act-systemic-risk-flop"
_HEADER = ("item", "value", "90% range", "method", "source")


def systemic_risk(bill: Bill) -> bool | None:
    """Whether the training compute crosses Article 51(2)'s threshold (None: compute unknown)."""
    flop = figures.compute_flop(bill)
    if flop is None:
        return None
    return flop.value > catalog.fact(THRESHOLD_FACT).value


def _row(item: str, f: figures.Figure | None, unit: str, notes: Footnotes) -> tuple[str, ...]:
    if f is None:
        return (item, "not known", "—", "—", "—")
    low_high = span(f.low, f.high, unit) if f.low is not None and f.high is not None else "—"
    return (item, quantity(f.value, unit), low_high, f.method, notes.cite(f.source))


def _time_rows(bill: Bill, notes: Footnotes) -> list[tuple[str, ...]]:
    chip_hours = bill.inputs.get("chip_hours")
    wall = bill.line("wall_hours")
    days = bill.inputs.get("days")
    wall_figure = None
    measured_wall = bill.inputs.get("wall_hours")
    if measured_wall is not None and measured_wall.origin == "measured":
        wall_figure = figures.measured_hours(bill)
    elif wall is not None:
        method, source = (
            (figures.from_input(days).method, days.source)
            if days
            else ("estimated", "combien: accelerator-hours ÷ accelerators")
        )
        wall_figure = figures.from_line(wall, method, source)
    wall_figure = wall_figure or figures.measured_hours(bill)
    hours = figures.from_input(chip_hours) if chip_hours else None
    if hours is None and bill.line("chip_hours") is not None:
        line = bill.line("chip_hours")
        assert line is not None
        hours = figures.from_line(line, "estimated", "combien: FLOP ÷ (peak FLOP/s × MFU)")
    return [
        _row("Training time (wall-clock)", wall_figure, "h", notes),
        _row("Accelerator-hours", hours, "chip-h", notes),
    ]


def render(bill: Bill) -> str:
    """The section as markdown: 2(d) compute, time and hardware; 2(e) energy; Article 51."""
    notes = Footnotes()
    flop = figures.compute_flop(bill)
    out = [
        "## Energy and computational resources (AI Act, Annex XI, Section 1, points 2(d) and 2(e))",
        "",
        f"Model: {bill.labels.get('model') or 'not named'}. Technical documentation for "
        "providers of general-purpose AI models (Regulation (EU) 2024/1689, Article 53(1)(a) "
        "and Annex XI); the same figures fill the energy and compute fields of the GPAI Code "
        "of Practice's Model Documentation Form.",
        "",
        "### 2(d) Computational resources used for training",
        "",
    ]
    rows = [_row("Training compute", flop, "FLOP", notes), *_time_rows(bill, notes)]
    rows.append(("Hardware", figures.hardware(bill), "—", "—", "—"))
    out += markdown_table(_HEADER, rows, left=(3, 4))
    out += ["", "### 2(e) Energy consumption", ""]
    energy = figures.energy(bill)
    if energy is None:
        out.append("Energy consumption: not known, and not estimable from the inputs given.")
    else:
        facility, it = energy
        out += markdown_table(
            _HEADER,
            [
                _row("Energy (facility, incl. cooling)", facility, "kWh", notes),
                _row("Energy (IT equipment)", it, "kWh", notes),
            ],
            left=(3, 4),
        )
        if it.method != "measured":
            out += ["", _energy_note(bill)]
    out += ["", "### Systemic risk (Article 51(2))", "", _risk_text(bill, notes)]
    out += ["", "### Sources", "", *notes.markdown()]
    return "\n".join(out) + "\n"


def _energy_note(bill: Bill) -> str:
    """What of the energy is not measured, and how it is estimated instead."""
    how = figures.tracked(bill)
    if how is None:
        return (
            "The energy consumption is not measured: it is estimated from the computational "
            "resources used, as Annex XI point 2(e) allows."
        )
    if how.measured:
        return f"The energy consumption is partly measured: {how.describe()}."
    if not how.estimated:  # an imported run without its devices: neither can be said
        return (
            "The energy consumption was tracked, but the run's devices are not recorded: "
            "whether it was measured or estimated cannot be said."
        )
    return (
        "The energy consumption is not measured: no device of the run had an energy counter "
        f"({', '.join(how.estimated)}); it is estimated from their utilisation during the run."
    )


def _risk_text(bill: Bill, notes: Footnotes) -> str:
    fact = catalog.fact(THRESHOLD_FACT)
    flop = figures.compute_flop(bill)
    cite = notes.cite(fact.source)
    if flop is None:
        return (
            f"Training compute not known: the {count(fact.value)} FLOP threshold {cite} "
            "cannot be checked."
        )
    if flop.value > fact.value:
        return (
            f"**Threshold crossed.** Training compute {count(flop.value)} FLOP is greater than "
            f"{count(fact.value)} FLOP {cite}: the model is presumed to have high-impact "
            "capabilities, i.e. to be a general-purpose AI model with systemic risk."
        )
    near = (
        f" (its 90% range reaches {count(flop.high)} FLOP)"
        if flop.high is not None and flop.high > fact.value
        else ""
    )
    return (
        f"Not crossed: training compute {count(flop.value)} FLOP is not greater than "
        f"{count(fact.value)} FLOP {cite}{near}."
    )
