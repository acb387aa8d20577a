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

TOP = 34
BOTTOM = 48
BAR = 14
BAR_GAP = 3
LINE = 16  # one label line
PAD = 10  # vertical room around a category
LABEL_LINES = 4


@dataclass(frozen=True)
class Layout:
    """One drawing of a chart. A page carries both: the wide one (labels left of the bars)
    for screens wider than 40rem, the narrow one (labels above the bars, drawn 360 units wide
    at 14 units a letter) on phones, where it is scaled to about 330 px: text stays at least
    12 px. CSS shows one (``svg.chart-wide``/``svg.chart-narrow``); the other is
    ``display: none`` and so out of the accessibility tree too."""

    name: str
    width: int
    font: int
    label_width: int  # 0: labels above the bars
    right: int  # room after the longest bar for its value label
    label_chars: int


WIDE = Layout("wide", 760, 13, 290, 150, 34)
NARROW = Layout("narrow", 360, 14, 0, 128, 42)
FONT = WIDE.font

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


def wrap_label(text: str, chars: int = WIDE.label_chars) -> list[str]:
    """Up to four lines; only a longer label is cut (with "…")."""
    lines = textwrap.wrap(text, chars, break_long_words=True) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][:chars - 1].rstrip() + "…"
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


@dataclass(frozen=True)
class _Series:
    value: Decimal
    fill: str
    stroke: str | None
    text: str
    bold: bool


def _draw(rows: list[tuple[str, list[_Series]]], layout: Layout, *, chart_id: str, title: str,
          desc: str, legend: list[tuple[str, str, str | None]], ticks: list[Decimal] | None,
          tick_number: Callable[[Decimal], str] | None, axis_label: str) -> str:
    """One drawing: per row its label (left of or above its bars) and its bars, each with its
    value at the end; optional legend on top and axis with round ticks below."""
    left = layout.label_width
    plot = layout.width - left - layout.right
    top_value = (ticks[-1] if ticks else max([s.value for _l, ss in rows for s in ss] or [0])) or 1

    def x(value: Decimal) -> float:
        return left + float(value / top_value) * plot

    legend_x = [left]
    for label, _f, _s in legend:
        legend_x.append(legend_x[-1] + 40 + len(label) * layout.font * 0.6)
    stacked = legend_x[-1] > layout.width  # one legend entry a line when they do not fit
    top = (20 * len(legend) + 14 if stacked else TOP) if legend else 8
    body, y = [], top
    for label, series in rows:
        lines = wrap_label(label, layout.label_chars)
        bars_h = len(series) * BAR + (len(series) - 1) * BAR_GAP
        if left:  # labels left, centred on the bars
            height = max(len(lines) * LINE, bars_h) + PAD
            first = y + height / 2 - (len(lines) - 1) * LINE / 2 + 4
            bar_y = y + (height - bars_h) / 2
            spans = "".join(f'<tspan x="{left - 8}" y="{_n(first + LINE * k)}">{escape(line)}</tspan>'
                            for k, line in enumerate(lines))
            body.append(f'<text text-anchor="end">{spans}</text>')
        else:  # labels above
            height = len(lines) * LINE + 4 + bars_h + PAD
            spans = "".join(f'<tspan x="0" y="{_n(y + LINE * (k + 1) - 3)}">{escape(line)}</tspan>'
                            for k, line in enumerate(lines))
            body.append(f"<text>{spans}</text>")
            bar_y = y + len(lines) * LINE + 4
        for s in series:
            end = x(s.value)
            body.append(_rect(left, bar_y, max(end - left, 1), BAR, fill=s.fill, stroke=s.stroke)
                        + _text(end + 5, bar_y + BAR - 3, s.text, bold=s.bold))
            bar_y += BAR + BAR_GAP
        y += height
    axis_y = y
    height = axis_y + (BOTTOM if ticks else 8)
    suffix = "" if layout is WIDE else f"-{layout.name}"
    title_id, desc_id = f"{chart_id}{suffix}-title", f"{chart_id}{suffix}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart chart-{layout.name}" '
           f'aria-labelledby="{title_id} {desc_id}" width="{layout.width}" height="{_n(height)}" '
           f'viewBox="0 0 {layout.width} {_n(height)}" font-size="{layout.font}" fill="{INK}">',
           f'<title id="{title_id}">{escape(title)}</title>',
           f'<desc id="{desc_id}">{escape(desc)}</desc>']
    for i, (label, fill, stroke) in enumerate(legend):
        lx, ly = (left, 8 + 20 * i) if stacked else (legend_x[i], 8)
        out.append(_rect(lx, ly, 14, 12, fill=fill, stroke=stroke) + _text(lx + 20, ly + 10, label))
    if ticks:
        for tick in ticks:
            tx = _n(x(tick))
            out.append(f'<line x1="{tx}" y1="{top - 4}" x2="{tx}" y2="{_n(axis_y)}" stroke="{GRID}"/>'
                       + _text(x(tick), axis_y + 16, tick_number(tick), fill=MUTED,
                               anchor="start" if x(tick) < 20 else
                               "end" if x(tick) > layout.width - 20 else "middle"))
        out.append(f'<line x1="{left}" y1="{_n(axis_y)}" x2="{left + plot}" y2="{_n(axis_y)}" '
                   f'stroke="{MUTED}"/>'
                   + _text(left + plot / 2, axis_y + 38, axis_label, anchor="middle"))
    out.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{_n(axis_y)}" '
               f'stroke="{MUTED}"/>')
    out += body
    out.append("</svg>")
    return "\n".join(out)


def _both(rows, **kwargs) -> Markup:
    """The wide and the narrow drawing of one chart (CSS shows one)."""
    return Markup("\n".join(_draw(rows, layout, **kwargs) for layout in (WIDE, NARROW)))


def hbar_chart(bars: list[Bar], *, chart_id: str, title: str, desc: str, axis_label: str,
               plan_label: str, value_label: str, number: Callable[[Decimal], str],
               tick_number: Callable[[Decimal], str] | None = None) -> Markup:
    """A horizontal bar chart: per category an outlined plan bar over a solid executed bar,
    value labels at the bar ends, an x axis with round ticks and its label, a legend.
    Categories are drawn largest executed amount first.

    Amounts are already in the chart's unit (see :func:`choose_unit`); ``number`` writes the
    value labels, ``tick_number`` (default ``number``) the axis."""
    ordered = sorted(bars, key=lambda b: (-b.value, -b.plan, b.label))
    rows = [(b.label, [_Series(b.plan, PLAN_FILL, PLAN_STROKE, number(b.plan), False),
                       _Series(b.value, EXECUTED_FILL, None,
                               number(b.value) + (f" · {b.note}" if b.note else ""), True)])
            for b in ordered]
    ticks = nice_ticks(max([max(b.plan, b.value) for b in bars] or [Decimal(0)]))
    return _both(rows, chart_id=chart_id, title=title, desc=desc, ticks=ticks,
                 tick_number=tick_number or number, axis_label=axis_label,
                 legend=[(plan_label, PLAN_FILL, PLAN_STROKE), (value_label, EXECUTED_FILL, None)])


def value_chart(items: list[tuple[str, Decimal]], *, chart_id: str, title: str, desc: str,
                number: Callable[[Decimal], str]) -> Markup:
    """A horizontal bar chart of one series (a table's first numeric column), largest first,
    with the same accessible frame as :func:`hbar_chart`: role, title, description, values."""
    ordered = sorted(items, key=lambda item: (-item[1], item[0]))
    rows = [(label, [_Series(value, EXECUTED_FILL, None, number(value), True)])
            for label, value in ordered]
    return _both(rows, chart_id=chart_id, title=title, desc=desc, ticks=None, tick_number=None,
                 axis_label="", legend=[])
