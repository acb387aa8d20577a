"""The public snapshot: everything public, and nothing else, in one function (DESIGN.md,
boundary 1). The static build and the open data read only this - never the database.

Published proposals (with their part, text, dates, the state body's answer and vote totals)
and document vote totals. No IIN, name, certificate, person hash, pending or refused text.
"""
from __future__ import annotations

import json
import sqlite3

from ashyq import clock

PUBLIC_STATUSES = ("published", "accepted", "rejected")
SNAPSHOT_VERSION = 1


def _totals(conn: sqlite3.Connection, target_type: str) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for row in conn.execute("SELECT target_id, value, count(*) FROM votes WHERE target_type = ? "
                            "GROUP BY target_id, value ORDER BY target_id", (target_type,)):
        totals.setdefault(row[0], {"for": 0, "against": 0})[row[1]] = row[2]
    return totals


def public_snapshot(conn: sqlite3.Connection) -> dict:
    """The public state of every discussion, deterministic for the same data."""
    proposal_votes = _totals(conn, "proposal")
    proposals = []
    for row in conn.execute(
            "SELECT id, document, part, lang, text, status, created_at, moderated_at, "
            "answer_text, answered_at FROM proposals WHERE status IN (?, ?, ?) ORDER BY id",
            PUBLIC_STATUSES):
        answered = row[5] in ("accepted", "rejected")
        proposals.append({
            "id": row[0], "document": row[1], "part": row[2], "lang": row[3], "text": row[4],
            "submitted": row[6], "published": row[7],
            "answer": {"decision": "accept" if row[5] == "accepted" else "reject",
                       "text": row[8], "date": row[9]} if answered else None,
            "votes": proposal_votes.get(str(row[0]), {"for": 0, "against": 0}),
        })
    return {"version": SNAPSHOT_VERSION,
            "generated": clock.now().isoformat(timespec="seconds"),
            "documents": _totals(conn, "document"),
            "proposals": proposals}


def snapshot_json(conn: sqlite3.Connection) -> str:
    return json.dumps(public_snapshot(conn), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
