"""Charts of the trends: an SVG drawn here (for the HTML page, no dependency) and a PNG drawn
with matplotlib (the `charts` extra). Log-scale value against publication year, frontier points
labelled, the fitted line and its growth factor."""

from __future__ import annotations

import html
import math
from typing import Any

from combien.field.trends import SELECTION, Growth, Trends, decimal_year

W, H, LEFT, RIGHT, TOP, BOTTOM = 860, 480, 80, 20, 40, 50


def _panels(t: Trends) -> list[tuple[str, str, str, Growth]]:
    return [
        (
            "Training compute of frontier models",
            "training compute (FLOP, log scale)",
            "flop",
            t.compute,
        ),
        (
            "Training cost of frontier runs (ownership: amortised hardware + energy)",
            "cost (USD, log scale)",
            "cost_ownership_usd",
            t.cost_ownership,
        ),
        (
            "Training cost of frontier runs (cloud rental)",
            "cost (USD, log scale)",
            "cost_cloud_usd",
            t.cost_cloud,
        ),
    ]


def _points(t: Trends, key: str) -> list[tuple[float, float, str]]:
    return [(decimal_year(run.date), cost, run.id) for run, cost in t.points(key)]


def svg_panel(t: Trends, title: str, y_label: str, key: str, growth: Growth) -> str:
    pts = _points(t, key)
    xs, ys = [p[0] for p in pts], [math.log10(p[1]) for p in pts]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs)) + 1
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    def sy(y: float) -> float:
        return H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{html.escape(title)}</text>',
    ]
    for decade in range(y0, y1 + 1):
        y = sy(decade)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">1e{decade}</text>')
    for year in range(x0, x1 + 1):
        x = sx(year)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{H - BOTTOM}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{year}</text>')
    out.append(f'<text x="{W / 2}" y="{H - 10}" text-anchor="middle">publication date</text>')
    out.append(
        f'<text x="16" y="{H / 2}" text-anchor="middle" transform="rotate(-90 16 '
        f'{H / 2})">{html.escape(y_label)}</text>'
    )
    fit = [(x, growth.intercept + growth.slope * x) for x in (x0, x1)]
    out.append(
        f'<line x1="{sx(fit[0][0]):.1f}" y1="{sy(fit[0][1]):.1f}" x2="{sx(fit[1][0]):.1f}"'
        f' y2="{sy(fit[1][1]):.1f}" stroke="#c0392b" stroke-width="2"/>'
    )
    top = sorted(pts, key=lambda p: p[1], reverse=True)[:8]
    for x, value, name in pts:
        cx, cy = sx(x), sy(math.log10(value))
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="#2c3e50">'
            f"<title>{html.escape(name)}</title></circle>"
        )
        if (x, value, name) in top:
            out.append(f'<text x="{cx + 5:.1f}" y="{cy - 5:.1f}">{html.escape(name)}</text>')
    legend = (
        f"fit: ×{growth.value:.2f} per year (90% CI {growth.low:.2f}–{growth.high:.2f}), "
        f"doubling every {growth.doubling_months:.1f} months, n = {growth.n}"
    )
    out.append(f'<text x="{LEFT + 8}" y="{TOP + 14}" fill="#c0392b">{html.escape(legend)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def html_page(t: Trends) -> str:
    """A standalone HTML page: the three panels and the crossings."""
    rows = "".join(
        f"<tr><td>${float(k):,.0f}</td><td>{v['value']:.1f}</td><td>{v['low']:.1f}–"
        f"{v['high']:.1f}</td></tr>"
        for k, v in t.crossings().items()
    )
    panels = "\n".join(svg_panel(t, *p) for p in _panels(t))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>combien — trends</title>"
        "</head><body style='font-family:sans-serif'><h1>Frontier AI training: compute "
        f"and cost since {t.since}</h1>{panels}<h2>When the largest run, at the fitted growth, "
        "crosses</h2><table border=1 cellpadding=4><tr><th>cost</th><th>year</th>"
        f"<th>90% interval</th></tr>{rows}</table><p>{html.escape(SELECTION)}"
        "</p></body></html>\n"
    )


def png(t: Trends, path: str) -> None:
    """The three panels as a PNG (needs matplotlib: `pip install combien[charts]`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from combien.errors import InputError

        raise InputError("--png needs matplotlib — pip install 'combien[charts]'") from None
    fig, axes = plt.subplots(3, 1, figsize=(10, 13))
    for ax, (title, y_label, key, growth) in zip(axes, _panels(t), strict=True):
        _png_panel(ax, t, title, y_label, key, growth)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _png_panel(ax: Any, t: Trends, title: str, y_label: str, key: str, growth: Growth) -> None:
    pts = _points(t, key)
    xs = [p[0] for p in pts]
    ax.scatter(xs, [p[1] for p in pts], s=16, color="#2c3e50", zorder=3)
    for x, value, name in sorted(pts, key=lambda p: p[1], reverse=True)[:8]:
        ax.annotate(name, (x, value), textcoords="offset points", xytext=(4, 4), fontsize=7)
    line_x = [min(xs), max(xs)]
    ax.plot(
        line_x,
        [growth.at(x) for x in line_x],
        color="#c0392b",
        label=f"×{growth.value:.2f}/yr (90% CI {growth.low:.2f}–{growth.high:.2f})",
    )
    ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("publication date")
    ax.set_ylabel(y_label)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
