"""The layout DESIGN.md promises, enforced: the shared core imports neither side, the two sides
never import each other, only ``portal`` wires them together; every setting is documented."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ashyq.settings import ENVIRONMENT_ONLY, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ashyq", "generator", "submit_api", "portal")
#: package -> the project packages it must never import (directly; indirectly follows, since
#: the core itself imports neither side).
FORBIDDEN = {
    "ashyq": {"generator", "submit_api", "portal", "pelican", "flask", "werkzeug"},
    "generator": {"submit_api", "portal", "flask"},
    "submit_api": {"generator", "portal", "pelican"},
    "portal": set(),
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, at any depth (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_import_rules(package):
    wrong = {f"{path.relative_to(ROOT)} imports {name}"
             for path in sources(package) for name in imported_modules(path) & FORBIDDEN[package]}
    assert not wrong, sorted(wrong)


def test_the_import_rule_test_can_fail(tmp_path):
    planted = tmp_path / "bad.py"
    planted.write_text("def f():\n    from generator import build\n", encoding="utf-8")
    assert "generator" in imported_modules(planted)


def test_no_source_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for package in PACKAGES for p in sources(package)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long


def test_tests_and_benchmarks_share_helpers_only_through_helpers_module():
    """Test modules import helpers from tests/helpers.py (and fixtures from conftest), never
    from each other; benchmarks import nothing from tests/."""
    wrong = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    re.match(r"(tests\.)?(test_|conftest)", node.module):
                wrong.append(f"{path.name}: from {node.module}")
    for path in sorted((ROOT / "bench").rglob("*.py")):
        if "tests" in imported_modules(path):
            wrong.append(f"{path.relative_to(ROOT)} imports tests")
    assert not wrong, wrong


def test_every_setting_is_documented():
    """docs/settings.md has a row for each setting and each environment-only variable."""
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `ASHYQ_([A-Z0-9_]+)` \|", doc, flags=re.M))
    assert rows == set(SETTINGS) | set(ENVIRONMENT_ONLY)
    assert all(setting.doc.strip() for setting in SETTINGS.values())


def test_settings_read_in_code_are_declared():
    """Every ``config["X"]`` the code reads is a declared setting (or Flask's own)."""
    flask_own = {"TESTING", "SERVER_NAME", "DEBUG", "PROPAGATE_EXCEPTIONS"}
    read = set()
    for package in ("submit_api", "portal"):
        for path in sources(package):
            read |= set(re.findall(r"config(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"",
                                   path.read_text(encoding="utf-8")))
    assert read - set(SETTINGS) - flask_own == set()
