"""Charts for the tables editors write in Markdown (R6 citizen's budget, R5 statements): each
table whose second column is numeric gets an accessible SVG bar chart before it; the table
stays beside the chart as its data. Total rows (bold) are left out of the chart."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html import unescape

from babel.numbers import format_decimal
from markupsafe import Markup

from generator.charts import value_chart

TABLE = re.compile(r"<table>.*?</table>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
HEADING = re.compile(r"<h[23][^>]*>(.*?)</h[23]>", re.S)
TAG = re.compile(r"<[^>]+>")
CHARTED_TYPES = ("citizens_budget", "financial_statements")


def _text(html: str) -> str:
    return unescape(TAG.sub("", html)).strip()


def _number(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _series(table: str) -> tuple[str, list[tuple[str, Decimal]]] | None:
    rows = ROW.findall(table)
    if len(rows) < 3:
        return None
    header = [_text(c) for c in CELL.findall(rows[0])]
    items = []
    for row in rows[1:]:
        cells = CELL.findall(row)
        if len(cells) < 2 or "<strong>" in cells[0]:
            continue  # a total row
        value = _number(_text(cells[1]))
        if value is None or value < 0:
            return None
        items.append((_text(cells[0]), value))
    if len(items) < 2 or len(header) < 2:
        return None
    return header[1], items


def add_charts(html: str, uid: str, lang: str) -> Markup:
    """``html`` with a chart before every numeric table, titled by the heading above it."""
    def number(value: Decimal) -> str:
        return format_decimal(value, locale=lang)

    out, last, count = [], 0, 0
    for match in TABLE.finditer(html):
        series = _series(match.group(0))
        if series is None:
            continue
        unit, items = series
        headings = HEADING.findall(html, 0, match.start())
        title = f"{_text(headings[-1]) if headings else uid} ({unit})"
        top = max(items, key=lambda item: item[1])
        desc = f"{top[0]}: {number(top[1])} {unit}"
        count += 1
        out += [html[last:match.start()],
                value_chart(items, chart_id=f"chart-{uid}-{count}", title=title, desc=desc,
                            number=number),
                "\n"]
        last = match.start()
    out.append(html[last:])
    return Markup("".join(out))
