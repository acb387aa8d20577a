"""SQL of e-mail follow (tables ``follows``, ``follow_events``, ``follow_mails``).

A follow is confirmed by the link in its confirmation e-mail, and ends by the one-click
unsubscribe link (RFC 8058) or by its person. Addresses live only in ``follows.email``; nothing
here logs them.

A mail row is the state machine of the report deliveries (submit_api/reports/mail.py)::

    pending ──claim──▶ sending ──ok──▶ sent
    failed  ──claim──▶ sending ──error──▶ failed (retried with backoff)
    pending ──its follow ended──▶ dropped

A row left in ``sending`` by a crash is never sent again (the server may have taken it): at
most once, and exactly once when nothing crashes mid-send.
"""
from __future__ import annotations

import json
import secrets
import sqlite3

from submit_api.public import ANSWERED_STATUSES, PUBLIC_STATUSES
from dataclasses import dataclass

from submit_api.db import transaction

TARGETS = ("document", "administrator")


@dataclass(frozen=True)
class Follow:
    id: int
    email: str
    target_type: str
    target_id: str
    lang: str
    token: str
    confirmed: bool
    active: bool


def _message_id(domain: str = "ashyq.local") -> str:
    return f"<follow-{secrets.token_hex(12)}@{domain}>"


def _follow(row) -> Follow:
    return Follow(row[0], row[1], row[2], row[3], row[4], row[5], row[6] is not None,
                  row[7] is None)


FOLLOW_COLUMNS = ("id, email, target_type, target_id, lang, token, confirmed_at, "
                  "unsubscribed_at")


def start(conn: sqlite3.Connection, person: str, email: str, target_type: str, target_id: str,
          lang: str, now: str) -> tuple[Follow, bool]:
    """Follow (or follow again with another address); a confirmation mail is queued unless the
    same address already follows. Returns the follow and whether a confirmation was queued."""
    with transaction(conn):
        row = conn.execute(f"SELECT {FOLLOW_COLUMNS} FROM follows WHERE person = ? AND "
                           "target_type = ? AND target_id = ?",
                           (person, target_type, target_id)).fetchone()
        if row is not None and _follow(row).active and _follow(row).confirmed and row[1] == email:
            return _follow(row), False
        token = secrets.token_urlsafe(32)
        if row is None:
            conn.execute("INSERT INTO follows (person, email, target_type, target_id, lang, token, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (person, email, target_type, target_id, lang, token, now))
        else:
            conn.execute("UPDATE follows SET email = ?, lang = ?, token = ?, created_at = ?, "
                         "confirmed_at = NULL, unsubscribed_at = NULL WHERE id = ?",
                         (email, lang, token, now, row[0]))
            conn.execute("UPDATE follow_mails SET status = 'dropped' WHERE follow = ? AND "
                         "status IN ('pending', 'failed')", (row[0],))
        follow = _follow(conn.execute(f"SELECT {FOLLOW_COLUMNS} FROM follows WHERE token = ?",
                                      (token,)).fetchone())
        conn.execute("INSERT INTO follow_mails (kind, follow, message_id) VALUES ('confirm', ?, ?)",
                     (follow.id, _message_id()))
    return follow, True


def by_token(conn: sqlite3.Connection, token: str) -> Follow | None:
    row = conn.execute(f"SELECT {FOLLOW_COLUMNS} FROM follows WHERE token = ?", (token,)).fetchone()
    return _follow(row) if row else None


def confirm(conn: sqlite3.Connection, token: str, now: str) -> Follow | None:
    conn.execute("UPDATE follows SET confirmed_at = ? WHERE token = ? AND confirmed_at IS NULL "
                 "AND unsubscribed_at IS NULL", (now, token))
    return by_token(conn, token)


def unsubscribe(conn: sqlite3.Connection, token: str, now: str) -> Follow | None:
    conn.execute("UPDATE follows SET unsubscribed_at = ?, email = '' WHERE token = ? "
                 "AND unsubscribed_at IS NULL", (now, token))  # the address is forgotten
    return by_token(conn, token)


def stop(conn: sqlite3.Connection, person: str, target_type: str, target_id: str, now: str) -> bool:
    return conn.execute("UPDATE follows SET unsubscribed_at = ?, email = '' WHERE person = ? "
                        "AND target_type = ? AND target_id = ? AND unsubscribed_at IS NULL",
                        (now, person, target_type, target_id)).rowcount == 1


def of_person(conn: sqlite3.Connection, person: str) -> list[dict]:
    return [{"target_type": r[0], "target_id": r[1], "confirmed": r[2] is not None,
             "lang": r[3]}
            for r in conn.execute("SELECT target_type, target_id, confirmed_at, lang FROM follows "
                                  "WHERE person = ? AND unsubscribed_at IS NULL "
                                  "ORDER BY target_type, target_id", (person,))]


# -- events ------------------------------------------------------------------------------------

def proposal_events(conn: sqlite3.Connection) -> list[dict]:
    """Published and answered proposals (public facts: ids, document, part, dates)."""
    events = []
    for pid, document, part, status, moderated_at, answered_at in conn.execute(
            "SELECT id, document, part, status, moderated_at, answered_at FROM proposals "
            f"WHERE status IN ({', '.join(repr(s) for s in PUBLIC_STATUSES)}) ORDER BY id"):
        if moderated_at:
            events.append({"key": f"published:{pid}", "kind": "published", "document": document,
                           "at": moderated_at, "data": {"proposal": pid, "part": part}})
        if answered_at and status in ANSWERED_STATUSES:
            events.append({"key": f"answered:{pid}", "kind": "answered", "document": document,
                           "at": answered_at, "data": {"proposal": pid, "part": part,
                                                       "decision": status}})
    return events


def report_events(conn: sqlite3.Connection) -> list[dict]:
    return [{"key": f"report:{document}:{version}", "kind": "report", "document": document,
             "at": generated_at, "data": {"version": version}}
            for document, version, generated_at in conn.execute(
                "SELECT document, version, generated_at FROM reports ORDER BY id")]


def record_events(conn: sqlite3.Connection, events: list[dict]) -> int:
    """Remember events once each (by key); returns how many are new."""
    new = 0
    for e in events:
        new += conn.execute(
            "INSERT OR IGNORE INTO follow_events (key, kind, document, administrator, at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (e["key"], e["kind"], e["document"], e["administrator"], e["at"],
             json.dumps(e.get("data", {}), ensure_ascii=False))).rowcount
    return new


def queue_event_mails(conn: sqlite3.Connection) -> int:
    """One mail per (event, confirmed follow of its document or state body) that happened after
    the follow was confirmed; never twice (UNIQUE kind, follow, event)."""
    rows = conn.execute(
        "SELECT e.id, f.id FROM follow_events e JOIN follows f ON "
        "((f.target_type = 'document' AND f.target_id = e.document) OR "
        " (f.target_type = 'administrator' AND f.target_id = e.administrator)) "
        "WHERE f.confirmed_at IS NOT NULL AND f.unsubscribed_at IS NULL AND e.at >= f.confirmed_at "
        "AND NOT EXISTS (SELECT 1 FROM follow_mails m WHERE m.kind = 'event' AND m.follow = f.id "
        "AND m.event = e.id)").fetchall()
    for event_id, follow_id in rows:
        conn.execute("INSERT OR IGNORE INTO follow_mails (kind, follow, event, message_id) "
                     "VALUES ('event', ?, ?, ?)", (follow_id, event_id, _message_id()))
    return len(rows)


# -- staff digest (R15, R16) -------------------------------------------------------------------

def pending_proposals(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT id, document, created_at, moderation_due FROM proposals "
                        "WHERE status = 'pending' ORDER BY moderation_due, id").fetchall()


def unanswered_proposals(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT id, document, moderated_at FROM proposals "
                        "WHERE status = 'published' ORDER BY id").fetchall()


def queue_digest(conn: sqlite3.Connection, key: str, recipient: str, data: dict) -> bool:
    return conn.execute(
        "INSERT OR IGNORE INTO follow_mails (kind, digest_key, recipient, data, message_id) "
        "VALUES ('digest', ?, ?, ?, ?)",
        (key, recipient, json.dumps(data, ensure_ascii=False), _message_id())).rowcount == 1


# -- sending -----------------------------------------------------------------------------------

MAIL_COLUMNS = ("m.id, m.kind, m.attempts, m.message_id, m.recipient, m.data, f.email, f.lang, "
                "f.token, f.target_type, f.target_id, f.confirmed_at, f.unsubscribed_at, "
                "e.kind, e.document, e.data")


def claim(conn: sqlite3.Connection, now: float, skip: set[int]) -> dict | None:
    """Atomically move one due mail to ``sending`` (attempts + 1)."""
    with transaction(conn):
        skipped = f"AND m.id NOT IN ({','.join('?' * len(skip))}) " if skip else ""
        row = conn.execute(
            f"SELECT {MAIL_COLUMNS} FROM follow_mails m LEFT JOIN follows f ON f.id = m.follow "
            "LEFT JOIN follow_events e ON e.id = m.event "
            "WHERE m.status IN ('pending', 'failed') AND m.next_attempt_at <= ? "
            f"{skipped}ORDER BY m.next_attempt_at, m.id LIMIT 1", (now, *skip)).fetchone()
        if row is not None:
            conn.execute("UPDATE follow_mails SET status = 'sending', attempts = attempts + 1 "
                         "WHERE id = ? AND status IN ('pending', 'failed')", (row[0],))
    if row is None:
        return None
    names = [c.strip().split(".")[1] for c in MAIL_COLUMNS.split(",")]
    names[13], names[14], names[15] = "event_kind", "document", "event_data"
    return dict(zip(names, tuple(row)))


def finish(conn: sqlite3.Connection, mail_id: int, status: str, *, error: str | None = None,
           next_attempt_at: float = 0, sent_at: str | None = None) -> None:
    conn.execute("UPDATE follow_mails SET status = ?, last_error = ?, next_attempt_at = ?, "
                 "sent_at = ? WHERE id = ? AND status = 'sending'",
                 (status, error, next_attempt_at, sent_at, mail_id))
