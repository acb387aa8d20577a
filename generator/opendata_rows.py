"""The open data's largest tables made document by document, each document's lines kept
between builds (issue 10).

At 20,000 documents the documents' and parts' tables are 20,000 and 120,000 rows (``parts``
as CSV and JSON: 80 MB); a document added or edited changes a line or a few, yet all were
made again, in the one task of the build that makes ``/opendata/`` (1.7 of the 2.4 seconds
it took, while the other render process had done its share). Here each document's lines are
a row of :class:`generator.rows.Rows`, kept for what the lines show of it: its
:func:`generator.rows.row_key` (metadata, parts, dates, status, its state body's names) and,
for the documents' table, its vote totals in the public snapshot. The files are the bytes
:func:`generator.opendata.table_csv` and :func:`generator.opendata.table_json` make of the
whole tables (tests/test_opendata.py).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from ashyq import tabular
from generator.content import Document, SiteIndex
from generator.opendata import (
    OPENDATA_DIR, Table, _totals, csv_values, document_rows, json_text, part_rows, table_makers,
)
from generator.rows import Rows, row_key

RowsOf = Callable[[Document], list[dict]]


def _documents(index: SiteIndex, snapshot: dict | None) -> tuple[RowsOf, Callable[[Document], str]]:
    totals = (snapshot or {}).get("documents") or {}
    return (lambda doc: document_rows(index, totals, doc),
            lambda doc: repr(_totals(totals.get(doc.uid))))


def _parts(index: SiteIndex, snapshot: dict | None) -> tuple[RowsOf, Callable[[Document], str]]:
    return part_rows, lambda doc: ""


def json_items(names: list[str], rows: list[dict]) -> str:
    """``rows`` as the items of a JSON array, each after ", " (as
    :func:`generator.opendata.table_json` writes them between ``[`` and ``]``, the first
    one's ", " left out)."""
    return "".join([", " + json_text({name: row[name] for name in names}) for row in rows])


#: The tables made document by document: what makes a document's rows, and what they show
#: beyond the document's row key.
BY_DOCUMENT = {"documents": _documents, "parts": _parts}


def rows_tables(index: SiteIndex, snapshot: dict | None, rows_dir: Path) -> dict[str, bytes]:
    """The files of the tables made document by document (:data:`BY_DOCUMENT`), with the
    lines kept in ``rows_dir``: name -> bytes."""
    files: dict[str, bytes] = {}
    # (the first tables: these; made without rows, nor the proposals the others read)
    for make in table_makers(index, snapshot, rows=False)[:len(BY_DOCUMENT)]:
        table = make()
        assert table.name in BY_DOCUMENT, table.name
        files.update(table_files(table, index, snapshot, rows_dir))
    return files


def table_files(table: Table, index: SiteIndex, snapshot: dict | None,
                rows_dir: Path) -> dict[str, bytes]:
    """``table``'s files (made without rows: :func:`generator.opendata.table_makers`),
    document by document, with the lines kept in ``rows_dir``."""
    rows_of, shown = BY_DOCUMENT[table.name](index, snapshot)
    names = [f["name"] for f in table.fields]
    documents = index.discussions
    key = [f"{row_key(doc, index)}\0{shown(doc)}" for doc in documents]  # (each's keys)
    files: dict[str, bytes] = {}
    csv_lines = Rows(rows_dir, f"{OPENDATA_DIR}/{table.name}.csv", binary=True)
    files[f"{table.name}.csv"] = b"".join([tabular.csv_text([names]).encode(), csv_lines.each(
        documents, key, lambda doc: tabular.csv_text(csv_values(names, rows_of(doc))).encode())])
    csv_lines.save()
    if table.json:
        json_lines = Rows(rows_dir, f"{OPENDATA_DIR}/{table.name}.json", binary=True)
        items = json_lines.each(documents, key,
                                lambda doc: json_items(names, rows_of(doc)).encode())
        files[f"{table.name}.json"] = b"".join([b"[", memoryview(items)[2:], b"]\n"])  # a copy
        json_lines.save()
    return files


def with_first_row(table: Table, index: SiteIndex, snapshot: dict | None) -> Table:
    """``table`` (made without rows) with its first row only: the descriptor and the page
    ask only whether it has any."""
    rows_of, _ = BY_DOCUMENT[table.name](index, snapshot)
    for doc in index.discussions:
        first = rows_of(doc)[:1]
        if first:
            return dataclasses.replace(table, rows=first)
    return dataclasses.replace(table, rows=[])
