"""A paper's appendix: the bill with its ranges, the inputs, and every source cited in full, in
markdown or LaTeX."""

from __future__ import annotations

from combien.report import figures
from combien.results.bill import INPUT_HEADER, Bill, input_rows
from combien.results.document import Footnotes, markdown_table

METHOD = (
    "Estimated with combien: training compute → accelerator-hours (peak FLOP/s × MFU) → IT "
    "energy (chip power × server overhead) → facility energy (× PUE) → operational carbon "
    "(× grid intensity), embodied carbon (device footprint × share of its service life), water "
    "(on-site WUE, off-site water intensity of electricity) and cost. Ranges are the 5th–95th "
    "percentiles of {samples:,} Monte Carlo samples (seed {seed}) over every uncertain input."
)

TRACKED_METHOD = (
    "Tracked with combien: IT energy of the run ({devices}) → facility energy (× PUE) → "
    "operational carbon (× grid intensity), embodied carbon (device footprint × share of its "
    "service life), water (on-site WUE, off-site water intensity of electricity) and cost. Ranges "
    "are the 5th–95th percentiles of {samples:,} Monte Carlo samples (seed {seed}) over every "
    "uncertain input."
)


def method(bill: Bill) -> str:
    """How the bill was obtained: a tracked run's devices, measured or estimated, or an
    estimate from the compute."""
    how = figures.tracked(bill)
    if how is None:
        return METHOD.format(samples=bill.samples, seed=bill.seed)
    return TRACKED_METHOD.format(devices=how.describe(), samples=bill.samples, seed=bill.seed)


def markdown(bill: Bill) -> str:
    notes = Footnotes()
    out = [f"## Appendix: energy, carbon, water and cost — {bill.heading()}", ""]
    out += [method(bill), ""]
    out += markdown_table(("quantity", "value", "90% range"), bill.rows())
    out += ["", "### Inputs", ""]
    out += markdown_table(INPUT_HEADER, input_rows(bill.inputs, notes), left=(2, 3))
    if bill.warnings:
        out += ["", "### Caveats", ""] + [f"- {w.message}" for w in bill.warnings]
    out += ["", "### References", "", *notes.markdown()]
    return "\n".join(out) + "\n"


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def escape(text: str) -> str:
    """Text safe in LaTeX (the ten special characters escaped)."""
    return "".join(_LATEX_SPECIALS.get(c, c) for c in text)


def latex(bill: Bill) -> str:
    """The appendix as a LaTeX fragment (booktabs tables, UTF-8 text)."""
    notes = Footnotes()
    inputs = input_rows(bill.inputs, notes)
    out = [
        f"\\section*{{Appendix: energy, carbon, water and cost --- {escape(bill.heading())}}}",
        escape(method(bill)),
        "",
        "\\begin{tabular}{lrr}",
        "\\toprule",
        "Quantity & Value & 90\\% range \\\\",
        "\\midrule",
        *(f"{escape(a)} & {escape(b)} & {escape(c)} \\\\" for a, b, c in bill.rows()),
        "\\bottomrule",
        "\\end{tabular}",
        "",
        "\\begin{tabular}{lrll}",
        "\\toprule",
        "Input & Value & Origin & Source \\\\",
        "\\midrule",
        *(" & ".join(escape(c) for c in row) + " \\\\" for row in inputs),
        "\\bottomrule",
        "\\end{tabular}",
        "",
        "\\begin{description}",
        *(f"\\item[[{n}]] {escape(text)}" for n, text in notes.notes),
        "\\end{description}",
    ]
    return "\n".join(out) + "\n"
