"""Budget execution data (R4, R8): the file the central body sends, its checks, the dataset.

Pure: no Flask, no Pelican. :mod:`.model` (rows, totals, the dataset), :mod:`.readers` (CSV,
XLSX, JSON), :mod:`.checks` (the R4 rules), :mod:`.storage` (archive, dataset files).

The Ministry of Finance (the central body) publishes budget reporting (R4) through the editor
workstation or from its own systems (R8); both ways end in :func:`import_budget_file`, which
refuses a file *as a whole* when any row is wrong, keeps the file exactly as received and writes
the normalized dataset the site generator reads.

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
from ashyq.budget.checks import parse_budget_file
from ashyq.budget.model import (
    DATA_DIR, MEDIA_TYPES, BudgetFileInvalid, Dataset, Problem, Row, Totals, json_number, plain,
)
from ashyq.budget.storage import (
    ImportResult, dataset_path, import_budget_file, load_dataset, read_administrators,
)

__all__ = ["DATA_DIR", "MEDIA_TYPES", "BudgetFileInvalid", "Dataset", "ImportResult", "Problem",
           "Row", "Totals", "dataset_path", "import_budget_file", "json_number", "load_dataset",
           "parse_budget_file", "plain", "read_administrators"]
