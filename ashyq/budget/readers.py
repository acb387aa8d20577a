"""Budget files as received (R4, R8): CSV, XLSX or JSON into raw records with their row
numbers; a file that cannot be read is refused whole."""
from __future__ import annotations

import csv
import io
import json
import re
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

from ashyq import jsonread
from ashyq.budget.model import (
    COLUMNS, MAX_PROBLEMS, N_, NAME_COLUMNS, BudgetFileInvalid, Problem, _refuse,
)
from ashyq.tabular import csv_unescape

FORMATS = ("csv", "xlsx", "json")
MAX_ROWS = 100_000
MAX_XLSX_UNPACKED = 128 * 1024 * 1024   # worksheets are streamed; 100,000 rows fit
MAX_XLSX_PART = 16 * 1024 * 1024        # the other parts (shared strings...) are read whole
MAX_COLUMNS = 64
MAX_SHEET_ROWS = 2 * MAX_ROWS           # blank rows included

RawRows = list[tuple[int, dict[str, object]]]


def detect_format(name: str, data: bytes) -> str | None:
    """``csv``, ``xlsx`` or ``json`` from the file name, else from the first bytes."""
    suffix = Path(name or "").suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    return "csv" if data.strip() else None


def _header(cells, row: int) -> tuple[list[str], list[Problem]]:
    names = [str(c).strip().lstrip("\ufeff").lower() if c is not None else "" for c in cells]
    problems = [Problem(row, name, "R4", "unknown_column", N_("Unknown column: %(column)s."),
                        {"column": name})
                for name in names if name and name not in COLUMNS + NAME_COLUMNS]
    problems += [Problem(row, name, "R4", "missing_column", N_("Missing column: %(column)s."),
                         {"column": name})
                 for name in COLUMNS if name not in names]
    seen = set()
    for name in names:
        if name and name in seen:
            problems.append(Problem(row, name, "R4", "repeated_column",
                                    N_("Column %(column)s appears twice."), {"column": name}))
        seen.add(name)
    return names, problems


def _records(table, first_row: int = 1) -> RawRows:
    """Header + rows (iterables of cells, with their row numbers) into raw records."""
    header, rows, problems = None, [], []
    for number, cells in table:
        cells = list(cells)
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if header is None:
            header, problems = _header(cells, number)
            if problems:
                raise BudgetFileInvalid(problems)
            continue
        if len(rows) >= MAX_ROWS:
            raise _refuse("too_many_rows", N_("Too many rows: at most %(limit)s."),
                          limit=MAX_ROWS)
        extra = [c for c in cells[len(header):] if c is not None and str(c).strip()]
        if extra:
            raise _refuse("extra_cells", N_("This row has more cells than the header."),
                          row=number)
        rows.append((number, {name: cell for name, cell in zip(header, cells) if name}))
    if header is None or not rows:
        raise _refuse("empty", N_("The file has no data rows."))
    return rows


def read_csv(data: bytes) -> RawRows:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse("encoding", N_("The file is not UTF-8 text.")) from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # our own CSV escapes formula-leading text with ' (ashyq.tabular); read it back as text
        return _records((reader.line_num, [csv_unescape(c) for c in cells]) for cells in reader)
    except csv.Error as exc:
        raise _refuse("unreadable", N_("The file could not be read as %(format)s."),
                      row=reader.line_num, format="CSV") from exc


def read_xlsx(data: bytes) -> RawRows:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # a zip bomb stops here
            _check_unpacked(archive.infolist())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                sheet.reset_dimensions()  # the size the file claims is not trusted
                return _records(_capped(sheet.iter_rows(values_only=True)))
            finally:
                book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError,
            TypeError, OSError) as exc:
        raise _refuse("unreadable", N_("The file could not be read as %(format)s."),
                      format="XLSX") from exc


def _check_unpacked(entries: list[zipfile.ZipInfo]) -> None:
    """Sizes as the archive declares them (zipfile never unpacks more than declared)."""
    if sum(entry.file_size for entry in entries) > MAX_XLSX_UNPACKED:
        raise _refuse("too_large", N_(
            "The workbook is too large once unpacked: at most %(limit)s MB."),
            limit=MAX_XLSX_UNPACKED >> 20)
    for entry in entries:
        if entry.file_size > MAX_XLSX_PART and not entry.filename.startswith("xl/worksheets/"):
            raise _refuse("too_large", N_(
                "Part %(part)s of the workbook is too large once unpacked: at most %(limit)s MB."),
                part=entry.filename, limit=MAX_XLSX_PART >> 20)


def _capped(rows):
    """Numbered sheet rows, refused past ``MAX_SHEET_ROWS`` rows or ``MAX_COLUMNS`` cells."""
    for number, cells in enumerate(rows, 1):
        if number > MAX_SHEET_ROWS:
            raise _refuse("too_many_rows", N_(
                "The sheet is too long: at most %(limit)s rows, blank ones included."),
                limit=MAX_SHEET_ROWS)
        if len(cells) > MAX_COLUMNS:
            raise _refuse("too_many_columns", N_("Too many columns: at most %(limit)s."),
                          row=number, limit=MAX_COLUMNS)
        yield number, cells


def read_json(data: bytes) -> tuple[str | None, RawRows]:
    try:
        text = data.decode("utf-8-sig")
        doc = jsonread.loads(text, parse_float=Decimal)
        if re.search(r"\\u[dD][89a-fA-F]", text):  # an escaped surrogate: paired, or refused
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise _refuse("encoding", N_("The file is not UTF-8 text.")) from exc
    except jsonread.JsonRefused as exc:
        if exc.code == "json_too_deep":
            raise _refuse("too_deep", N_("The JSON is nested too deeply: at most %(limit)s levels."),
                          limit=jsonread.MAX_DEPTH) from exc
        raise _refuse("unreadable", N_("The file could not be read as %(format)s."),
                      format="JSON") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise _refuse("bad_shape", N_('JSON must be an object with "period" and "rows".'))
    if not doc["rows"]:
        raise _refuse("empty", N_("The file has no data rows."))
    if len(doc["rows"]) > MAX_ROWS:
        raise _refuse("too_many_rows", N_("Too many rows: at most %(limit)s."), limit=MAX_ROWS)
    rows, problems = [], []
    for number, item in enumerate(doc["rows"], 1):
        if not isinstance(item, dict):
            problems.append(Problem(number, None, "R4", "bad_row", N_("A row must be an object.")))
            continue
        item = {str(k).strip().lower(): v for k, v in item.items()}
        problems += [Problem(number, k, "R4", "unknown_column", N_("Unknown column: %(column)s."),
                             {"column": k}) for k in item if k not in COLUMNS + NAME_COLUMNS]
        rows.append((number, item))
    if problems:
        raise BudgetFileInvalid(problems[:MAX_PROBLEMS])
    period = doc.get("period")
    return (str(period).strip() if period is not None else None), rows


# --- checking the rows ----------------------------------------------------------------------

