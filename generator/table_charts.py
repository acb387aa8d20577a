"""Charts for the tables editors write in Markdown (R6 citizen's budget, R5 statements, R4
budget reporting): each table with a numeric column gets an accessible SVG bar chart before
it; the table stays beside the chart as its data. Total rows (bold) are left out of the chart.

The label of a row is its last text column before the numbers. A citizen's budget or a
statement charts its first numeric column; budget reporting follows the execution report's
form (…, plan for the period, executed, % of the plan): the plan outlined, the executed amount
solid, the share as its note.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html import unescape

from babel.numbers import format_decimal
from markupsafe import Markup

from generator.charts import Bar, hbar_chart, value_chart

# A table and the scrolling region generator.mdtables puts around it.
TABLE = re.compile(r'(?:<div[^>]*class="scroll"[^>]*>)?<table>.*?</table>', re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
HEADING = re.compile(r"<h[23][^>]*>(.*?)</h[23]>", re.S)
UNIT = re.compile(r"<p>([^<]{1,40})</p>\s*$")
TAG = re.compile(r"<[^>]+>")
CHARTED_TYPES = ("citizens_budget", "financial_statements", "budget_reporting")
PLAN_EXECUTED_TYPES = ("budget_reporting",)


def _text(html: str) -> str:
    return unescape(TAG.sub("", html)).strip()


def _number(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _rows(table: str) -> tuple[list[str], list[tuple[str, list[Decimal]]]] | None:
    """(header, [(label, numbers)]) of a table whose rows end in numeric columns."""
    rows = ROW.findall(table)
    if len(rows) < 3:
        return None
    header = [_text(c) for c in CELL.findall(rows[0])]
    out = []
    for row in rows[1:]:
        cells = CELL.findall(row)
        if any("<strong>" in c for c in cells):
            continue  # a total row
        texts = [_text(c) for c in cells]
        numbers = [_number(t) for t in texts]
        first = next((i for i in range(len(texts)) if numbers[i] is not None
                      and all(n is not None for n in numbers[i:])), None)
        if not first or any(n < 0 for n in numbers[first:]):
            return None
        out.append((texts[first - 1], header, first, numbers[first:]))
    if len(out) < 2 or len({first for _l, _h, first, _n in out}) != 1:
        return None
    first = out[0][2]
    return header[first:], [(label, numbers) for label, _h, _f, numbers in out]


def add_charts(html: str, uid: str, lang: str, doc_type: str = "") -> Markup:
    """``html`` with a chart before every numeric table, titled by the heading above it."""
    def number(value: Decimal) -> str:
        return format_decimal(value, "#,##0.###", locale=lang)

    out, last, count = [], 0, 0
    for match in TABLE.finditer(html):
        found = _rows(match.group(0))
        if found is None:
            continue
        columns, rows = found
        headings = HEADING.findall(html, 0, match.start())
        heading = _text(headings[-1]) if headings else uid
        unit = UNIT.search(html, 0, match.start())
        unit = _text(unit.group(1)) if unit and unit.end() >= match.start() - 2 else ""
        count += 1
        chart_id = f"chart-{uid}-{count}"
        if doc_type in PLAN_EXECUTED_TYPES and len(columns) >= 3:
            bars = [Bar(label, n[-3], n[-2], format_decimal(n[-1], locale=lang) + "\u00a0%")
                    for label, n in rows]
            top = max(bars, key=lambda b: b.value)
            title = f"{heading}" + (f" ({unit})" if unit else "")
            desc = (f"{columns[-3]} / {columns[-2]}. {top.label}: {number(top.value)}"
                    + (f" {unit}" if unit else ""))
            chart = hbar_chart(bars, chart_id=chart_id, title=title, desc=desc,
                               axis_label=unit, plan_label=columns[-3], value_label=columns[-2],
                               number=number)
        else:
            items = [(label, n[0]) for label, n in rows]
            top = max(items, key=lambda item: item[1])
            title = f"{heading} ({columns[0]})"
            chart = value_chart(items, chart_id=chart_id, title=title,
                                desc=f"{top[0]}: {number(top[1])} {columns[0]}", number=number)
        out += [html[last:match.start()], chart, "\n"]
        last = match.start()
    out.append(html[last:])
    return Markup("".join(out))
