"""Final reports (R17) frozen in ``reports``, and their e-mail in ``deliveries``.

The rules (when a report is due, versions, hashes, the delivery state machine) are in
:mod:`submit_api.reports`; this module only reads and writes the rows. Report rows are given as
tuples in :data:`COLUMNS` order.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Collection

from submit_api.db import tables

COLUMNS = ("id", "document", "version", "generated_at", "data", "files", "sha256", "superseded_at")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM reports"
STUCK_COLUMNS = ("id", "report", "document", "version", "recipient", "attempts", "message_id")
OFFICE_COLUMNS = ("id", "document", "version", "generated_at", "superseded_at",
                  "recipient", "status", "attempts", "last_error", "sent_at")


# --- reports ------------------------------------------------------------------------------------

def current(conn: sqlite3.Connection, uid: str) -> tuple | None:
    """The newest version not superseded."""
    row = conn.execute(f"{_SELECT} WHERE document = ? AND superseded_at IS NULL "
                       "ORDER BY version DESC LIMIT 1", (uid,)).fetchone()
    return tuple(row) if row else None


def version(conn: sqlite3.Connection, uid: str, number: int) -> tuple | None:
    row = conn.execute(f"{_SELECT} WHERE document = ? AND version = ?", (uid, number)).fetchone()
    return tuple(row) if row else None


def versions(conn: sqlite3.Connection, uid: str) -> list[tuple]:
    """Every version of a document's report, oldest first."""
    return [tuple(r[c] for c in COLUMNS) for r in tables(conn)["reports"].rows_where(
        "document = ?", [uid], select=", ".join(COLUMNS), order_by="version")]


def data_text(conn: sqlite3.Connection, report_id: int) -> str:
    """The stored canonical JSON of a report, as stored."""
    return conn.execute("SELECT data FROM reports WHERE id = ?", (report_id,)).fetchone()[0]


def latest_version(conn: sqlite3.Connection, uid: str) -> int:
    """The highest version of a document's report; 0 when it has none."""
    return conn.execute("SELECT max(version) FROM reports WHERE document = ?",
                        (uid,)).fetchone()[0] or 0


def has_report(conn: sqlite3.Connection, uid: str) -> bool:
    """Whether a final report on ``uid`` has been formed (R17)."""
    return conn.execute("SELECT 1 FROM reports WHERE document = ? LIMIT 1", (uid,)).fetchone() is not None


def documents_with_reports(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT DISTINCT document FROM reports")}


def supersede(conn: sqlite3.Connection, uid: str, stamp: str) -> None:
    conn.execute("UPDATE reports SET superseded_at = ? WHERE document = ? AND "
                 "superseded_at IS NULL", (stamp, uid))


def insert(conn: sqlite3.Connection, uid: str, number: int, stamp: str, data: str, files: str,
           sha256: str) -> int:
    """A new frozen version; returns its row id."""
    return tables(conn)["reports"].insert(
        {"document": uid, "version": number, "generated_at": stamp, "data": data,
         "files": files, "sha256": sha256}).last_pk


def with_deliveries(conn: sqlite3.Connection, limit: int = 500) -> list[dict]:
    """The newest reports with the state of their delivery, for the office."""
    return [dict(zip(OFFICE_COLUMNS, row)) for row in conn.execute(
        "SELECT r.id, r.document, r.version, r.generated_at, r.superseded_at, "
        "d.recipient, d.status, d.attempts, d.last_error, d.sent_at "
        "FROM reports r LEFT JOIN deliveries d ON d.report = r.id "
        "ORDER BY r.generated_at DESC, r.id DESC LIMIT ?", (limit,))]


# --- deliveries -------------------------------------------------------------------------------

def queue_delivery(conn: sqlite3.Connection, report_id: int, recipient: str,
                   message_id: str) -> int:
    """A ``pending`` delivery of a report."""
    return tables(conn)["deliveries"].insert(
        {"report": report_id, "recipient": recipient, "message_id": message_id}).last_pk


def claim(conn: sqlite3.Connection, now: float, skip: Collection[int]) -> tuple | None:
    """Move one due delivery (``pending``, or ``failed`` whose time has come) to ``sending``,
    attempts + 1; call inside a write transaction. Returns (id, report, recipient, attempts,
    message_id, document, data) as it was before the claim, or None when none is due."""
    skipped = f"AND d.id NOT IN ({','.join('?' * len(skip))}) " if skip else ""
    row = conn.execute(
        "SELECT d.id, d.report, d.recipient, d.attempts, d.message_id, r.document, r.data "
        "FROM deliveries d JOIN reports r ON r.id = d.report "
        "WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= ? "
        f"{skipped}ORDER BY d.next_attempt_at, d.id LIMIT 1", (now, *skip)).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE deliveries SET status = 'sending', attempts = attempts + 1 "
                 "WHERE id = ? AND status IN ('pending', 'failed')", (row[0],))
    return tuple(row)


def mark_failed(conn: sqlite3.Connection, delivery_id: int, error: str, next_attempt_at: float,
                recipient: str) -> None:
    conn.execute("UPDATE deliveries SET status = 'failed', last_error = ?, "
                 "next_attempt_at = ?, recipient = ? WHERE id = ? AND status = 'sending'",
                 (error, next_attempt_at, recipient, delivery_id))


def mark_sent(conn: sqlite3.Connection, delivery_id: int, sent_at: str, recipient: str) -> None:
    conn.execute("UPDATE deliveries SET status = 'sent', sent_at = ?, recipient = ?, "
                 "last_error = NULL WHERE id = ? AND status = 'sending'",
                 (sent_at, recipient, delivery_id))


def stuck(conn: sqlite3.Connection) -> list[dict]:
    """Deliveries left in ``sending``, oldest first."""
    return [dict(zip(STUCK_COLUMNS, tuple(r))) for r in conn.execute(
        "SELECT d.id, d.report, r.document, r.version, d.recipient, d.attempts, "
        "d.message_id FROM deliveries d JOIN reports r ON r.id = d.report "
        "WHERE d.status = 'sending' ORDER BY d.id")]


def requeue(conn: sqlite3.Connection, delivery_id: int) -> bool:
    """Back to ``pending``, due now; False unless it was ``sending`` or ``failed``."""
    return conn.execute("UPDATE deliveries SET status = 'pending', next_attempt_at = 0 "
                        "WHERE id = ? AND status IN ('sending', 'failed')",
                        (delivery_id,)).rowcount == 1


def delivery_of(conn: sqlite3.Connection, report_id: int) -> tuple[int, str] | None:
    """The newest delivery of a report: (id, status), or None."""
    row = conn.execute("SELECT id, status FROM deliveries WHERE report = ? ORDER BY id DESC "
                       "LIMIT 1", (report_id,)).fetchone()
    return (row[0], row[1]) if row else None
