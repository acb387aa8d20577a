"""Compliance checks of the order's content rules that the first checker missed (paragraphs 3,
4, 6, 7, 10, 12). Pure over a :class:`SiteIndex`; :mod:`generator.compliance` gathers them.

Interpretations (the order gives no figure; the compliance page says so):

* R3 - a language version is "in its language" when its letters say so: a Kazakh text has at
  least :data:`KK_MIN_SHARE` of its Cyrillic letters among the Kazakh-specific ә ғ қ ң ө ұ ү һ і;
  a Russian text is mostly Cyrillic and has at most :data:`RU_MAX_SHARE` of them.
* R4 - budget reporting is monthly ("as of the 1st of the month"); the report as of month M is
  missing once month M has ended, counted from the first month the central body published.
* R6 - an administrator with a passport for budget year Y publishes a citizen's budget of the
  planning stage for Y; one with an implementation report for Y, one of the execution stage.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ashyq.doctypes import LANGUAGES
from generator.compliance import REPORTS_DUE, Check
from generator.content import Document, SiteIndex
from generator.content_file import parse_header
from generator.letters import (KK_LETTERS, KK_MIN_SHARE, MIN_LETTERS,  # noqa: F401 (the page)
                              RU_MAX_SHARE, language_verdict, letter_counts)

#: R10: files that can confirm the facts of implementation (documents, tables, scans, photos)
DOCUMENT_TYPES = {".pdf": b"%PDF", ".docx": b"PK", ".xlsx": b"PK", ".odt": b"PK", ".ods": b"PK",
                  ".doc": b"\xd0\xcf\x11\xe0", ".xls": b"\xd0\xcf\x11\xe0", ".png": b"\x89PNG",
                  ".jpg": b"\xff\xd8", ".jpeg": b"\xff\xd8", ".txt": None, ".csv": None, ".rtf": b"{\\rtf"}
MONTHS = {
    "ru": ("январ", "феврал", "март", "апрел", "ма[йя]", "июн", "июл", "август", "сентябр",
           "октябр", "ноябр", "декабр"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
           "қазан", "қараша", "желтоқсан"),
}


def body_text(doc: Document, lang: str) -> str:
    """Title and body of one language file (the header's other fields left out)."""
    meta, body, _offset = parse_header(Path(doc.sources[lang]).read_text(encoding="utf-8"))
    return meta.get("title", "") + "\n" + "\n".join(body)


def _languages(index: SiteIndex) -> list[Check]:
    """R3: each language version is a real text in its language (the letters were counted when
    the content was read: ``Document.letters``)."""
    checks = []
    for doc in index.documents.values():
        if doc.generated:
            continue
        for lang in LANGUAGES:
            verdict = language_verdict(
                doc.letters.get(lang) or letter_counts(body_text(doc, lang)), lang)
            if verdict is not None:
                ok, share = verdict
                checks.append(Check("R3", f"language_{lang}", doc.administrator, ok, doc.uid,
                                    detail={"kazakh_letters": share}))
    return checks


def _month(value: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _budget_reporting(index: SiteIndex) -> list[Check]:
    """R4: the central body's monthly budget reporting, without gaps up to the last month."""
    published: dict[tuple[int, int], Document] = {}
    central = {a.code for a in index.administrators.values() if a.central}
    for doc in index.of_type("budget_reporting"):
        month = _month(doc.meta[LANGUAGES[0]].get("period", ""))
        if month:
            published[month] = doc
            central.add(doc.administrator or "")
    if not published:
        return [Check("R4", "budget_reporting_missing", code or None, False) for code in sorted(central)]
    owner = sorted(c for c in central if c)[0] if any(central) else None
    year, month = min(published)
    last = (index.today.year, index.today.month - 1) if index.today.month > 1 else (index.today.year - 1, 12)
    checks = []
    while (year, month) <= last:
        doc = published.get((year, month))
        due = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
        checks.append(Check("R4", "budget_reporting" if doc else "budget_reporting_missing",
                            doc.administrator if doc else owner, doc is not None,
                            doc.uid if doc else None, due, doc.posted if doc else None,
                            {"period": f"{year}-{month:02d}"}))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return checks


def _year(doc: Document) -> int | None:
    """The year a document's ``period`` starts with (four decimal digits), if it does (asked
    of 35,000 documents at 20,000 passports: sliced, not matched)."""
    head = doc.meta[LANGUAGES[0]].get("period", "")[:4]
    return int(head) if len(head) == 4 and head.isdecimal() else None


def _citizens_budget(index: SiteIndex) -> list[Check]:
    """R6: the citizen's budget at the planning and execution stages of each administrator."""
    have = {(d.administrator, _year(d), d.meta[LANGUAGES[0]].get("stage"))
            for d in index.of_type("citizens_budget")}
    have_any = {(year, stage) for _a, year, stage in have}
    needed = set()
    for doc in index.discussions:
        if doc.posted is None or doc.posted > index.today:
            continue
        stage = "planning" if doc.type == "passport" else "execution"
        needed.add((doc.administrator, _year(doc), stage))
    checks = []
    for admin, year, stage in sorted(needed, key=lambda n: (n[0] or "", n[1] or 0, n[2])):
        # a citizen's budget without an administrator is the whole budget's (the central body's)
        ok = (admin, year, stage) in have or ((None, year, stage) in have and (year, stage) in have_any)
        checks.append(Check("R6", f"citizens_budget_{stage}", admin, ok,
                            detail={"year": year}))
    return checks


def _audit_before_receipt(index: SiteIndex) -> list[Check]:
    """R7: audit results cannot be published before the administrator received them."""
    checks = []
    for doc in index.of_type("audit_results"):
        received = dt.date.fromisoformat(doc.meta[LANGUAGES[0]]["received"])
        if doc.posted < received:
            checks.append(Check("R7", "audit_before_receipt", doc.administrator, False, doc.uid,
                                received, doc.posted))
    return checks


def _reports_missing(index: SiteIndex) -> list[Check]:
    """R10: every passport of a finished year has its implementation report by 1 April."""
    reports = {(d.administrator, d.meta[LANGUAGES[0]].get("program"), _year(d))
               for d in index.of_type("implementation_report")}
    checks = []
    for doc in index.of_type("passport"):
        year = _year(doc)
        if year is None:
            continue
        due = dt.date(year + 1, *REPORTS_DUE)
        if due >= index.today:
            continue
        key = (doc.administrator, doc.meta[LANGUAGES[0]].get("program"), year)
        if key not in reports:
            checks.append(Check("R10", "report_missing", doc.administrator, False, doc.uid, due,
                                detail={"year": year, "program": key[1]}))
    return checks


def is_document(path: Path) -> bool:
    """A non-empty file of a document type whose content is what its name says (R10)."""
    kind = path.suffix.lower()
    if kind not in DOCUMENT_TYPES or not path.is_file() or path.stat().st_size == 0:
        return False
    magic = DOCUMENT_TYPES[kind]
    head = path.read_bytes()[:4096]
    if magic is None:
        try:
            return bool(head.decode("utf-8", errors="strict" if len(head) < 4096 else "ignore").strip())
        except UnicodeDecodeError:
            return False
    return head.startswith(magic)


def _materials(index: SiteIndex) -> list[Check]:
    """R10: supporting materials that are files of documents, and a reason when there are none."""
    checks = []
    for doc in index.of_type("implementation_report"):
        meta = doc.meta[LANGUAGES[0]]
        declared_none = meta.get("investment_projects", "").strip().lower() == "none"
        if declared_none and not meta.get("investment_projects_reason", "").strip():
            checks.append(Check("R10", "materials_absent_without_reason", doc.administrator,
                                False, doc.uid))
        for attachment in doc.attachments:
            if not is_document(Path(doc.attachments_dir, attachment.name)):
                checks.append(Check("R10", "material_not_a_document", doc.administrator, False,
                                    doc.uid, detail={"file": attachment.name}))
    return checks


def mentions_date(text: str, day: dt.date, lang: str) -> bool:
    """Whether ``text`` gives ``day``: ISO, dd.mm(.yyyy) or the day and its month's name."""
    low = text.lower()
    if day.isoformat() in low or f"{day.day:02d}.{day.month:02d}" in low:
        return True
    stem = MONTHS[lang][day.month - 1]
    return re.search(rf"(?<!\d){day.day}\s+{stem}", low) is not None


def _press_release_content(index: SiteIndex) -> list[Check]:
    """R12: the release is the document's administrator's, and gives the discussion dates."""
    checks = []
    for release in index.of_type("press_release"):
        if release.generated:
            continue
        target = index.documents.get(release.meta[LANGUAGES[0]].get("document") or "")
        if target is None or target.posted is None:
            continue
        if release.administrator != target.administrator:
            checks.append(Check("R12", "press_release_other_body", target.administrator, False,
                                target.uid, detail={"release": release.uid,
                                                    "by": release.administrator or "-"}))
        missing = [lang for lang in LANGUAGES
                   if not (mentions_date(body_text(release, lang), target.posted, lang)
                           and mentions_date(body_text(release, lang), target.discussion_end, lang))]
        checks.append(Check("R12", "press_release_dates", target.administrator, not missing,
                            target.uid, detail={"release": release.uid,
                                                **({"languages": "/".join(missing)} if missing else {})}))
    return checks


def order_checks(index: SiteIndex) -> list[Check]:
    return (_languages(index) + _budget_reporting(index) + _citizens_budget(index)
            + _audit_before_receipt(index) + _reports_missing(index) + _materials(index)
            + _press_release_content(index))
