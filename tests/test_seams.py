"""The database seam (issue 9): SQL is written only in the store, the migrations and the one
way out for public data; the public statuses are defined once."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ("submit_api", "portal", "ashyq", "generator")
SQL_MAY_LIVE = ("submit_api/store/", "submit_api/db.py", "submit_api/public.py")
CALLS = {"execute", "executemany", "executescript"}


def _modules():
    for top in SOURCE:
        for path in sorted((ROOT / top).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_sql_only_in_the_store_the_migrations_and_the_public_module():
    """No view, blueprint, rule module or worker runs a statement of its own."""
    found = []
    for name, text in _modules():
        if name.startswith(SQL_MAY_LIVE):
            continue
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CALLS):
                found.append(f"{name}:{node.lineno}")
    assert found == []


def test_write_transactions_only_through_the_helper():
    found = [name for name, text in _modules()
             if name != "submit_api/db.py" and re.search(r"""["']BEGIN IMMEDIATE""", text)]
    assert found == []


def test_r15_r16_public_statuses_defined_once():
    """R15/R16: which proposals the public sees is one tuple, in submit_api.public (the static
    side's open-data schema describes the same values; it cannot import the service)."""
    pattern = re.compile(r"""["']published["'],\s*["']accepted["'],\s*["']rejected["']""")
    found = [name for name, text in _modules()
             if pattern.search(text) and not name.startswith("generator/")]
    assert found == ["submit_api/public.py"]
