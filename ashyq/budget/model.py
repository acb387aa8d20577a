"""Budget execution data (R4, R8): the model - a checked row, totals, the dataset and its
JSON and CSV forms - and the constants of the file format (see :mod:`ashyq.budget`)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

from ashyq.tabular import csv_text

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
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DATASET_FORMAT = "ashyq-budget-execution/1"
DATA_DIR = Path("reporting") / "data"  # inside the content folder
AMOUNT_STEP = Decimal("0.001")  # one tenge
SUBTOTAL_STEP = Decimal("0.1")  # totals are compared after rounding to 0.1 thousand tenge
MAX_AMOUNT = Decimal(10) ** 12  # exact as a JSON number
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
        return csv_text([COLUMNS + NAME_COLUMNS] + [   # formulas escaped (issue 13)
            [self.period, *row.key, *(plain(v) for v in row.amounts),
             row.name.get("kk", ""), row.name.get("ru", "")] for row in self.rows])


def json_number(value: Decimal) -> int | float:
    """An amount as a JSON number; exact, since amounts have at most 15 significant digits."""
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value: Decimal) -> str:
    """An amount as machines write it: ``1205300.5``."""
    return format(value.normalize() if value else ZERO, "f")


# --- reading the three formats ------------------------------------------------------------


def _refuse(code: str, message: str, *, row: int | None = None, column: str | None = None,
            **params) -> BudgetFileInvalid:
    return BudgetFileInvalid([Problem(row, column, "R4", code, message, params)])


