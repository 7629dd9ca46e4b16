"""Charts of the trends: an SVG drawn here (for the HTML page, no dependency) and a PNG drawn
with matplotlib (the `charts` extra). Log-scale value against publication year; the fitted line
and its growth factor; the largest runs labelled where a label does not cover another; on the
cost panels, the largest run's path at the fitted growth to $1B, $10B and $100B, each crossing
marked with its year, or said to be passed already.

Labels are placed once for both drawings (`place_labels`), in screen units: each label takes the
first of a few positions around its point that overlaps no label placed before it and no point.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from combien.field.trends import SELECTION, THRESHOLDS_USD, Growth, Trends, decimal_year
from combien.units import quantity

W, H, LEFT, RIGHT, TOP, BOTTOM = 860, 480, 80, 20, 40, 50
#: labels: the most this many largest points, at about this size in screen pixels
LABELLED = 10
CHAR_W, LINE_H = 6.2, 11.0
POINT_R = 3.5

Box = tuple[float, float, float, float]  # left, top, right, bottom (screen: y down)


@dataclass(frozen=True)
class Label:
    """A label placed at screen position (x, y) of its text's baseline-left corner."""

    text: str
    x: float
    y: float


@dataclass(frozen=True)
class Crossing:
    """Where the largest run's path at the fitted growth reaches a cost level."""

    level: float
    year: float
    passed: bool

    @property
    def text(self) -> str:
        amount = quantity(self.level, "USD")
        return f"{amount}: passed" if self.passed else f"{amount}: {self.year:.1f}"


def _panels(t: Trends) -> list[tuple[str, str, str, Growth]]:
    return [
        ("Training compute of frontier models", "training compute (FLOP, log scale)", "flop",
         t.compute),
        ("Training cost of frontier runs (ownership: amortised hardware + energy)",
         "cost (USD, log scale)", "cost_ownership_usd", t.cost_ownership),
        ("Training cost of frontier runs (cloud rental)", "cost (USD, log scale)",
         "cost_cloud_usd", t.cost_cloud),
    ]  # fmt: skip


def _points(t: Trends, key: str) -> list[tuple[float, float, str]]:
    return [(decimal_year(run.date), value, run.id) for run, value in t.points(key)]


def crossings(t: Trends, key: str) -> list[Crossing]:
    """The cost levels the largest run's path reaches, and when (none for compute)."""
    if key == "flop":
        return []
    run, _ = t.largest(key)
    start = decimal_year(run.date)
    found = t.crossings(key)
    years = [found[f"{level:.0e}".replace("+", "")]["value"] for level in THRESHOLDS_USD]
    return [
        Crossing(level, year, year <= start)
        for level, year in zip(THRESHOLDS_USD, years, strict=True)
    ]


def place_labels(
    points: list[tuple[float, float, str]],
    to_screen: Callable[[float, float], tuple[float, float]],
    area: Box,
    extra: list[tuple[float, float, str]] = (),  # type: ignore[assignment]
) -> list[Label]:
    """Labels for the `LABELLED` largest points (then the `extra` ones, which are always tried),
    each at the first of eight positions around its point that stays inside `area` and overlaps
    no label placed before and no point; a label with no such position is left out."""
    marks = [to_screen(x, v) for x, v, _ in points]
    taken: list[Box] = [
        (px - POINT_R, py - POINT_R, px + POINT_R, py + POINT_R) for px, py in marks
    ]
    chosen = sorted(points, key=lambda p: p[1], reverse=True)[:LABELLED]
    placed: list[Label] = []
    for x, value, text in [*extra, *chosen]:
        px, py = to_screen(x, value)
        width = CHAR_W * len(text)
        for dx, dy in ((5, -5), (5, 13), (-width - 5, -5), (-width - 5, 13),
                       (5, -16), (-width - 5, -16), (5, 24), (-width - 5, 24)):  # fmt: skip
            box = (px + dx, py + dy - LINE_H, px + dx + width, py + dy + 2)
            own = (px - POINT_R, py - POINT_R, px + POINT_R, py + POINT_R)
            inside = area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1]
            if (
                inside
                and box[3] <= area[3]
                and not any(_overlap(box, other) for other in taken if other != own)
            ):
                placed.append(Label(text, px + dx, py + dy))
                taken.append(box)
                break
    return placed


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _limits(
    pts: list[tuple[float, float, str]], crossed: list[Crossing], growth: Growth
) -> tuple[int, int, int, int]:
    xs = [p[0] for p in pts] + [c.year for c in crossed if not c.passed]
    ys = [math.log10(p[1]) for p in pts] + [math.log10(c.level) for c in crossed]
    top = math.ceil(max(ys)) + (1 if crossed else 0)  # room above the last crossing's label
    return math.floor(min(xs)), math.ceil(max(xs)) + 1, math.floor(min(ys)), top


def svg_panel(t: Trends, title: str, y_label: str, key: str, growth: Growth) -> str:
    pts, crossed = _points(t, key), crossings(t, key)
    x0, x1, y0, y1 = _limits(pts, crossed, growth)

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
    last = max(p[0] for p in pts)
    fit = [(x, growth.intercept + growth.slope * x) for x in (min(p[0] for p in pts), last)]
    out.append(
        f'<line x1="{sx(fit[0][0]):.1f}" y1="{sy(fit[0][1]):.1f}" x2="{sx(fit[1][0]):.1f}"'
        f' y2="{sy(fit[1][1]):.1f}" stroke="#c0392b" stroke-width="2"/>'
    )
    out += _svg_crossings(t, key, crossed, sx, sy)
    for x, value, name in pts:
        cx, cy = sx(x), sy(math.log10(value))
        tip = f"{name} — {x:.1f} — {_value_text(key, value)}"
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{POINT_R}" fill="#2c3e50">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    area = (LEFT, TOP + 18, W - RIGHT, H - BOTTOM)
    extra = [(c.year if not c.passed else last, c.level, c.text) for c in crossed]
    for label in place_labels(pts, lambda x, v: (sx(x), sy(math.log10(v))), area, extra):
        colour = ' fill="#8e44ad"' if label.text[0] == "$" else ""
        out.append(
            f'<text x="{label.x:.1f}" y="{label.y:.1f}"{colour}>{html.escape(label.text)}</text>'
        )
    legend = (
        f"fit: ×{growth.value:.2f} per year (90% CI {growth.low:.2f}–{growth.high:.2f}), "
        f"doubling every {growth.doubling_months:.1f} months, n = {growth.n}"
    )
    out.append(f'<text x="{LEFT + 8}" y="{TOP + 14}" fill="#c0392b">{html.escape(legend)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _svg_crossings(
    t: Trends,
    key: str,
    crossed: list[Crossing],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
) -> list[str]:
    if not crossed:
        return []
    run, cost = t.largest(key)
    start = decimal_year(run.date)
    end = max([c.year for c in crossed] + [start])
    path = [(start, math.log10(cost)), (end, math.log10(cost) + _slope(t, key) * (end - start))]
    out = [
        f'<line x1="{sx(path[0][0]):.1f}" y1="{sy(path[0][1]):.1f}" x2="{sx(path[1][0]):.1f}" '
        f'y2="{sy(path[1][1]):.1f}" stroke="#8e44ad" stroke-dasharray="5 4"/>'
    ]
    for c in crossed:
        y = sy(math.log10(c.level))
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#8e44ad" '
            f'stroke-opacity="0.35" stroke-dasharray="2 3"/>'
        )
        if not c.passed:
            out.append(
                f'<circle cx="{sx(c.year):.1f}" cy="{y:.1f}" r="4" fill="none" '
                f'stroke="#8e44ad"><title>{html.escape(c.text)}</title></circle>'
            )
    return out


def _slope(t: Trends, key: str) -> float:
    return (t.cost_ownership if key == "cost_ownership_usd" else t.cost_cloud).slope


def _value_text(key: str, value: float) -> str:
    return f"{value:.3g} FLOP" if key == "flop" else quantity(value, "USD")


def html_page(t: Trends) -> str:
    """A standalone HTML page: the three panels and the crossings (values on hover)."""
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
    for ax, (_, _, key, _) in zip(axes, _panels(t), strict=True):
        _png_labels(fig, ax, t, key)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _png_panel(ax: Any, t: Trends, title: str, y_label: str, key: str, growth: Growth) -> None:
    pts, crossed = _points(t, key), crossings(t, key)
    xs = [p[0] for p in pts]
    ax.scatter(xs, [p[1] for p in pts], s=16, color="#2c3e50", zorder=3)
    line_x = [min(xs), max(xs)]
    ax.plot(
        line_x,
        [growth.at(x) for x in line_x],
        color="#c0392b",
        label=f"×{growth.value:.2f}/yr (90% CI {growth.low:.2f}–{growth.high:.2f})",
    )
    if crossed:
        run, cost = t.largest(key)
        start = decimal_year(run.date)
        end = max([c.year for c in crossed] + [start])
        ax.plot([start, end], [cost, cost * 10 ** (_slope(t, key) * (end - start))],
                color="#8e44ad", linestyle="--", linewidth=1,
                label="largest run at the fitted growth")  # fmt: skip
        for c in crossed:
            ax.axhline(c.level, color="#8e44ad", alpha=0.35, linestyle=":", linewidth=1)
            if not c.passed:
                ax.scatter([c.year], [c.level], s=30, facecolors="none", edgecolors="#8e44ad")
    x0, x1, y0, y1 = _limits(pts, crossed, growth)
    ax.set_xlim(x0, x1)
    ax.set_yscale("log")
    ax.set_ylim(10.0**y0, 10.0**y1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("publication date")
    ax.set_ylabel(y_label)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def _png_labels(fig: Any, ax: Any, t: Trends, key: str) -> None:
    """The labels, placed in the figure's pixels once its layout is final (y flipped: down)."""
    fig.canvas.draw()
    height = fig.bbox.height

    def to_screen(x: float, value: float) -> tuple[float, float]:
        px, py = ax.transData.transform((x, value))
        return float(px), float(height - py)

    box = ax.get_window_extent()
    legend = ax.get_legend().get_window_extent()
    area = (box.x0, height - box.y1 + (legend.y1 - legend.y0) + 8, box.x1, height - box.y0)
    pts, crossed = _points(t, key), crossings(t, key)
    last = max(p[0] for p in pts)
    extra = [(c.year if not c.passed else last, c.level, c.text) for c in crossed]
    for label in place_labels(pts, to_screen, area, extra):
        colour = "#8e44ad" if label.text[0] == "$" else "#1d2733"
        # pixels of the figure, y up, for the text's baseline-left corner
        fig.text(label.x / fig.bbox.width, 1 - label.y / height, label.text, fontsize=7,
                 color=colour, transform=fig.transFigure)  # fmt: skip
