"""The compliance checker: every dated rule of the Rules held against the content and the
Kazakhstan working-day calendar. Pure over a :class:`SiteIndex`: the ``ashyq check`` command
prints the results, the compliance pages publish them.

* R5  consolidated financial statements of republican administrators by 5 July
* R7  audit results within 15 working days of receipt
* R9  a passport's discussion lasts at least 10 working days
* R10 implementation reports by 1 April of the next year, at least 10 working days of
      discussion, with supporting materials for budget investment projects attached
* R12 a press release on the posting day, published by the administrator
* R3  both languages (checked when the content is read; a missing language stops the build),
      each version a text in its language (generator.compliance_order)
* R4, R6, R7 (published before received), R10 (reports missing, materials), R12 (the release's
      author and dates): generator.compliance_order
* R9, R10, R12 judged from the publication record, and R15-R17 from the discussions' facts,
      both in the public snapshot: generator.compliance_record
* a content problem that stops the build is reported as a check too (``problems``), beside
  every other check
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
import dataclasses
from dataclasses import dataclass, field
from typing import TypeVar

from ashyq.doctypes import LANGUAGES
from ashyq.workdays import DISCUSSION_WORKING_DAYS
from generator.content import Document, SiteIndex
from generator.content_cache import collector_paused

T = TypeVar("T")

STATEMENTS_DUE = (7, 5)      # R5: 5 July of the year after the financial year
REPORTS_DUE = (4, 1)         # R10: 1 April of the year after the reporting year
NO_INVESTMENT_PROJECTS = "none"  # an implementation report may declare it had none (R10)
#: The documents whose metadata a state body's checks read whatever body posted them: the
#: years of every body's statements (R5), the central budget reporting (R4), citizens'
#: budgets of no body (R6), press releases announcing its discussions (R12).
CROSS_BODY_TYPES = ("budget_reporting", "citizens_budget", "financial_statements",
                    "press_release")


@dataclass(frozen=True)
class Check:
    """One rule held against one document (or one expected document): passed or not."""

    rule: str
    kind: str                    # what was checked, a key for the pages' wording
    administrator: str | None
    ok: bool
    document: str | None = None
    due: dt.date | None = None
    done: dt.date | None = None  # when it was done (posted), if it was
    detail: dict = field(default_factory=dict)

    def describe(self) -> str:
        """A plain English line for the command line."""
        where = self.document or (f"administrator {self.administrator}" if self.administrator
                                  else self.detail.get("where", "-"))
        dates = ", ".join(f"{k} {v.isoformat()}" for k, v in (("due", self.due), ("done", self.done)) if v)
        extra = ", ".join(f"{k} {v}" for k, v in self.detail.items())
        return f"[{self.rule}] {where}: {self.kind.replace('_', ' ')}" + \
            (f" ({'; '.join(x for x in (dates, extra) if x)})" if dates or extra else "")


def _statements(index: SiteIndex) -> list[Check]:
    """R5: each republican administrator's statements for each finished financial year."""
    checks = []
    published: dict[tuple[str, int], Document] = {}
    for doc in index.of_type("financial_statements"):
        year = int(doc.meta[LANGUAGES[0]]["period"][:4])
        published[(doc.administrator, year)] = doc
        due = dt.date(year + 1, *STATEMENTS_DUE)
        checks.append(Check("R5", "statements_published", doc.administrator, doc.posted <= due,
                            doc.uid, due, doc.posted))
    last_due_year = index.today.year - 1 if index.today > dt.date(index.today.year, *STATEMENTS_DUE) \
        else index.today.year - 2
    years = {y for _, y in published} | {last_due_year}
    for admin in index.administrators.values():
        if admin.level != "republican":
            continue
        for year in sorted(y for y in years if y <= last_due_year):
            if (admin.code, year) not in published:
                checks.append(Check("R5", "statements_missing", admin.code, False, None,
                                    dt.date(year + 1, *STATEMENTS_DUE), None, {"year": year}))
    return checks


def _audits(index: SiteIndex) -> list[Check]:
    """R7: audit results published within 15 working days of receipt."""
    checks = []
    for doc in index.of_type("audit_results"):
        received = dt.date.fromisoformat(doc.meta[LANGUAGES[0]]["received"])
        due = index.calendar.audit_publication_due(received)
        checks.append(Check("R7", "audit_published", doc.administrator, doc.posted <= due, doc.uid,
                            due, doc.posted, {"received": received.isoformat()}))
    return checks


def _discussions(index: SiteIndex) -> list[Check]:
    """R9, R10: discussion length; R10: report deadline and supporting materials."""
    checks = []
    for doc in index.discussions:
        rule = "R9" if doc.type == "passport" else "R10"
        days = index.calendar.working_days_between(doc.posted, doc.discussion_end)
        checks.append(Check(rule, "discussion_length", doc.administrator,
                            days >= DISCUSSION_WORKING_DAYS, doc.uid, None, None,
                            {"working_days": days}))
        if doc.type != "implementation_report":
            continue
        year = int(doc.meta[LANGUAGES[0]]["period"][:4])
        due = dt.date(year + 1, *REPORTS_DUE)
        checks.append(Check("R10", "report_posted", doc.administrator, doc.posted <= due, doc.uid,
                            due, doc.posted))
        declared_none = doc.meta[LANGUAGES[0]].get("investment_projects", "").strip().lower() \
            == NO_INVESTMENT_PROJECTS
        checks.append(Check("R10", "supporting_materials", doc.administrator,
                            bool(doc.attachments) or declared_none, doc.uid,
                            detail={"attachments": len(doc.attachments)}))
    return checks


def _press_releases(index: SiteIndex) -> list[Check]:
    """R12: the administrator's own press release on the posting day."""
    releases: dict[str, list[Document]] = {}
    for release in index.of_type("press_release"):
        if release.generated:
            continue
        target = release.meta[LANGUAGES[0]].get("document")
        if target:
            releases.setdefault(target, []).append(release)
    checks = []
    for doc in index.discussions:
        if doc.posted > index.today:
            continue
        own = releases.get(doc.uid, [])
        on_day = [r for r in own if r.date == doc.posted]
        if on_day:
            checks.append(Check("R12", "press_release", doc.administrator, True, doc.uid,
                                doc.posted, on_day[0].date))
        elif own:
            checks.append(Check("R12", "press_release_late", doc.administrator, False, doc.uid,
                                doc.posted, min(r.date for r in own)))
        else:
            checks.append(Check("R12", "press_release_missing", doc.administrator, False, doc.uid,
                                doc.posted, None))
    return checks


def _languages(index: SiteIndex) -> list[Check]:
    """R3: every document in Kazakh and Russian (the build refuses otherwise; recorded here)."""
    both = set(LANGUAGES)
    return [Check("R3", "both_languages", doc.administrator, doc.meta.keys() >= both,
                  doc.uid) for doc in index.documents.values() if not doc.generated]


def _problems(problems) -> list[Check]:
    """Content problems that stop the build (generator.content.Problem), as failed checks."""
    return [Check(p.rule, "content_problem", None, False, None,
                  detail={"where": p.path, "field": p.field, "problem": p.message})
            for p in problems]


def check(index: SiteIndex, snapshot: dict | None = None, problems=()) -> list[Check]:
    """Every check, in rule order, then by administrator and document. ``snapshot`` is the
    public snapshot (publication record, discussions' facts); ``problems`` the content problems
    found while reading (``load_content(..., strict=False)``)."""
    from generator.compliance_order import order_checks
    from generator.compliance_record import record_checks

    # (100,000 checks at 20,000 passports, none in a cycle: the cyclic collector, on while a
    # build renders many pages, walked them over and over - a fifth of the check's time)
    with collector_paused():
        checks = (_problems(problems) + _languages(index) + _statements(index) + _audits(index)
                  + _discussions(index) + _press_releases(index) + order_checks(index)
                  + record_checks(index, snapshot))
        return sorted(checks, key=order_key)


@functools.lru_cache(maxsize=64)
def _rule_number(rule: str) -> int:
    return int(rule[1:])


def order_key(check: Check) -> tuple:
    return (_rule_number(check.rule), check.administrator or "", check.document or "",
            check.kind)


def check_body(index: SiteIndex, snapshot: dict | None, code: str | None) -> list[Check]:
    """The checks charged to the state body ``code`` - ``[c for c in check(index, snapshot)
    if c.administrator == code]``, in that order - found by reading only the documents they
    read: the body's own and those of :data:`CROSS_BODY_TYPES` (``generator.deps`` keys the
    body's compliance page on the same). A text edit re-renders one body's compliance page:
    at 20,000 documents the whole check was half a second of it."""
    from generator.compliance_record import withdrawn
    from generator.publication import record_from_snapshot

    read = {uid: doc for uid, doc in index.documents.items() if not doc.generated
            and (doc.administrator == code or doc.type in CROSS_BODY_TYPES)}  # none judges
    # a generated press release (20,000 of them beside 20,000 passports)
    part = dataclasses.replace(index, documents=read, problems=[], memo={})
    snapshot = snapshot or {}
    served = snapshot.get("publication") or {}
    # the publication record of the documents read; a document served and no longer in the
    # content is told from every document (one now of another body's is not withdrawn)
    checks = [c for c in check(part, {**snapshot, "publication": {
        uid: entry for uid, entry in served.items() if uid in read}}) if c.administrator == code]
    checks += withdrawn(index, record_from_snapshot({"publication": {
        uid: entry for uid, entry in served.items() if entry.get("administrator") == code}}))
    return sorted(checks, key=order_key)


def violations(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def by_administrator(items: Iterable[T]) -> dict[str, list[T]]:
    """``items`` - checks, documents: anything with an ``administrator`` code - grouped by
    state body in their order; those of no state body left out."""
    grouped: dict[str, list[T]] = {}
    for item in items:
        if item.administrator:
            grouped.setdefault(item.administrator, []).append(item)
    return grouped
