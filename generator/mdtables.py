"""A Markdown extension for tables that fit a phone and the site's security policy.

Python-Markdown's tables extension aligns columns with ``style="text-align: …"`` (blocked by
the site's CSP, ``style-src 'self'``) or, with ``use_align_attribute``, with ``align`` (obsolete
in HTML5). This tree processor turns either into a class (``num`` for right-aligned number
columns, ``align-center``, ``align-left``), keeps numbers whole (the spaces that group digits
become no-break spaces) and puts every table in its own scrolling region: a focusable
``role="region"`` labelled by the heading above it, so a wide table scrolls inside itself
instead of making the page scroll sideways on a phone.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Extension
from markdown.treeprocessors import Treeprocessor

ALIGN_STYLE = re.compile(r"text-align:\s*(left|right|center)", re.I)
NUMBER = re.compile(r"^[-−+–]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?\s*%?$")
DIGIT_SPACE = re.compile(r"(?<=\d) (?=\d)")
HEADINGS = ("h1", "h2", "h3", "h4")
CLASSES = {"right": "num", "center": "align-center", "left": "align-left"}


def _text(el: etree.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _keep_numbers_whole(cell: etree.Element) -> None:
    """"1 234,5" stays on one line: digit-group spaces become U+00A0."""
    for el in cell.iter():
        if el.text and NUMBER.match(el.text.strip()):
            el.text = DIGIT_SPACE.sub("\u00a0", el.text)


def _first_header(table: etree.Element) -> str:
    """A table without a heading above it is named by its first header cell."""
    cell = table.find(".//th")
    return _text(cell) if cell is not None else "—"


class TableTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        heading = ""
        parents = {child: parent for parent in root.iter() for child in parent}
        for el in list(root.iter()):
            if el.tag in HEADINGS:
                heading = _text(el)
            if el.tag in ("th", "td"):
                self._align(el)
                _keep_numbers_whole(el)
            if el.tag == "table" and el in parents:
                parent = parents[el]
                index = list(parent).index(el)
                region = etree.Element("div", {"class": "scroll", "tabindex": "0", "role": "region",
                                               "aria-label": heading or _first_header(el)})
                parent.remove(el)
                region.append(el)
                region.tail, el.tail = el.tail, None
                parent.insert(index, region)

    @staticmethod
    def _align(cell: etree.Element) -> None:
        align = cell.attrib.pop("align", None)
        style = cell.attrib.pop("style", None)
        if style and (match := ALIGN_STYLE.search(style)):
            align = match.group(1)
        if align and align.lower() in CLASSES:
            classes = [cell.get("class"), CLASSES[align.lower()]]
            cell.set("class", " ".join(c for c in classes if c))


class TableExtension(Extension):
    """``generator.mdtables:TableExtension`` in Pelican's MARKDOWN settings."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Python-Markdown's API
        # After "inline" (priority 20): cells hold their final text by then.
        md.treeprocessors.register(TableTreeprocessor(md), "ashyq_tables", 5)


def makeExtension(**kwargs) -> TableExtension:  # noqa: N802 - Python-Markdown's API
    return TableExtension(**kwargs)
