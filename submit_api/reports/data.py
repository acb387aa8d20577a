"""The data of a final report (R17, Annex 1/2) as one JSON-able dict: the shape only; the
database is read by :func:`submit_api.public.report_rows`.

Public data only, as in :mod:`submit_api.public`: the rows are the proposals the operator
published (``published``, ``accepted``, ``rejected``); no person, no pending or refused text.
How many proposals were received, refused or still pending is given as numbers only, in a
``note`` beside the form's 13 fields. A published proposal the administrator never answered is
a row with ``answer: null``, shown as "no answer yet" - never left out.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping

from ashyq.annex import ANNEX_TYPES, FIELD_KEYS, annex
from ashyq.clock import ALMATY
from ashyq.doctypes import LANGUAGES
from submit_api.public import ANSWERED_STATUSES, report_rows

#: Bumped when the shape of the dict changes; stored with every report.
#: 2: ``rows[].answer.after_end`` (RULES.md interpretation, ¶15-¶17).
DATA_FORMAT = 2


def canonical_json(data: dict) -> str:
    """The one text of a report's data: sorted keys, real letters, no spaces. It is hashed into
    ``reports.sha256`` and, with a final newline, is the ``report.json`` file."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _day(stamp: str | None) -> str | None:
    """The Kazakhstan calendar day of a stored ISO date-time (or date), as YYYY-MM-DD."""
    if not stamp:
        return None
    moment = dt.datetime.fromisoformat(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ALMATY)
    return moment.date().isoformat()


def _both(value: object) -> dict[str, str]:
    """A {kk, ru} pair from a manifest value that may be one string for both languages."""
    if isinstance(value, Mapping):
        return {lang: str(value.get(lang) or "") for lang in LANGUAGES}
    return {lang: str(value or "") for lang in LANGUAGES}


def report_data(conn: sqlite3.Connection, document: Mapping, generated: dt.date,
                version: int = 1) -> dict:
    """The report on one passport or implementation report (R17), from a manifest entry.

    ``document`` is one entry of ``opendata/documents.json`` (uid, type, title, administrator
    {code, name}, budget_type, period, head, posted, discussion_end, parts). The database is
    read in one transaction, so the counts and the rows agree.
    """
    if document["type"] not in ANNEX_TYPES:
        raise ValueError(f"{document['uid']}: a {document['type']} has no final report (R17)")
    uid = document["uid"]
    document_votes, proposals, proposal_votes, statuses = report_rows(conn, uid)

    parts = {p["id"]: _both(p.get("title")) for p in document.get("parts", [])}
    end = str(document["discussion_end"])
    rows = []
    for number, row in enumerate(proposals, start=1):
        pid, part, lang, text, status, created_at, answer_text, answered_at = tuple(row)
        answered = status in ANSWERED_STATUSES
        votes = proposal_votes.get(str(pid), {"for": 0, "against": 0})
        rows.append({
            "no": number,
            "id": pid,
            "posted": _day(created_at),
            "part": {"id": part, "title": parts.get(part, {lang_: part for lang_ in LANGUAGES})},
            "text": text,
            "lang": lang,
            # after_end: answered after the discussion ended, on a proposal the operator published
            # after the end (RULES.md: the report marks such answers)
            "answer": {"decision": "accept" if status == "accepted" else "reject",
                       "text": answer_text or "", "date": _day(answered_at),
                       "after_end": (_day(answered_at) or "") > end} if answered else None,
            "for": votes["for"],
            "against": votes["against"],
        })

    admin = document["administrator"]
    header = {
        "unique_number": uid,
        "posted": str(document["posted"]),
        "discussion_end": str(document["discussion_end"]),
        "generated": generated.isoformat(),
        "document_for": document_votes["for"],
        "document_against": document_votes["against"],
        "proposals_total": len(rows),
        "proposals_for": sum(r["for"] for r in rows),
        "proposals_against": sum(r["against"] for r in rows),
        "budget_type": document.get("budget_type", ""),
        "administrator": {"code": str(admin["code"]), "name": _both(admin.get("name"))},
        "period": str(document.get("period", "")),
        "head": _both(document.get("head")),
    }
    assert tuple(header) == FIELD_KEYS
    return {
        "format": DATA_FORMAT,
        "rule": "R17",
        "annex": annex(document["type"]).number,
        "type": document["type"],
        "uid": uid,
        "version": version,
        "title": _both(document.get("title")),
        "header": header,
        "note": {"received": sum(statuses.values()),
                 "refused": statuses.get("refused", 0),
                 "pending": statuses.get("pending", 0)},
        "rows": rows,
    }
