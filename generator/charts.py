"""Accessible bar charts as SVG, drawn at build time: no script, no external file.

Each chart is ``<svg role="img" aria-labelledby="… …">`` with a ``<title>`` and a ``<desc>``
that say what it shows and its main finding; the page puts a data table beside it, so the
figures are there for screen readers, keyboards and copying. The module knows no language:
the caller passes translated labels and a number formatter.

Colours (on white): the executed bar ``#00607a`` (6.9:1), the plan bar an outline ``#4a4a4a``
(8.9:1) around a light fill, text ``#1b1b1b``: every part needed to read the chart has at
least 3:1 contrast (WCAG 2.1 1.4.11) and all text at least 4.5:1 (1.4.3). The two bars of a
pair differ in shape (outline against solid) as well as colour, and the legend says which is
which.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from markupsafe import Markup, escape

INK, MUTED, GRID = "#1b1b1b", "#4a4a4a", "#c9d1d9"
EXECUTED_FILL = "#00607a"
PLAN_FILL, PLAN_STROKE = "#e3ecef", "#4a4a4a"

WIDTH = 720
LABEL_WIDTH = 250
RIGHT_MARGIN = 130
TOP = 34
BOTTOM = 48
BAR = 14
BAR_GAP = 3
GROUP = 54  # vertical room of one category: two bars and up to three label lines
LABEL_CHARS = 31
LABEL_LINES = 3
FONT = 12

#: chart units: (name, divisor from thousand tenge), chosen so axis numbers stay short
UNITS = (("billion", Decimal(10) ** 6), ("million", Decimal(10) ** 3), ("thousand", Decimal(1)))


@dataclass(frozen=True)
class Bar:
    """One category: its label, the plan (outlined bar) and the executed amount (solid bar)."""

    label: str
    plan: Decimal
    value: Decimal
    note: str = ""  # shown after the executed value, e.g. "73,4 %"


def choose_unit(maximum: Decimal) -> tuple[str, Decimal]:
    """The largest unit in which the biggest amount (in thousand tenge) is at least 10."""
    for name, divisor in UNITS:
        if maximum / divisor >= 10:
            return name, divisor
    return UNITS[-1]


def nice_ticks(maximum: Decimal, count: int = 4) -> list[Decimal]:
    """0 and a few round steps (1, 2, 2.5 or 5 times a power of ten) reaching ``maximum``."""
    if maximum <= 0:
        return [Decimal(0), Decimal(1)]
    raw = maximum / count
    power = Decimal(10) ** (raw.adjusted())
    step = next(power * m for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5),
                                    Decimal(10)) if power * m >= raw)
    ticks = [Decimal(0)]
    while ticks[-1] < maximum:
        ticks.append(ticks[-1] + step)
    return ticks


def wrap_label(text: str) -> list[str]:
    lines = textwrap.wrap(text, LABEL_CHARS, break_long_words=True) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][:LABEL_CHARS - 1].rstrip() + "…"
    return lines


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _rect(x: float, y: float, width: float, height: float, *, fill: str,
          stroke: str | None = None) -> str:
    line = f' stroke="{stroke}"' if stroke else ""
    return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
            f'fill="{fill}"{line}/>')


def _text(x: float, y: float, text: str, *, anchor: str | None = None, fill: str | None = None,
          bold: bool = False) -> str:
    attrs = (f' text-anchor="{anchor}"' if anchor else "") + (f' fill="{fill}"' if fill else "")
    attrs += ' font-weight="600"' if bold else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{attrs}>{escape(text)}</text>'


def hbar_chart(bars: list[Bar], *, chart_id: str, title: str, desc: str, axis_label: str,
               plan_label: str, value_label: str, number: Callable[[Decimal], str],
               tick_number: Callable[[Decimal], str] | None = None) -> Markup:
    """A horizontal bar chart: per category an outlined plan bar over a solid executed bar,
    value labels at the bar ends, an x axis with round ticks and its label, a legend.

    Amounts are already in the chart's unit (see :func:`choose_unit`); ``number`` writes the
    value labels, ``tick_number`` (default ``number``) the axis."""
    tick_number = tick_number or number
    plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    height = TOP + GROUP * len(bars) + BOTTOM
    ticks = nice_ticks(max([max(b.plan, b.value) for b in bars] or [Decimal(0)]))
    top_tick = ticks[-1]

    def x(value: Decimal) -> float:
        return LABEL_WIDTH + float(value / top_tick) * plot if top_tick else LABEL_WIDTH

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
           f'aria-labelledby="{title_id} {desc_id}" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-size="{FONT}" fill="{INK}">',
           f'<title id="{title_id}">{escape(title)}</title>',
           f'<desc id="{desc_id}">{escape(desc)}</desc>']
    # legend
    out.append(_rect(LABEL_WIDTH, 8, 14, 12, fill=PLAN_FILL, stroke=PLAN_STROKE)
               + _text(LABEL_WIDTH + 20, 18, plan_label)
               + _rect(LABEL_WIDTH + 200, 8, 14, 12, fill=EXECUTED_FILL)
               + _text(LABEL_WIDTH + 220, 18, value_label))
    # grid and axis
    axis_y = TOP + GROUP * len(bars)
    for tick in ticks:
        tx = _n(x(tick))
        out.append(f'<line x1="{tx}" y1="{TOP - 4}" x2="{tx}" y2="{axis_y}" stroke="{GRID}"/>'
                   + _text(x(tick), axis_y + 16, tick_number(tick), anchor="middle", fill=MUTED))
    out.append(f'<line x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{axis_y}" '
               f'stroke="{MUTED}"/>'
               f'<line x1="{LABEL_WIDTH}" y1="{axis_y}" x2="{LABEL_WIDTH + plot}" y2="{axis_y}" '
               f'stroke="{MUTED}"/>'
               + _text(LABEL_WIDTH + plot / 2, axis_y + 38, axis_label, anchor="middle"))
    # bars
    for i, bar in enumerate(bars):
        top = TOP + GROUP * i
        lines = wrap_label(bar.label)
        first = top + GROUP / 2 - (len(lines) - 1) * 7 + 4
        spans = "".join(f'<tspan x="{LABEL_WIDTH - 8}" y="{_n(first + 14 * k)}">{escape(line)}'
                        f"</tspan>" for k, line in enumerate(lines))
        out.append(f'<text text-anchor="end">{spans}</text>')
        plan_y = top + (GROUP - 2 * BAR - BAR_GAP) / 2
        value_y = plan_y + BAR + BAR_GAP
        plan_x, value_x = x(bar.plan), x(bar.value)
        note = f" · {bar.note}" if bar.note else ""
        out.append(_rect(LABEL_WIDTH, plan_y, max(plan_x - LABEL_WIDTH, 1), BAR,
                         fill=PLAN_FILL, stroke=PLAN_STROKE)
                   + _text(plan_x + 5, plan_y + BAR - 3, number(bar.plan)))
        out.append(_rect(LABEL_WIDTH, value_y, max(value_x - LABEL_WIDTH, 1), BAR,
                         fill=EXECUTED_FILL)
                   + _text(value_x + 5, value_y + BAR - 3, number(bar.value) + note, bold=True))
    out.append("</svg>")
    return Markup("\n".join(out))


SINGLE_GROUP = 34  # vertical room of one category in a one-series chart


def value_chart(items: list[tuple[str, Decimal]], *, chart_id: str, title: str, desc: str,
                number: Callable[[Decimal], str]) -> Markup:
    """A horizontal bar chart of one series (a table's first numeric column), with the
    same accessible frame as :func:`hbar_chart`: role, title, description, value labels."""
    plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    height = 12 + SINGLE_GROUP * len(items) + 12
    top_value = max([v for _, v in items] or [Decimal(0)]) or Decimal(1)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
           f'aria-labelledby="{title_id} {desc_id}" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-size="{FONT}" fill="{INK}">',
           f'<title id="{title_id}">{escape(title)}</title>',
           f'<desc id="{desc_id}">{escape(desc)}</desc>',
           f'<line x1="{LABEL_WIDTH}" y1="8" x2="{LABEL_WIDTH}" y2="{height - 8}" stroke="{MUTED}"/>']
    for i, (label, value) in enumerate(items):
        top = 12 + SINGLE_GROUP * i
        lines = wrap_label(label)
        if len(lines) > 2:
            lines = [lines[0], lines[1][:LABEL_CHARS - 1].rstrip() + "…"]
        first = top + SINGLE_GROUP / 2 - (len(lines) - 1) * 7 + 4
        spans = "".join(f'<tspan x="{LABEL_WIDTH - 8}" y="{_n(first + 14 * k)}">{escape(line)}'
                        f"</tspan>" for k, line in enumerate(lines))
        out.append(f'<text text-anchor="end">{spans}</text>')
        width = max(float(value / top_value) * plot, 1)
        bar_y = top + (SINGLE_GROUP - BAR) / 2
        out.append(_rect(LABEL_WIDTH, bar_y, width, BAR, fill=EXECUTED_FILL)
                   + _text(LABEL_WIDTH + width + 5, bar_y + BAR - 3, number(value), bold=True))
    out.append("</svg>")
    return Markup("\n".join(out))
