"""One self-contained HTML page (no script, no network): the bill with each range drawn, the
inputs and the sources."""

from __future__ import annotations

from html import escape

from combien.fields import OUTPUTS
from combien.results.bill import INPUT_HEADER, Bill, input_rows
from combien.results.document import Footnotes

_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .6em;"
    "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}td.n{text-align:right;"
    "white-space:nowrap}svg rect{fill:#9cc3e6}svg line{stroke:#1f4e79;stroke-width:2}"
    ".notes li{font-size:90%}.warn{color:#8a5a00}"
)
_BAR_W, _BAR_H = 240, 14


def _bar(value: float, low: float, high: float) -> str:
    """The 90% range as a bar on a scale from 0 to the high end, the central value a tick."""
    top = max(high, value) or 1.0
    x0, x1, xv = (round(_BAR_W * v / top, 1) for v in (low, high, value))
    return (
        f'<svg width="{_BAR_W}" height="{_BAR_H}" role="img" aria-label="range">'
        f'<rect x="{x0}" y="2" width="{max(x1 - x0, 1)}" height="{_BAR_H - 4}"/>'
        f'<line x1="{xv}" x2="{xv}" y1="0" y2="{_BAR_H}"/></svg>'
    )


def render(bill: Bill) -> str:
    notes = Footnotes()
    rows = []
    keys = [k for k in OUTPUTS if k in bill.lines and k != "cost_usd"]
    for (label, value, low_high), key in zip(bill.rows(), keys, strict=False):
        line = bill.line(key)
        bar = _bar(line.value, line.low, line.high) if line else ""
        rows.append(
            f"<tr><td>{escape(label)}</td><td class=n>{escape(value)}</td>"
            f"<td class=n>{escape(low_high)}</td><td>{bar}</td></tr>"
        )
    inputs = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
        for row in input_rows(bill.inputs, notes)
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in INPUT_HEADER)
    warnings = "".join(f"<li class=warn>{escape(w.message)}</li>" for w in bill.warnings)
    sources = "".join(f"<li>[{n}] {escape(t)}</li>" for n, t in notes.notes)
    title = escape(f"combien — {bill.heading()}")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        "<table><tr><th>line</th><th>value</th><th>90% range</th><th>range drawn</th></tr>"
        f"{''.join(rows)}</table>"
        f"<p>Ranges: 5th–95th percentile of {bill.samples:,} Monte Carlo samples "
        f"(seed {bill.seed}); the bar spans the range from zero to its high end, the tick is "
        "the central value.</p>"
        f"<h2>Inputs</h2><table><tr>{head}</tr>{inputs}</table>"
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + f'<h2>Sources</h2><ul class="notes">{sources}</ul></body></html>\n'
    )
