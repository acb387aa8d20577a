"""The one way out for private data (DESIGN.md, boundary 1): every read of the database whose
result becomes public lives here, and nowhere else.

* :func:`public_snapshot` / :func:`snapshot_json` - everything public, and nothing else: the
  static build and the open data read only this, never the database;
* :func:`report_rows` - what a final report (R17) shows, shaped by :mod:`submit_api.reports.data`;
* :func:`pending_changes`, :func:`changed_documents`, :func:`vote_fingerprints` - the change
  feed the rebuild worker follows to know which pages to render again.

Published proposals (with their part, text, dates, the state body's answer and vote totals)
and vote totals. No IIN, name, certificate, person hash, pending or refused text.
"""
from __future__ import annotations

import json
import sqlite3

from ashyq import clock
from submit_api.db import reading

#: R15/R16: a proposal others can see, vote on and find in the final report - published by the
#: operator, then maybe accepted or rejected by the administrator. Defined here only.
PUBLIC_STATUSES = ("published", "accepted", "rejected")
#: R16: the administrator's answer.
ANSWERED_STATUSES = ("accepted", "rejected")
SNAPSHOT_VERSION = 1

_PUBLIC = f"status IN ({', '.join('?' * len(PUBLIC_STATUSES))})"


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _totals(conn: sqlite3.Connection, target_type: str,
            targets: list[str] | None = None) -> dict[str, dict[str, int]]:
    sql = "SELECT target_id, value, count(*) FROM votes WHERE target_type = ?"
    params: list = [target_type]
    if targets is not None:
        sql += f" AND target_id IN ({_marks(targets)})"
        params += targets
    totals: dict[str, dict[str, int]] = {}
    for row in conn.execute(sql + " GROUP BY target_id, value ORDER BY target_id", params):
        totals.setdefault(row[0], {"for": 0, "against": 0})[row[1]] = row[2]
    return totals


# --- the public snapshot ----------------------------------------------------------------------

def public_snapshot(conn: sqlite3.Connection, documents: list[str] | None = None) -> dict:
    """The public state of every discussion (or of ``documents``), deterministic for the same
    data, read in one transaction so totals, proposals and ``changes_upto`` agree."""
    with reading(conn):
        return _snapshot(conn, documents)


def _snapshot(conn: sqlite3.Connection, documents: list[str] | None) -> dict:
    changes_upto = conn.execute("SELECT coalesce(max(id), 0) FROM site_changes").fetchone()[0]
    where, params = _PUBLIC, list(PUBLIC_STATUSES)
    if documents is not None:
        where += f" AND document IN ({_marks(documents)})"
        params += documents
    rows = conn.execute(
        "SELECT id, document, part, lang, text, status, created_at, moderated_at, "
        f"answer_text, answered_at FROM proposals WHERE {where} ORDER BY id", params).fetchall()
    proposal_votes = _totals(conn, "proposal", None if documents is None else [str(r[0]) for r in rows])
    proposals = []
    for row in rows:
        answered = row[5] in ANSWERED_STATUSES
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


# --- the final report's data (R17) ------------------------------------------------------------

def report_rows(conn: sqlite3.Connection, uid: str) -> tuple[dict, list, dict, dict]:
    """What the final report on ``uid`` shows, read in one transaction so counts and rows agree:
    the document's vote totals, its public proposals (id, part, lang, text, status, created_at,
    answer_text, answered_at), their vote totals by proposal id, and the number of proposals in
    each status (numbers only: no pending or refused text leaves)."""
    with reading(conn):
        document_votes = {"for": 0, "against": 0}
        for value, count in conn.execute(
                "SELECT value, count(*) FROM votes WHERE target_type = 'document' AND "
                "target_id = ? GROUP BY value", (uid,)):
            document_votes[value] = count
        proposals = conn.execute(
            "SELECT id, part, lang, text, status, created_at, answer_text, answered_at "
            f"FROM proposals WHERE document = ? AND {_PUBLIC} ORDER BY id",
            (uid, *PUBLIC_STATUSES)).fetchall()
        proposal_votes: dict[str, dict[str, int]] = {}
        for target, value, count in conn.execute(
                "SELECT target_id, value, count(*) FROM votes WHERE target_type = 'proposal' AND "
                "target_id IN (SELECT CAST(id AS TEXT) FROM proposals "
                f"WHERE document = ? AND {_PUBLIC}) GROUP BY target_id, value",
                (uid, *PUBLIC_STATUSES)):
            proposal_votes.setdefault(target, {"for": 0, "against": 0})[value] = count
        statuses = {row[0]: row[1] for row in conn.execute(
            "SELECT status, count(*) FROM proposals WHERE document = ? GROUP BY status", (uid,))}
    return document_votes, proposals, proposal_votes, statuses


# --- the change feed of the rebuild worker ----------------------------------------------------

def pending_changes(conn: sqlite3.Connection, upto: int) -> tuple[int, float | None, float | None]:
    """Changes after ``upto`` (the last one the site shows): how many, the first and last time."""
    row = conn.execute("SELECT count(*), min(at), max(at) FROM site_changes WHERE id > ?",
                       (upto,)).fetchone()
    return row[0], row[1], row[2]


def changed_documents(conn: sqlite3.Connection, upto: int) -> list[str]:
    """The documents with a change after ``upto``, sorted."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT document FROM site_changes WHERE id > ? ORDER BY document", (upto,))]


def vote_fingerprints(conn: sqlite3.Connection) -> dict[str, tuple]:
    """Per document, its vote totals and those of its proposals, as a comparable tuple: the
    worker renders a page again when its fingerprint changes."""
    current: dict[str, list] = {}
    for target_type, target, value, n in conn.execute(
            "SELECT v.target_type, coalesce(p.document, v.target_id), v.value, count(*) "
            "FROM votes v LEFT JOIN proposals p ON v.target_type = 'proposal' "
            "AND p.id = CAST(v.target_id AS INTEGER) GROUP BY 1, 2, v.target_id, 3 "
            "ORDER BY 1, 2, v.target_id, 3"):
        current.setdefault(target, []).append((target_type, value, n))
    return {doc: tuple(items) for doc, items in current.items()}


# --- the publication record and the discussions' facts (compliance, R9-R17) -------------------

def publication_record(conn: sqlite3.Connection) -> dict[str, dict]:
    """By uid: the first serving of any version, of each version, and what the first version
    declared (type, administrator, posted), from the audit log (``submit_api.publication``)."""
    record: dict[str, dict] = {}
    for at, after in conn.execute("SELECT at, after FROM audit_log WHERE action = "
                                  "'first_served' ORDER BY id"):
        item = json.loads(after)
        entry = record.setdefault(item["uid"], {
            "first_served": at, "baseline": bool(item.get("baseline")), "versions": {},
            "type": item.get("type"), "administrator": item.get("administrator"),
            "posted": item.get("posted")})
        entry["versions"].setdefault(item["version"], at)
    return record


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
