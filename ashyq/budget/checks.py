"""The checks of a budget file (R4): codes, amounts, periods, known administrators (R8) and
totals equal to the sum of their parts; every problem with its row and column."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Mapping

from ashyq.budget.model import (
    AMOUNT_STEP, AMOUNTS, CODE_LENGTH, CODES, COMMA_GROUPS, DOT_GROUPS, MAX_AMOUNT, MAX_NAME,
    MAX_PROBLEMS, N_, NAME_COLUMNS, PERIOD, PLAIN_NUMBER, SUBTOTAL_STEP, BudgetFileInvalid,
    Dataset, Problem, Row, _refuse, _sum, _tree, plain,
)
from ashyq.budget.readers import RawRows, detect_format, read_csv, read_json, read_xlsx


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

