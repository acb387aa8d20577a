"""Sign-in (R13): one-time challenges, people (keyed hashes, never an IIN) and sessions."""
from __future__ import annotations

import sqlite3


def add_challenge(conn: sqlite3.Connection, nonce: str, issued_at: float,
                  forget_before: float) -> None:
    """Store a new challenge; challenges issued before ``forget_before`` are dropped."""
    conn.execute("INSERT INTO challenges (nonce, issued_at) VALUES (?, ?)", (nonce, issued_at))
    conn.execute("DELETE FROM challenges WHERE issued_at < ?", (forget_before,))


def use_challenge(conn: sqlite3.Connection, nonce: str, now: float, issued_after: float) -> bool:
    """Mark an unused challenge issued since ``issued_after`` used; False when there is none."""
    return conn.execute(
        "UPDATE challenges SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND issued_at >= ?",
        (now, nonce, issued_after)).rowcount == 1


def challenge(conn: sqlite3.Connection, nonce: str) -> tuple[float, float | None] | None:
    """(issued_at, used_at) of a challenge, or None when this server never issued it."""
    row = conn.execute("SELECT issued_at, used_at FROM challenges WHERE nonce = ?",
                       (nonce,)).fetchone()
    return (row[0], row[1]) if row else None


def seen(conn: sqlite3.Connection, person: str, kind: str, stamp: str) -> None:
    """Record the person (first time) or the time they were last seen."""
    conn.execute("INSERT INTO people (id, kind, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
                 (person, kind, stamp, stamp))


def kind_of(conn: sqlite3.Connection, person: str) -> str | None:
    row = conn.execute("SELECT kind FROM people WHERE id = ?", (person,)).fetchone()
    return row[0] if row else None


def open_session(conn: sqlite3.Connection, sid: str, person: str, now: float,
                 expires_at: float, party: str | None = None) -> None:
    """A new session of ``person`` acting for ``party`` (their organisation, for a legal
    entity's key: ¶2(1), R13); expired ones are dropped."""
    conn.execute("INSERT INTO sessions (id, person, party, created_at, expires_at) "
                 "VALUES (?, ?, ?, ?, ?)", (sid, person, party, now, expires_at))
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))


def session_party(conn: sqlite3.Connection, sid: str, now: float) -> tuple[str, str] | None:
    """(person, party) of a live session: the signer and who they take part as (¶2(1))."""
    row = conn.execute("SELECT person, coalesce(party, person) FROM sessions WHERE id = ? "
                       "AND expires_at > ?", (sid, now)).fetchone()
    return (row[0], row[1]) if row else None


def close_session(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute("DELETE FROM sessions WHERE id = ?", (sid,))
