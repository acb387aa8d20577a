"""One content file's text: its metadata block, its ``##`` parts, and what reading it keeps.

Pure functions of a file's bytes (``generator.content`` caches their results by the file's
stat, and forked processes run them on shares of a cold build's files).
"""
from __future__ import annotations

import hashlib
import re

from ashyq.doctypes import DOC_TYPES
from generator.letters import LetterCounts, letter_counts

META_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:\s?(.*)$")
PART_HEADING = re.compile(r"^##(?!#)\s*(.*?)\s*$")
PART_ID_SUFFIX = re.compile(r"\s*\{\s*#([^}\s]*)\s*\}\s*$")
FENCE = re.compile(r"^(```|~~~)")
#: Metadata values up to this long are kept once for all files (:func:`shared`)
SHORT_VALUE = 40
_SHARED: dict = {}
#: Values kept at most (a long-lived process sees the content change many times)
SHARED_AT_MOST = 500_000


def shared(value, key=None):
    """One object for all equal ``value``s (immutable; ``key``: what tells them equal if not
    the value itself): metadata keys and short values, part headings, parts, dates. The
    content cache's pickles then hold each once (60,000 entries of 20,000 passports: 70 MB
    and 0.4 s to read without, 25 MB and 0.2 s with), and so does the index. Only small,
    much repeated values; the table starts again past SHARED_AT_MOST entries."""
    if len(_SHARED) > SHARED_AT_MOST:  # a long-lived process (the worker, the preview)
        _SHARED.clear()  # sharing is only a saving: start again
    return _SHARED.setdefault(value if key is None else key, value)


def parse_header(text: str) -> tuple[dict[str, str], list[str], int]:
    """The metadata block (``key: value`` lines up to the first blank line), the body lines
    and how many lines precede the body."""
    lines = text.lstrip("\ufeff").splitlines()
    meta: dict[str, str] = {}
    last = None
    for i, line in enumerate(lines):
        if not line.strip():
            return meta, lines[i + 1:], i + 1
        match = META_LINE.match(line)
        if match:
            last = shared(match.group(1).lower())
            value = match.group(2).strip()
            meta[last] = shared(value) if len(value) <= SHORT_VALUE else value
        elif last and line[:1] in " \t":  # continuation line, as Markdown's meta extension
            meta[last] = f"{meta[last]} {line.strip()}"
        else:
            return meta, lines[i:], i
    return meta, [], len(lines)


def read_parts(body: list[str], first_line: int = 1) -> list[tuple[str | None, str, int]]:
    """``(id, heading text, line number)`` of every ``##`` heading outside fenced code."""
    parts, fenced = [], False
    for number, line in enumerate(body, first_line):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        match = None if fenced else PART_HEADING.match(line)
        if match:
            text = match.group(1)
            suffix = PART_ID_SUFFIX.search(text)
            part_id = suffix.group(1) if suffix else None
            title = PART_ID_SUFFIX.sub("", text).strip().strip("#").strip()
            parts.append((part_id and shared(part_id), shared(title), number))
    return parts


def content_hash(text: str | bytes) -> str:
    """A short hash of a text or of bytes (the record's and the cache's digests)."""
    return hashlib.blake2b(text.encode() if isinstance(text, str) else text,
                           digest_size=12).hexdigest()


def parse_file(data: bytes) -> tuple[dict[str, str] | None, list, str, str, LetterCounts]:
    """A file's metadata, its part headings (passports and reports), the hash of its bytes,
    the hash of what lists show of it (metadata and headings) and the letters of its title and
    body (the R3 language check). Not UTF-8 text: no metadata, the first bad byte's offset."""
    try:
        meta, body, offset = parse_header(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [exc.start], content_hash(data), "", LetterCounts(0, 0, 0)
    doc_type = DOC_TYPES.get(meta.get("type", ""))
    parts = read_parts(body, offset + 1) if doc_type and doc_type.discussion else []
    shown = [(part_id, title) for part_id, title, _line in parts]  # lines: for messages only
    return (meta, parts, content_hash(data), content_hash(repr((sorted(meta.items()), shown))),
            letter_counts(meta.get("title", "") + "\n" + "\n".join(body)))
