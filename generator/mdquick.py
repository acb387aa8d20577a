"""The content format's common case rendered without Python-Markdown, to the same bytes (issue 10).

Python-Markdown builds an element tree, runs some thirty processors over it and serializes it:
about 1.4 ms of CPU a passport file, 56 s of a cold build of 20,000 passports in two
languages. Nearly every file uses a small part of the format - the metadata block, ``##``
headings with ``{#id}`` part anchors, paragraphs, tight ``-`` and ``1.`` lists, pipe tables
and ``**strong**`` text - and that part is rendered here, line by line, to exactly the HTML the
site's Markdown settings give (``pelicanconf.MARKDOWN``: "extra", "meta", the site's tables
and inline pass), in about a tenth of the time.

Anything else - a link, an emphasis, raw HTML, an entity, a code span, a nested or loose list,
an indented line, a block this module does not classify with certainty - makes
:func:`render` return ``None``, and the file goes through Python-Markdown as before. The
rules below are those of Python-Markdown 3.x's block and inline processors (named where they
matter); ``tests/test_mdquick.py`` compares both on every sample file, on a synthetic corpus
and on generated documents that mix every construct accepted here with those that are not.
"""
from __future__ import annotations

import os
import re

import markdown
from markdown.extensions.meta import BEGIN_RE, END_RE, META_MORE_RE, META_RE

from generator.mdtables import CLASSES, DIGIT_SPACE, HEADINGS, NUMBER

#: The Python-Markdown versions whose processors this module follows (tested); another
#: version renders every file through Python-Markdown.
KNOWN_VERSIONS = ("3.11",)
#: Characters NormalizeWhitespace changes before the metadata is read (tabs, carriage
#: returns, Python-Markdown's own placeholders' markers).
ANYWHERE = re.compile(r"[\t\r\x02\x03]")
#: Characters that start an inline construct other than ``**`` or a block this module leaves
#: to Python-Markdown (links, footnotes, abbreviations, raw HTML, entities, code, escapes,
#: underscores' emphasis), controls and line separators (also ``***``, and a line that starts
#: or ends with white space: :func:`plain_body`).
IN_BODY = re.compile(r"[<&\\`_\[\]\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
#: A line Python-Markdown would read as the start of a block (heading, list item, quote,
#: definition, fence, horizontal rule or setext underline, table row) - not a plain line.
BLOCK_START = re.compile(r"#|[*+-] |[*+-]$|\d+\. |>|:|~|\||[-=*_ ]+$")
HEADING = re.compile(r"(#{1,6}) (?=\S)([^#{}]*?)(?: \{#([A-Za-z0-9-]+)\})?")
UL_ITEM = re.compile(r"- (?=\S)(.*)")
OL_ITEM = re.compile(r"\d+\. (?=\S)(.*)")
SEPARATOR_CELL = re.compile(r" *:?-+:? *")
ATTRIBUTE_ESCAPES = str.maketrans({">": "&gt;", '"': "&quot;"})


class NotQuick(Exception):
    """The text uses more of Markdown than this module renders."""


def render(text: str) -> tuple[str, dict[str, list[str]]] | None:
    """``(html, meta)`` as ``Markdown.convert(text)`` and ``Markdown.Meta`` would give them
    with the site's settings, or ``None`` if the text is not in the part rendered here."""
    if not markdown.__version__.startswith(KNOWN_VERSIONS) or ANYWHERE.search(text):
        return None
    meta, body = read_meta(text.split("\n") + ["", ""])
    if not plain_body(body):
        return None
    try:
        return render_blocks(blocks_of(body)), meta
    except NotQuick:
        return None


def plain_body(lines: list[str]) -> bool:
    """No character of IN_BODY, no ``***``, and no line that starts or ends with white space
    (indented code, list continuations, hard breaks, strip differences). (One pattern for all
    of it, anchored at every line's edges, was a quarter of the time of a passport's file.)"""
    body = "\n".join(lines)
    if IN_BODY.search(body) or "***" in body:
        return False
    for line in lines:  # (no line holds a "\n": [^\S\n] is str.isspace here)
        if line and (line[0].isspace() or line[-1].isspace()):
            return False
    return True


def render_file(path: str | os.PathLike) -> str | None:
    """The HTML of the Markdown file at ``path``, read as Pelican reads it (UTF-8 without its
    byte-order mark, universal newlines), or ``None``: it is not in the part rendered here.
    Such a file has no link to another file of the site (Pelican's ``{filename}`` links are
    in brackets), so Pelican's reader would give this HTML unchanged."""
    with open(path, encoding="utf-8-sig") as f:
        answer = render(f.read())
    return None if answer is None else answer[0]


def read_meta(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The meta extension's preprocessor: the metadata and the lines after it."""
    meta: dict[str, list[str]] = {}
    key = None
    start = 1 if lines and BEGIN_RE.match(lines[0]) else 0
    for index in range(start, len(lines)):
        line = lines[index]
        if line.strip() == "" or END_RE.match(line):
            return meta, lines[index + 1:]
        if m := META_RE.match(line):
            key = m.group("key").lower().strip()
            meta.setdefault(key, []).append(m.group("value").strip())
        elif (m := META_MORE_RE.match(line)) and key:
            meta[key].append(m.group("value").strip())
        else:
            return meta, lines[index:]
    return meta, []


def blocks_of(lines: list[str]) -> list[list[str]]:
    """The runs of non-empty lines (Python-Markdown's blocks, split at blank lines)."""
    blocks, block = [], []
    for line in lines:
        if line:
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    return blocks


def render_blocks(blocks: list[list[str]]) -> str:
    """The HTML of the body's blocks, one element each, a line break between them (the
    serialized tree of Python-Markdown's prettify step); :class:`NotQuick` if a block is not
    one this module renders with certainty."""
    out: list[str] = []
    heading = ""  # the text of the last h1-h4 (mdtables names a table's region by it)
    last = None  # the tag of the last element (a list after a list continues it, loosely)
    for block in blocks:
        first = block[0]
        if first[0] == "#":
            if len(block) > 1 or not (m := HEADING.fullmatch(first)):
                raise NotQuick
            tag = f"h{len(m.group(1))}"
            inner, plain = inline(m.group(2).rstrip())
            anchor = f' id="{m.group(3)}"' if m.group(3) else ""
            out.append(f"<{tag}{anchor}>{inner}</{tag}>")
            if tag in HEADINGS:
                heading = " ".join(plain.split())
        elif first[0] == "|":
            out.append(table(block, heading))
            tag = "table"
        elif UL_ITEM.match(first) or OL_ITEM.match(first):
            if last in ("ul", "ol"):
                raise NotQuick
            tag = "ul" if first[0] == "-" else "ol"
            out.append(items(block, UL_ITEM if tag == "ul" else OL_ITEM, tag))
        else:
            text = "\n".join(plain_line(line) for line in block)
            out.append(f"<p>{inline(text)[0]}</p>")
            tag = "p"
        last = tag
    return "\n".join(out)


def plain_line(line: str) -> str:
    """``line`` if no block processor reads it as more than a paragraph's text."""
    if BLOCK_START.match(line) or "|" in line or "{" in line or "}" in line:
        raise NotQuick
    return line


def items(block: list[str], item: re.Pattern, tag: str) -> str:
    """A tight list: every line an item of the same kind, each item's text plain."""
    lines = [f"<{tag}>"]
    for line in block:
        if not (m := item.fullmatch(line)):
            raise NotQuick
        lines.append(f"<li>{inline(plain_line(m.group(1)))[0]}</li>")
    lines.append(f"</{tag}>")
    return "\n".join(lines)


def table(block: list[str], heading: str) -> str:
    """The tables extension's table (``use_align_attribute``) as mdtables leaves it: columns
    aligned by class, numbers kept whole, the table in a scrolling region named by the last
    heading (or its first header cell)."""
    if len(block) < 3 or not all(line[-1] == "|" and line[0] == "|" for line in block):
        raise NotQuick
    rows = [line[1:-1].split("|") for line in block]
    width = len(rows[0])
    if width < 2 or any(len(row) != width for row in rows) or "{" in "".join(block) \
            or not all(SEPARATOR_CELL.fullmatch(cell) for cell in rows[1]):
        raise NotQuick
    classes = []
    for cell in rows[1]:
        cell = cell.strip(" ")
        align = "center" if cell[0] == ":" and cell[-1] == ":" else "left" if cell[0] == ":" \
            else "right" if cell[-1] == ":" else None
        classes.append(f' class="{CLASSES[align]}"' if align else "")
    label = heading or " ".join(rows[0][0].replace("**", "").split())
    out = [f'<div aria-label="{label.translate(ATTRIBUTE_ESCAPES)}" class="scroll" '
           'role="region" tabindex="0"><table>', "<thead>"]
    for index, row in enumerate(rows):
        if index == 1:
            out.append("</thead>\n<tbody>")
            continue
        cell_tag = "th" if index == 0 else "td"
        texts = [text.strip(" ") for text in row]
        if "*" in block[index] or ">" in block[index]:
            texts = [inline(text, whole_numbers=True)[0] for text in texts]
        else:  # (the inline pass's plain case, a call less a cell: most rows)
            texts = [DIGIT_SPACE.sub("\u00a0", text) if NUMBER.match(text.strip()) else text
                     for text in texts]
        out.append("<tr>")
        out.extend([f"<{cell_tag}{cls}>{text}</{cell_tag}>" for text, cls in zip(texts, classes)])
        out.append("</tr>")
    out.append("</tbody>\n</table></div>")
    return "\n".join(out)


def inline(text: str, whole_numbers: bool = False) -> tuple[str, str]:
    """The inline pass on ``text`` holding no markup but ``**strong**`` pairs: ``(html,
    plain text)``. Each pair's text starts and ends with no white space (else Python-Markdown's
    ``not_strong`` pattern reads the stars literally). ``whole_numbers``: mdtables' no-break
    spaces in a cell's own text and in each strong text that is a number."""
    if "*" not in text:
        if whole_numbers and NUMBER.match(text.strip()):
            text = DIGIT_SPACE.sub("\u00a0", text)
        return text.replace(">", "&gt;"), text
    pieces = text.split("**")
    if len(pieces) % 2 == 0:
        raise NotQuick
    html = []
    for index, piece in enumerate(pieces):
        if "*" in piece:
            raise NotQuick
        strong = index % 2 == 1
        if strong and (not piece or piece[0].isspace() or piece[-1].isspace()):
            raise NotQuick
        if whole_numbers and (strong or index == 0) and piece and NUMBER.match(piece.strip()):
            piece = DIGIT_SPACE.sub("\u00a0", piece)
        piece = piece.replace(">", "&gt;")
        html.append(f"<strong>{piece}</strong>" if strong else piece)
    return "".join(html), "".join(pieces)
