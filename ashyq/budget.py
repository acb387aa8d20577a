"""Budget execution data (R4, R8): the file the central body sends, its checks, the dataset.

Pure: no Flask, no Pelican. The Ministry of Finance (the central body) publishes budget
reporting (R4) through the editor workstation or from its own systems (R8); both ways end in
:func:`import_budget_file`, which refuses a file *as a whole* when any row is wrong, keeps the
file exactly as received and writes the normalized dataset the site generator reads.

One row per (period, administrator, program, subprogram, specific), amounts in thousand tenge:

====================  ======================================================================
column                value
====================  ======================================================================
``period``            ``YYYY-MM`` (reporting as of the 1st of that month) or ``YYYY``
``administrator``     3 digits, an administrator of ``administrators.toml``
``program``           3 digits
``subprogram``        3 digits, or empty: the row is the program's total (or its only row)
``specific``          3 digits, or empty: the row is a (sub)program total
``approved``          approved plan, >= 0
``adjusted``          adjusted plan, >= 0
``executed``          executed, >= 0 (may exceed the plan)
``name_kk``           optional: name of the program / subprogram / specific, Kazakh
``name_ru``           optional: the same, Russian
====================  ======================================================================

Files: CSV (UTF-8, a header row with these names; ``,`` or ``;`` separated; decimal comma and
space thousand separators accepted, as Kazakhstan Excel exports them), XLSX (first sheet, the
same header row) or JSON (``{"period": "...", "rows": [{column: value}, ...]}``). A total row
(subprogram or specific empty) that has rows below it must equal their sum, rounded to 0.1.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import tomllib
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Mapping

from ashyq.tabular import csv_text, csv_unescape

COLUMNS = ("period", "administrator", "program", "subprogram", "specific",
           "approved", "adjusted", "executed")
NAME_COLUMNS = ("name_kk", "name_ru")
AMOUNTS = ("approved", "adjusted", "executed")
#: code column -> whether it may be empty
CODES = {"administrator": False, "program": False, "subprogram": True, "specific": True}
CODE_LENGTH = 3
PERIOD = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$")
PLAIN_NUMBER = re.compile(r"^[0-9]+([.,][0-9]+)?$")
COMMA_GROUPS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
DOT_GROUPS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")
FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DATASET_FORMAT = "ashyq-budget-execution/1"
DATA_DIR = Path("reporting") / "data"  # inside the content folder
AMOUNT_STEP = Decimal("0.001")  # one tenge
SUBTOTAL_STEP = Decimal("0.1")  # totals are compared after rounding to 0.1 thousand tenge
MAX_AMOUNT = Decimal(10) ** 12  # exact as a JSON number
MAX_ROWS = 100_000
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
MAX_NAME = 500
MAX_PROBLEMS = 200
ZERO = Decimal(0)


def N_(message: str) -> str:  # noqa: N802 - gettext's "mark now, translate at the edge"
    """Mark a msgid; the API translates it, the CLI prints it as it is."""
    return message


@dataclass(frozen=True)
class Problem:
    """Why a file is refused: where (row number, column), which rule, what is wrong.

    ``row`` is the spreadsheet row (the header is row 1) for CSV and XLSX, the position in
    ``rows`` (from 1) for JSON; None for the file as a whole. ``message`` is an English msgid
    with ``%(name)s`` placeholders filled from ``params``."""

    row: int | None
    column: str | None
    rule: str
    code: str
    message: str
    params: dict = field(default_factory=dict)

    @property
    def field(self) -> str:
        if self.row is None:
            return self.column or "file"
        return f"row {self.row}: {self.column}" if self.column else f"row {self.row}"

    @property
    def text(self) -> str:
        return self.message % self.params if self.params else self.message

    def __str__(self) -> str:
        return f"{self.field}: {self.text} [{self.rule}]"


class BudgetFileInvalid(Exception):
    "The budget file was refused as a whole; nothing was published"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the budget file:\n{lines}")


@dataclass(frozen=True)
class Row:
    """One line of budget execution, amounts in thousand tenge."""

    administrator: str
    program: str
    subprogram: str
    specific: str
    approved: Decimal
    adjusted: Decimal
    executed: Decimal
    name: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.administrator, self.program, self.subprogram, self.specific)

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return (self.approved, self.adjusted, self.executed)


@dataclass(frozen=True)
class Totals:
    """One line of a summary table: an administrator or a program with its sums."""

    code: str
    name: dict[str, str]
    approved: Decimal
    adjusted: Decimal
    executed: Decimal

    @property
    def percent(self) -> Decimal | None:
        """Executed, % of the adjusted plan (None when nothing is planned)."""
        if not self.adjusted:
            return None
        return (self.executed * 100 / self.adjusted).quantize(SUBTOTAL_STEP, ROUND_HALF_UP)


def _sum(amounts) -> tuple[Decimal, Decimal, Decimal]:
    total = [ZERO, ZERO, ZERO]
    for values in amounts:
        for i, v in enumerate(values):
            total[i] += v
    return tuple(total)


@dataclass
class _Program:
    row: Row | None = None
    subs: dict[str, dict] = field(default_factory=dict)  # code -> {"row", "specs"}
    specs: list[Row] = field(default_factory=list)  # specifics without a subprogram

    def parts(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        values = [s["row"].amounts if s["row"] else _sum(r.amounts for r in s["specs"])
                  for s in self.subs.values()]
        return values + [r.amounts for r in self.specs]

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.row.amounts if self.row else _sum(self.parts())


def _tree(rows) -> dict[tuple[str, str], _Program]:
    programs: dict[tuple[str, str], _Program] = {}
    for row in rows:
        prog = programs.setdefault((row.administrator, row.program), _Program())
        if not row.subprogram and not row.specific:
            prog.row = row
        elif not row.subprogram:
            prog.specs.append(row)
        else:
            sub = prog.subs.setdefault(row.subprogram, {"row": None, "specs": []})
            if row.specific:
                sub["specs"].append(row)
            else:
                sub["row"] = row
    return programs


@dataclass
class Dataset:
    """A validated period of budget execution: what the generator reads and publishes (R4)."""

    period: str
    rows: list[Row]
    source: dict = field(default_factory=dict)

    @cached_property
    def _programs(self) -> dict[str, list[Totals]]:
        result: dict[str, list[Totals]] = {}
        for (admin, code), prog in sorted(_tree(self.rows).items()):
            name = dict(prog.row.name) if prog.row else {}
            result.setdefault(admin, []).append(Totals(code, name, *prog.amounts))
        return result

    def programs(self, administrator: str) -> list[Totals]:
        """Each program of ``administrator`` with its amounts (its total row, or the sum)."""
        return list(self._programs.get(administrator, []))

    def administrators(self) -> list[Totals]:
        """Each administrator in the file with the sum of its programs, by code."""
        codes = sorted({r.administrator for r in self.rows})
        return [Totals(code, {}, *_sum((p.approved, p.adjusted, p.executed)
                                       for p in self.programs(code))) for code in codes]

    def total(self) -> Totals:
        return Totals("", {}, *_sum((a.approved, a.adjusted, a.executed)
                                    for a in self.administrators()))

    def to_json(self) -> str:
        """The normalized dataset: itself a valid JSON input file (rows sorted by key)."""
        rows = []
        for row in self.rows:
            item = {"administrator": row.administrator, "program": row.program,
                    "subprogram": row.subprogram, "specific": row.specific}
            item.update({name: json_number(v) for name, v in zip(AMOUNTS, row.amounts)})
            item.update({f"name_{lang}": text for lang, text in sorted(row.name.items())})
            rows.append(item)
        head = {"format": DATASET_FORMAT, "period": self.period, "unit": "thousand KZT",
                "source": self.source}
        lines = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)  # a row a line
        return (json.dumps(head, ensure_ascii=False, indent=1)[:-2]
                + f',\n "rows": [\n{lines}\n ]\n}}\n')

    def to_csv(self) -> str:
        """Every row in the import format (comma separated, dot decimals)."""
        return csv_text([COLUMNS + NAME_COLUMNS] + [
            [self.period, *row.key, *(plain(v) for v in row.amounts),
             row.name.get("kk", ""), row.name.get("ru", "")] for row in self.rows])


def json_number(value: Decimal) -> int | float:
    """An amount as a JSON number; exact, since amounts have at most 15 significant digits."""
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value: Decimal) -> str:
    """An amount as machines write it: ``1205300.5``."""
    return format(value.normalize() if value else ZERO, "f")


# --- reading the three formats ------------------------------------------------------------

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


def _refuse(code: str, message: str, *, row: int | None = None, column: str | None = None,
            **params) -> BudgetFileInvalid:
    return BudgetFileInvalid([Problem(row, column, "R4", code, message, params)])


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
            unpacked = sum(entry.file_size for entry in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            raise _refuse("too_large", N_("The workbook is too large once unpacked."))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                return _records(enumerate(sheet.iter_rows(values_only=True), 1))
            finally:
                book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError,
            TypeError, OSError) as exc:
        raise _refuse("unreadable", N_("The file could not be read as %(format)s."),
                      format="XLSX") from exc


def read_json(data: bytes) -> tuple[str | None, RawRows]:
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise _refuse("encoding", N_("The file is not UTF-8 text.")) from exc
    except ValueError as exc:
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

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_code(value) -> str:
    """A code as written; integers (Excel drops leading zeros) are padded to 3 digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        try:
            if value == int(value) and 0 <= value < 1000:
                return f"{int(value):03d}"
        except (ValueError, OverflowError):  # NaN, infinity
            pass
    return _text(value)


def parse_amount(value) -> Decimal:
    """A non-rounded amount from a cell: numbers, or text such as ``1 205,3`` or ``1,205.3``.

    Raises ValueError when it is not a number. A single comma is a decimal comma."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(value)
        return value
    text = re.sub(r"[\s\u00a0\u202f']", "", str(value)).replace("\u2212", "-")
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    if PLAIN_NUMBER.match(digits):  # 1205.3 or 1205,3: a single separator is the decimal one
        digits = digits.replace(",", ".")
    elif COMMA_GROUPS.match(digits):  # 1,205,300.5
        digits = digits.replace(",", "")
    elif DOT_GROUPS.match(digits):  # 1.205.300,5
        digits = digits.replace(".", "").replace(",", ".")
    else:
        raise ValueError(value)
    text = sign + digits
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(value) from exc


def check_rows(period: str | None, raw: RawRows,
               administrators: Mapping[str, object]) -> tuple[str, list[Row]]:
    """Every row checked (R4; administrators R8): the period and rows, or every problem."""
    problems: list[Problem] = []

    def problem(row, column, code, message, rule="R4", **params):
        problems.append(Problem(row, column, rule, code, message, params))

    if period is not None and not PERIOD.match(period):
        problem(None, "period", "bad_period",
                N_("The period must be YYYY-MM or YYYY, not %(value)s."), value=period)
        period = None
    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    numbers: dict[tuple, int] = {}
    for number, cells in raw:
        row_period = _text(cells.get("period"))
        if row_period:
            if period is None and PERIOD.match(row_period):
                period = row_period
            if not PERIOD.match(row_period):
                problem(number, "period", "bad_period",
                        N_("The period must be YYYY-MM or YYYY, not %(value)s."), value=row_period)
            elif row_period != period:
                problem(number, "period", "period_mismatch",
                        N_("Period %(value)s differs from %(expected)s: one file holds one "
                           "period."), value=row_period, expected=period)
        elif period is None or "period" in cells:
            problem(number, "period", "required", N_("Required, missing."))
        codes = {}
        for column, optional in CODES.items():
            code = parse_code(cells.get(column))
            if not code and optional:
                codes[column] = ""
            elif not code:
                problem(number, column, "required", N_("Required, missing."))
            elif len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
                problem(number, column, "bad_code",
                        N_("Must be empty or 3 digits, not %(value)s.") if optional else
                        N_("Must be 3 digits, not %(value)s."), value=code)
            else:
                codes[column] = code
        admin = codes.get("administrator")
        if admin and admin not in administrators:
            problem(number, "administrator", "unknown_administrator",
                    N_("Administrator %(value)s is not in the list of administrators."),
                    rule="R8", value=admin)
        amounts = {}
        for column in AMOUNTS:
            cell = cells.get(column)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                problem(number, column, "required", N_("Required, missing."))
                continue
            try:
                value = parse_amount(cell).quantize(AMOUNT_STEP, ROUND_HALF_UP)
            except (ValueError, InvalidOperation):
                problem(number, column, "not_a_number", N_("Not a number: %(value)s."),
                        value=_text(cell)[:40])
                continue
            if value < 0:
                problem(number, column, "negative", N_("Must not be negative: %(value)s."),
                        value=_text(cell)[:40])
            elif value >= MAX_AMOUNT:
                problem(number, column, "too_large", N_("Too large: %(value)s."),
                        value=_text(cell)[:40])
            else:
                amounts[column] = value
        names = {}
        for column in NAME_COLUMNS:
            text = _text(cells.get(column))
            if len(text) > MAX_NAME:
                problem(number, column, "too_long",
                        N_("Too long: at most %(limit)s characters."), limit=MAX_NAME)
            elif text:
                names[column.removeprefix("name_")] = text
        if len(codes) < len(CODES) or len(amounts) < len(AMOUNTS):
            continue
        row = Row(**codes, **amounts, name=names)
        if row.key in seen:
            problem(number, None, "duplicate",
                    N_("This administrator, program, subprogram and specific are already in "
                       "row %(other)s."), other=seen[row.key])
            continue
        seen[row.key] = numbers[row.key] = number
        rows.append(row)
    if period is None and not problems:
        problem(None, "period", "required", N_("Required, missing."))
    if not problems:
        problems += _check_totals(rows, numbers)
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [Problem(
                None, None, "R4", "more", N_("... and %(count)s more problems."), {"count": more})]
        raise BudgetFileInvalid(problems)
    return period, sorted(rows, key=lambda r: r.key)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(SUBTOTAL_STEP, ROUND_HALF_UP)


def _check_totals(rows: list[Row], numbers: dict[tuple, int]) -> list[Problem]:
    """A total row with rows below it equals their sum, rounded to 0.1 thousand tenge (R4)."""
    problems = []

    def compare(total: Row, parts) -> None:
        sums = _sum(parts)
        for column, have, want in zip(AMOUNTS, total.amounts, sums):
            if _rounded(have) != _rounded(want):
                problems.append(Problem(
                    numbers[total.key], column, "R4", "subtotal_mismatch",
                    N_("The total %(total)s differs from the sum of its parts %(sum)s."),
                    {"total": plain(have), "sum": plain(want)}))

    for prog in _tree(rows).values():
        for sub in prog.subs.values():
            if sub["row"] and sub["specs"]:
                compare(sub["row"], [r.amounts for r in sub["specs"]])
        if prog.row and (prog.subs or prog.specs):
            compare(prog.row, prog.parts())
    return sorted(problems, key=lambda p: (p.row, AMOUNTS.index(p.column)))


def parse_budget_file(data: bytes, name: str, administrators: Mapping[str, object],
                      fmt: str | None = None) -> Dataset:
    """Read and check a whole file; raise :class:`BudgetFileInvalid` with every problem."""
    fmt = fmt or detect_format(name, data)
    if fmt == "csv":
        period, raw = None, read_csv(data)
    elif fmt == "xlsx":
        period, raw = None, read_xlsx(data)
    elif fmt == "json":
        period, raw = read_json(data)
    else:
        raise _refuse("unknown_format", N_("Unknown file type: send CSV, XLSX or JSON."))
    period, rows = check_rows(period, raw, administrators)
    return Dataset(period, rows)


# --- storing: the archive and the dataset -------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    """What an import published and where the received file is kept."""

    dataset: Dataset
    dataset_path: Path
    archive_path: Path
    sha256: str
    replaced: bool  # an earlier dataset of the same period was replaced

    @property
    def period(self) -> str:
        return self.dataset.period

    @property
    def rows(self) -> int:
        return len(self.dataset.rows)

    @property
    def administrators(self) -> int:
        return len({r.administrator for r in self.dataset.rows})


def safe_name(name: str) -> str:
    """A file name safe in any folder: its last part, ASCII letters, digits, ``._-``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(name or "")).name).strip("._")
    return base[-100:] or "budget"


def dataset_path(content_dir: Path, period: str) -> Path:
    return Path(content_dir) / DATA_DIR / f"{period}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def import_budget_file(path_or_bytes: Path | str | bytes, name: str | None, content_dir: Path,
                       archive_dir: Path, administrators: Mapping[str, object], *,
                       fmt: str | None = None, system: str | None = None,
                       now: dt.datetime | None = None) -> ImportResult:
    """Check a budget file; on success keep it byte for byte in ``archive_dir`` and write its
    dataset to ``content_dir/reporting/data/<period>.json`` (R4, R8). On any problem raise
    :class:`BudgetFileInvalid` and write nothing."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
    else:
        data = Path(path_or_bytes).read_bytes()
        name = name or Path(path_or_bytes).name
    dataset = parse_budget_file(data, name or "", administrators, fmt)
    digest = hashlib.sha256(data).hexdigest()
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    archive = Path(archive_dir) / f"{stamp}-{digest[:12]}-{safe_name(name or '')}"
    _write_atomically(archive, data)
    archive.chmod(0o444)  # kept as received, never modified
    dataset.source = {"name": name or "", "sha256": digest, "archived": archive.name,
                      "received": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
                      **({"system": system} if system else {})}
    target = dataset_path(content_dir, dataset.period)
    replaced = target.exists()
    _write_atomically(target, dataset.to_json().encode("utf-8"))
    return ImportResult(dataset, target, archive, digest, replaced)


def load_dataset(path: Path, administrators: Mapping[str, object]) -> Dataset:
    """A dataset written by :func:`import_budget_file`, checked again (it is content)."""
    path = Path(path)
    data = path.read_bytes()
    dataset = parse_budget_file(data, path.name, administrators, "json")
    if dataset.period != path.stem:
        raise BudgetFileInvalid([Problem(None, "period", "R4", "period_mismatch", N_(
            "Period %(value)s differs from %(expected)s: one file holds one period."),
            {"value": dataset.period, "expected": path.stem})])
    source = json.loads(data).get("source")
    dataset.source = source if isinstance(source, dict) else {}
    return dataset


def read_administrators(content_dir: Path) -> dict[str, dict[str, str]]:
    """Administrator codes and names from ``administrators.toml`` (for the checks, R8)."""
    path = Path(content_dir) / "administrators.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(a.get("code")): dict(a.get("name") or {}) for a in data.get("administrator", [])}
