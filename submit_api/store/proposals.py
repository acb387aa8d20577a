"""Proposals (R14), their moderation (R15) and the administrator's answers (R16)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection

#: The columns of a proposal in the office's queues.
QUEUE_COLUMNS = ("id", "document", "part", "lang", "text", "status", "flags", "created_at",
                 "moderation_due", "moderated_at", "moderation_code", "moderation_reason",
                 "answer_text", "answered_at")
#: The columns of a proposal as its author sees it (``GET /api/me/proposals``).
OWN_COLUMNS = ("id", "document", "part", "lang", "text", "status", "created_at", "moderation_due",
               "moderated_at", "moderation_code", "moderation_grounds", "moderation_reason",
               "answer_text", "answered_at")


def insert(conn: sqlite3.Connection, document: str, part: str, person: str, lang: str,
           text: str, text_key: str, flags: list[dict], created_at: str,
           moderation_due: str, signer: str | None = None) -> int:
    """A new pending proposal; raises :class:`sqlite3.IntegrityError` when the person (or the
    organisation) already sent the same text (R14). ``signer``: the keyed IIN of the person who
    signed an organisation's proposal (¶2(1)). Returns its id."""
    return conn.execute(
        "INSERT INTO proposals (document, part, person, signer, lang, text, text_key, flags, "
        "created_at, moderation_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (document, part, person, signer, lang, text, text_key,
         json.dumps(flags, ensure_ascii=False), created_at, moderation_due)).lastrowid


def same_text_on_part(conn: sqlite3.Connection, person: str, text_key: str, document: str,
                      part: str) -> dict | None:
    """The person's proposal with this text on this part, if any (a double tap, issue 14)."""
    row = conn.execute("SELECT id, status, moderation_due, created_at FROM proposals "
                       "WHERE person = ? AND text_key = ? AND document = ? AND part = ?",
                       (person, text_key, document, part)).fetchone()
    return dict(zip(("id", "status", "moderation_due", "created_at"), row)) if row else None


def documents_written_by(conn: sqlite3.Connection, persons: Collection[str]) -> set[str]:
    """The documents on which any of ``persons`` sent a proposal (the demo's idempotence)."""
    marks = ",".join("?" * len(persons))
    return {row[0] for row in conn.execute(
        f"SELECT DISTINCT document FROM proposals WHERE person IN ({marks})", list(persons))}


def repeated_by(conn: sqlite3.Connection, text_key: str, person: str) -> int:
    """How many other people sent a text with this key (spam, R14)."""
    return conn.execute("SELECT count(DISTINCT person) FROM proposals WHERE text_key = ? "
                        "AND person != ?", (text_key, person)).fetchone()[0]


def of_person(conn: sqlite3.Connection, person: str) -> list[dict]:
    """The person's own proposals, newest first."""
    return [dict(zip(OWN_COLUMNS, row)) for row in conn.execute(
        f"SELECT {', '.join(OWN_COLUMNS)} FROM proposals WHERE person = ? ORDER BY id DESC",
        (person,))]


def document_and_status(conn: sqlite3.Connection, proposal_id: int) -> tuple[str, str] | None:
    row = conn.execute("SELECT document, status FROM proposals WHERE id = ?",
                       (proposal_id,)).fetchone()
    return (row[0], row[1]) if row else None


def answer_state(conn: sqlite3.Connection, proposal_id: int) -> tuple | None:
    """(document, status, answer text, moderated_at) of a proposal, or None."""
    row = conn.execute("SELECT document, status, answer_text, moderated_at FROM proposals "
                       "WHERE id = ?", (proposal_id,)).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def set_moderation(conn: sqlite3.Connection, proposal_id: int, status: str, stamp: str,
                   code: str, reason: str | None, actor: str,
                   grounds: list[str] | None = None) -> None:
    """R15: the decision, its first ground (``code``), every ground of ¶14 and the words."""
    conn.execute("UPDATE proposals SET status = ?, moderated_at = ?, moderation_code = ?, "
                 "moderation_grounds = ?, moderation_reason = ?, moderated_by = ? WHERE id = ?",
                 (status, stamp, code, json.dumps(grounds or [code]), reason, actor, proposal_id))


def waiting_on(conn: sqlite3.Connection, document: str) -> tuple[bool, list[str | None]]:
    """Whether a proposal on ``document`` waits for moderation, and when each published but
    unanswered one was published (RULES.md: the final report waits, ¶15-¶17)."""
    pending = conn.execute("SELECT 1 FROM proposals WHERE document = ? AND status = 'pending' "
                           "LIMIT 1", (document,)).fetchone() is not None
    published = [r[0] for r in conn.execute("SELECT moderated_at FROM proposals WHERE "
                                            "document = ? AND status = 'published'", (document,))]
    return pending, published


def set_answer(conn: sqlite3.Connection, proposal_id: int, status: str, text: str, stamp: str,
               actor: str) -> None:
    conn.execute("UPDATE proposals SET status = ?, answer_text = ?, answered_at = ?, "
                 "answered_by = ? WHERE id = ?", (status, text, stamp, actor, proposal_id))


def _queue(conn: sqlite3.Connection, sql: str, params) -> list[dict]:
    items = []
    for row in conn.execute(sql, params):
        item = dict(zip(QUEUE_COLUMNS, row))
        item["flags"] = json.loads(item["flags"])
        items.append(item)
    return items


def pending(conn: sqlite3.Connection, limit: int) -> list[dict]:
    """Pending proposals, the earliest due first (R15)."""
    return _queue(conn, f"SELECT {', '.join(QUEUE_COLUMNS)} FROM proposals "
                        "WHERE status = 'pending' ORDER BY moderation_due, id LIMIT ?", (limit,))


def on_documents(conn: sqlite3.Connection, documents: Collection[str],
                 statuses: Collection[str]) -> list[dict]:
    """Proposals on these documents in these statuses (R16), unordered."""
    return _queue(conn, f"SELECT {', '.join(QUEUE_COLUMNS)} FROM proposals WHERE document IN "
                        f"({','.join('?' * len(documents))}) "
                        f"AND status IN ({','.join('?' * len(statuses))})",
                  [*documents, *statuses])
