"""The public snapshot: everything public, and nothing else, in one function (DESIGN.md,
boundary 1). The static build and the open data read only this - never the database.

Published proposals (with their part, text, dates, the state body's answer and vote totals)
and document vote totals. No IIN, name, certificate, person hash, pending or refused text.
"""
from __future__ import annotations

import json
import sqlite3

from ashyq import clock
from submit_api.publication import publication_record

PUBLIC_STATUSES = ("published", "accepted", "rejected")
SNAPSHOT_VERSION = 1


def _totals(conn: sqlite3.Connection, target_type: str,
            targets: list[str] | None = None) -> dict[str, dict[str, int]]:
    sql = "SELECT target_id, value, count(*) FROM votes WHERE target_type = ?"
    params: list = [target_type]
    if targets is not None:
        sql += f" AND target_id IN ({','.join('?' * len(targets))})"
        params += targets
    totals: dict[str, dict[str, int]] = {}
    for row in conn.execute(sql + " GROUP BY target_id, value ORDER BY target_id", params):
        totals.setdefault(row[0], {"for": 0, "against": 0})[row[1]] = row[2]
    return totals


def document_totals(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Vote totals of every document (R11)."""
    return _totals(conn, "document")


def public_snapshot(conn: sqlite3.Connection, documents: list[str] | None = None) -> dict:
    """The public state of every discussion (or of ``documents``), deterministic for the same
    data, read in one transaction so totals, proposals and ``changes_upto`` agree."""
    conn.execute("BEGIN")
    try:
        return _snapshot(conn, documents)
    finally:
        conn.execute("COMMIT")


def _snapshot(conn: sqlite3.Connection, documents: list[str] | None) -> dict:
    changes_upto = conn.execute("SELECT coalesce(max(id), 0) FROM site_changes").fetchone()[0]
    where, params = "status IN (?, ?, ?)", list(PUBLIC_STATUSES)
    if documents is not None:
        where += f" AND document IN ({','.join('?' * len(documents))})"
        params += documents
    rows = conn.execute(
        "SELECT id, document, part, lang, text, status, created_at, moderated_at, "
        f"answer_text, answered_at FROM proposals WHERE {where} ORDER BY id", params).fetchall()
    proposal_votes = _totals(conn, "proposal", None if documents is None else [str(r[0]) for r in rows])
    proposals = []
    for row in rows:
        answered = row[5] in ("accepted", "rejected")
        proposals.append({
            "id": row[0], "document": row[1], "part": row[2], "lang": row[3], "text": row[4],
            "submitted": row[6], "published": row[7],
            "answer": {"decision": "accept" if row[5] == "accepted" else "reject",
                       "text": row[8], "date": row[9]} if answered else None,
            "votes": proposal_votes.get(str(row[0]), {"for": 0, "against": 0}),
        })
    snapshot = {"version": SNAPSHOT_VERSION,
                "generated": clock.now().isoformat(timespec="seconds"),
                "changes_upto": changes_upto,
                "documents": _totals(conn, "document", documents),
                "proposals": proposals}
    if documents is None:  # the whole snapshot: what the next full build and compliance read
        snapshot["publication"] = publication_record(conn)   # R9, R10, R12
        snapshot["discussions"] = discussion_facts(conn)      # R15, R16, R17
    return snapshot


def snapshot_json(conn: sqlite3.Connection) -> str:
    return json.dumps(public_snapshot(conn), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def discussion_facts(conn: sqlite3.Connection) -> dict[str, dict]:
    """Public numbers and dates per document for the compliance check (no text, no person):
    R15 - due days of proposals still pending, and how many were decided after their due day;
    R16 - how many published proposals are unanswered, and answers given after the end;
    R17 - when the final report was formed and whether it was delivered."""
    facts: dict[str, dict] = {}

    def entry(uid: str) -> dict:
        return facts.setdefault(uid, {"pending_due": [], "moderated_late": 0, "unanswered": 0,
                                      "report": None})
    for uid, due in conn.execute("SELECT document, moderation_due FROM proposals WHERE "
                                 "status = 'pending' ORDER BY document, moderation_due, id"):
        entry(uid)["pending_due"].append(due)
    for uid, late in conn.execute(
            "SELECT document, count(*) FROM proposals WHERE moderated_at IS NOT NULL AND "
            "substr(moderated_at, 1, 10) > moderation_due GROUP BY document"):
        entry(uid)["moderated_late"] = late
    for uid, n in conn.execute("SELECT document, count(*) FROM proposals WHERE status = "
                               "'published' GROUP BY document"):
        entry(uid)["unanswered"] = n
    for uid, generated, status, sent in conn.execute(
            "SELECT r.document, min(r.generated_at), d.status, d.sent_at FROM reports r "
            "LEFT JOIN deliveries d ON d.report = r.id GROUP BY r.document ORDER BY r.document"):
        entry(uid)["report"] = {"formed": generated, "delivery": status or "none",
                                "delivered": sent}
    return facts
