"""The document types of R3 and what each must carry. Pure: no Pelican, no Flask.

One source of truth for: the types, the URL section each lives in, required metadata, which
fields both language versions must share, the discussion statuses and the URL of every page
that the manifest and the API refer to.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

LANGUAGES = ("kk", "ru")  # R3: everything is published in Kazakh and Russian
DEFAULT_LANGUAGE = "kk"

PART_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # R14: the stable id of a structural part
UID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

BUDGET_TYPES = ("republican", "local")
CITIZENS_BUDGET_STAGES = ("planning", "execution")


@dataclass(frozen=True)
class DocType:
    """One type of budget material: its section of the site and the fields it needs."""

    name: str
    section: str  # URL segment under /{lang}/
    required: tuple[str, ...]
    shared: tuple[str, ...]  # must be equal in the kk and ru files
    dates: tuple[str, ...]  # fields holding YYYY-MM-DD dates
    discussion: bool = False  # passports and reports: parts, votes, proposals (R9-R17)
    rule: str = "R3"

    def __reduce__(self):  # unpickled (documents kept whole): the one object of its name
        return (doc_type_named, (self.name,))


def doc_type_named(name: str) -> "DocType":
    """The type ``name`` (:data:`DOC_TYPES`)."""
    return DOC_TYPES[name]


_DISCUSSION_FIELDS = ("administrator", "program", "budget_type", "period", "head", "posted")

DOC_TYPES: dict[str, DocType] = {
    t.name: t
    for t in (
        DocType(
            "passport", "discussions", ("uid", "type", "title", *_DISCUSSION_FIELDS),
            ("administrator", "program", "budget_type", "period", "posted", "discussion_end"),
            ("posted", "discussion_end"), discussion=True, rule="R9",
        ),
        DocType(
            "implementation_report", "discussions", ("uid", "type", "title", *_DISCUSSION_FIELDS),
            ("administrator", "program", "budget_type", "period", "posted", "discussion_end"),
            ("posted", "discussion_end"), discussion=True, rule="R10",
        ),
        DocType("press_release", "press", ("uid", "type", "title", "date"),
                ("date", "administrator", "document"), ("date",), rule="R12"),
        DocType("budget_reporting", "reporting", ("uid", "type", "title", "posted", "period"),
                ("posted", "period", "administrator"), ("posted",), rule="R4"),
        DocType("financial_statements", "statements",
                ("uid", "type", "title", "administrator", "posted", "period"),
                ("administrator", "posted", "period"), ("posted",), rule="R5"),
        DocType("citizens_budget", "citizens-budget",
                ("uid", "type", "title", "posted", "period", "stage"),
                ("posted", "period", "stage", "administrator"), ("posted",), rule="R6"),
        DocType("audit_results", "audit",
                ("uid", "type", "title", "administrator", "posted", "received", "audit_body"),
                ("administrator", "posted", "received"), ("posted", "received"), rule="R7"),
        DocType("material", "materials", ("uid", "type", "title", "posted"),
                ("posted", "administrator"), ("posted",)),
    )
}

#: The sections of the other materials (R3-R7), in menu order.
MATERIAL_SECTIONS = ("reporting", "statements", "citizens-budget", "audit", "materials")


def discussion_status(posted: dt.date, discussion_end: dt.date, today: dt.date) -> str:
    """``scheduled`` before posting, ``open`` from posting to the end inclusive, then ``closed``."""
    if today < posted:
        return "scheduled"
    if today <= discussion_end:
        return "open"
    return "closed"


def page_url(lang: str, section: str, uid: str | None = None) -> str:
    """Root-relative URL of a section (or of one item in it) in one language."""
    return f"/{lang}/{section}/{uid}/" if uid else f"/{lang}/{section}/"
