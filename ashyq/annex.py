"""The final report form of R17: Annex 1 (passports) and Annex 2 (implementation reports).

Pure module (no Flask, no Pelican): the labels live in ``ashyq/data/annex.toml``, kk and ru side
by side, loaded once. The Kazakh labels of the form are the order's own words; the Russian ones
are the portal's translation (the official Russian text was not found): each table says so in
its ``source``, and :func:`provenance` says it on the report page. The 13 header fields are named by stable keys, in the form's order
(:data:`FIELD_KEYS`); the table has 7 numbered columns (:data:`COLUMN_KEYS`). Annex 2 differs
from Annex 1 in its title and in the labels of the posting and discussion-end dates.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ashyq.doctypes import LANGUAGES

DATA_FILE = Path(__file__).parent / "data" / "annex.toml"

#: R17, Annex 1/2: the header fields in the form's order.
FIELD_KEYS = ("unique_number", "posted", "discussion_end", "generated", "document_for",
              "document_against", "proposals_total", "proposals_for", "proposals_against",
              "budget_type", "administrator", "period", "head")
#: R17, Annex 1/2: the table's columns 1..7.
COLUMN_KEYS = ("no", "posted", "part", "text", "answer", "for", "against")
#: The document types that have a final report, and their annex.
ANNEX_TYPES = ("passport", "implementation_report")


class AnnexDataError(ValueError):
    "The annex label file is malformed"


@dataclass(frozen=True)
class Annex:
    """One form: its number, title and the labels of its fields and columns, per language."""

    doc_type: str
    number: int
    name: dict[str, str]            # "1-қосымша" / "Приложение 1"
    title: dict[str, str]
    fields: tuple[tuple[str, dict[str, str]], ...]   # (key, {lang: label}) in order
    columns: tuple[tuple[str, dict[str, str]], ...]

    def field_labels(self, lang: str) -> list[tuple[str, str]]:
        return [(key, labels[lang]) for key, labels in self.fields]

    def column_labels(self, lang: str) -> list[str]:
        return [labels[lang] for _key, labels in self.columns]


def _pair(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or any(not isinstance(table.get(lang), str) or not table[lang]
                                          for lang in LANGUAGES):
        raise AnnexDataError(f"{DATA_FILE.name}: {where} needs a kk and a ru label")
    return {lang: table[lang] for lang in LANGUAGES}


@lru_cache(maxsize=1)
def load() -> dict:
    """The label file, checked: 13 fields and 7 columns in the form's order, kk and ru each."""
    with DATA_FILE.open("rb") as src:
        data = tomllib.load(src)
    keys = tuple(f.get("key") for f in data.get("field", []))
    if keys != FIELD_KEYS:
        raise AnnexDataError(f"{DATA_FILE.name}: fields must be {FIELD_KEYS}, found {keys}")
    columns = tuple(c.get("key") for c in data.get("column", []))
    if columns != COLUMN_KEYS:
        raise AnnexDataError(f"{DATA_FILE.name}: columns must be {COLUMN_KEYS}, found {columns}")
    for field in data["field"]:
        _pair(field, f"field {field['key']}")
        if "implementation_report" in field:
            _pair(field["implementation_report"], f"field {field['key']} (Annex 2)")
    for column in data["column"]:
        _pair(column, f"column {column['key']}")
    for doc_type in ANNEX_TYPES:
        _pair(data.get("annex", {}).get(doc_type), f"annex {doc_type}")
        _pair(data["annex"][doc_type].get("title"), f"annex {doc_type} title")
    return data


@lru_cache(maxsize=len(ANNEX_TYPES))
def annex(doc_type: str) -> Annex:
    """The form for a passport (Annex 1) or an implementation report (Annex 2)."""
    if doc_type not in ANNEX_TYPES:
        raise KeyError(f"no final report form for documents of type {doc_type!r}")
    data = load()
    head = data["annex"][doc_type]
    fields = tuple((f["key"], _pair(f.get(doc_type, f), f["key"])) for f in data["field"])
    columns = tuple((c["key"], _pair(c, c["key"])) for c in data["column"])
    return Annex(doc_type, head["number"], _pair(head, doc_type), _pair(head["title"], doc_type),
                 fields, columns)


def label(section: str, key: str, lang: str) -> str:
    """Any other label of the file, e.g. ``label("budget_type", "local", "ru")``, or
    ``label("note", "received", "kk")``; a missing budget type or decision falls back to ``key``."""
    entry = load().get(section, {}).get(key)
    if isinstance(entry, dict) and lang in entry:
        return entry[lang]
    if section in ("budget_type", "decision"):
        return key
    raise KeyError(f"{DATA_FILE.name}: no label {section}.{key} in {lang}")


def text(section: str, lang: str) -> str:
    """A single-entry label such as ``text("no_answer", "kk")`` or ``text("form", "ru")``."""
    return _pair(load()[section], section)[lang]


def provenance(lang: str) -> str:
    """Which labels are the order's (Kazakh) and which are ours (the Russian translation)."""
    return text("provenance", lang)


def sources() -> dict[str, str]:
    """``source`` of every section of the label file: "order" or "portal" (tests read it)."""
    data = load()
    found = {f"annex.{k}": v.get("source", "") for k, v in data["annex"].items()}
    found.update({f"field.{f['key']}": f.get("source", "") for f in data["field"]})
    found.update({f"column.{c['key']}": c.get("source", "") for c in data["column"]})
    found.update({k: v.get("source", "") for k, v in data.items()
                  if isinstance(v, dict) and k not in ("annex",) and "source" in v})
    return found
