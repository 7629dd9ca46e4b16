"""Documents made from a bill, for the people who must publish one.

    hf-model-card   the Hugging Face model card's `co2_eq_emissions` block and a short section
    eu-ai-act       the energy and compute section of the AI Act's Annex XI documentation
    markdown        a paper's appendix: the bill with ranges, the inputs, the sources in full
    latex           the same appendix as a LaTeX fragment
    html            one self-contained page with the ranges drawn
    boamps          Boavizta's BoAmps JSON report of an AI task's energy

`report(bill, "eu-ai-act")` returns the document's text. A report reads the bill; it computes
nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from combien.errors import UnknownNameError
from combien.report import ai_act, appendix, boamps, model_card, page
from combien.results.bill import Bill

FORMATS: dict[str, Callable[[Bill], str]] = {
    "hf-model-card": model_card.render,
    "eu-ai-act": ai_act.render,
    "markdown": appendix.markdown,
    "latex": appendix.latex,
    "html": page.render,
    "boamps": boamps.render,
}


def report(bill: Bill, kind: str) -> str:
    """The text of a `kind` report of `bill` (see FORMATS)."""
    render = FORMATS.get(kind.lower())
    if render is None:
        close = difflib.get_close_matches(kind.lower(), list(FORMATS), n=3, cutoff=0.4)
        raise UnknownNameError("report format", kind, close or list(FORMATS))
    return render(bill)


__all__ = ["FORMATS", "report"]
