"""Votes (R11). The vote path is hot: :func:`cast` is one statement on the request's own
connection, no read before it and no extra connection."""
from __future__ import annotations

import sqlite3

from submit_api.public import PUBLIC_STATUSES

_PUBLIC = ", ".join("?" * len(PUBLIC_STATUSES))


def cast(conn: sqlite3.Connection, target_type: str, target_id: str, person: str, value: str,
         stamp: str) -> None:
    """Insert or change the person's vote (one per person per target, R11)."""
    conn.execute(
        "INSERT INTO votes (target_type, target_id, person, value, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (target_type, target_id, person) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (target_type, target_id, person, value, stamp, stamp))


def counts(conn: sqlite3.Connection, target_type: str, target_id: str) -> dict[str, int]:
    """``{value: n}`` for the values that have votes."""
    return {row[0]: row[1] for row in conn.execute(
        "SELECT value, count(*) AS n FROM votes WHERE target_type = ? AND target_id = ? "
        "GROUP BY value", (target_type, target_id))}


def value_of(conn: sqlite3.Connection, target_type: str, target_id: str,
             person: str) -> str | None:
    row = conn.execute("SELECT value FROM votes WHERE target_type = ? AND target_id = ? "
                       "AND person = ?", (target_type, target_id, person)).fetchone()
    return row[0] if row else None


def proposal_counts(conn: sqlite3.Connection, document: str) -> list[tuple[int, str | None, int]]:
    """(proposal id, value or None, n) for every public proposal of ``document``."""
    return [tuple(row) for row in conn.execute(
        "SELECT p.id, v.value, count(v.person) AS n FROM proposals p "
        "LEFT JOIN votes v ON v.target_type = 'proposal' AND v.target_id = CAST(p.id AS TEXT) "
        f"WHERE p.document = ? AND p.status IN ({_PUBLIC}) "
        "GROUP BY p.id, v.value", (document, *PUBLIC_STATUSES))]


def count_vote(conn: sqlite3.Connection, person: str, seconds: int, window_start: int) -> int:
    """Count one more vote of ``person`` in the fixed window of ``seconds`` starting at
    ``window_start``; returns the count so far (the per-person limit, R11)."""
    return conn.execute(
        "INSERT INTO vote_counts (person, seconds, window_start, n) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (person, seconds, window_start) DO UPDATE SET n = n + 1 RETURNING n",
        (person, seconds, window_start)).fetchone()[0]


def forget_counts(conn: sqlite3.Connection, now: float) -> None:
    """Drop the counts of windows that have ended."""
    conn.execute("DELETE FROM vote_counts WHERE window_start + seconds < ?", (int(now),))
