"""Compliance judged from recorded facts, never from what editors type: the publication record
(R9, R10, R12 - when the portal first served each document) and the discussions' facts (R15,
R16, R17), both from the public snapshot the service exports (no SQL here, DESIGN.md boundary 1).
"""
from __future__ import annotations

import datetime as dt

from generator.compliance import Check
from generator.content import Document, SiteIndex
from generator.publication import Served, record_from_snapshot

RULE_OF_TYPE = {"passport": "R9", "implementation_report": "R10", "audit_results": "R7",
                "financial_statements": "R5", "budget_reporting": "R4", "citizens_budget": "R6"}
#: R17: the report is formed on the worker's next pass; a working day's grace before it is late
REPORT_GRACE_WORKING_DAYS = 1


def _publication(index: SiteIndex, snapshot: dict | None) -> list[Check]:
    """R9, R10, R12: a declared ``posted`` earlier than the first serving is back-dated; a
    document served and then removed is still accounted for (:func:`withdrawn`)."""
    record = record_from_snapshot(snapshot)
    checks = []
    for doc in index.documents.values():
        served = record.get(doc.uid)
        if doc.generated or doc.declared_posted is None or served is None or served.baseline:
            continue
        rule = RULE_OF_TYPE.get(doc.type, "R3")
        first = served.first.date()
        checks.append(Check(rule, "posting_recorded", doc.administrator,
                            doc.declared_posted >= first, doc.uid, doc.declared_posted, first,
                            {"versions": len(served.versions)}))
    return checks + withdrawn(index, record)


def withdrawn(index: SiteIndex, record: dict[str, Served]) -> list[Check]:
    """R9, R10, R12: a document served (``record``: the publication record) and then removed
    from the content is still accounted for."""
    return [Check(RULE_OF_TYPE.get(served.type or "", "R3"), "withdrawn",
                  served.administrator, False, uid, None, served.first.date())
            for uid, served in sorted(record.items())
            if uid not in index.documents and not served.baseline]


def discussion_checks(index: SiteIndex, snapshot: dict | None,
                      discussions: list[Document] | None = None) -> list[Check]:
    """R15 moderation overdue; R16 proposals unanswered at the end; R17 report not formed or
    not delivered - from the snapshot's ``discussions`` facts (of ``discussions``: default
    all of the index's)."""
    facts = (snapshot or {}).get("discussions")
    if facts is None:
        return []
    checks = []
    for doc in index.discussions if discussions is None else discussions:
        fact = facts.get(doc.uid, {})
        overdue = [d for d in fact.get("pending_due", []) if dt.date.fromisoformat(d) < index.today]
        late = int(fact.get("moderated_late", 0))
        if overdue or late:
            checks.append(Check("R15", "moderation_overdue", None, False, doc.uid,
                                detail={"pending": len(overdue), "decided_late": late}))
        if doc.status != "closed":
            continue
        report = fact.get("report")
        unanswered = int(fact.get("unanswered", 0))
        checks.append(Check("R16", "answered_by_end", doc.administrator, unanswered == 0,
                            doc.uid, doc.discussion_end, detail={"unanswered": unanswered}))
        if report is None:
            waiting = bool(fact.get("pending_due"))
            grace = index.calendar.working_days_after(doc.discussion_end, REPORT_GRACE_WORKING_DAYS)
            checks.append(Check("R17", "report_waiting" if waiting else "report_formed", None,
                                waiting or index.today <= grace, doc.uid, grace))
            continue
        formed = dt.datetime.fromisoformat(report["formed"]).date()
        checks.append(Check("R17", "report_formed", None, True, doc.uid, None, formed))
        delivered = report.get("delivery") == "sent"
        checks.append(Check("R17", "report_delivered", doc.administrator,
                            delivered or formed >= index.today, doc.uid, formed,
                            dt.datetime.fromisoformat(report["delivered"]).date() if report.get("delivered") else None))
    return checks


def record_checks(index: SiteIndex, snapshot: dict | None) -> list[Check]:
    return _publication(index, snapshot) + discussion_checks(index, snapshot)
