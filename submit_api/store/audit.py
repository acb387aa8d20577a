"""The audit log's rows (append-only: triggers refuse UPDATE and DELETE). The chain's rules
are in :mod:`submit_api.audit`."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator

COLUMNS = ("id", "at", "actor", "action", "target", "before", "after", "prev_hash", "hash")


def last_hash(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def append(conn: sqlite3.Connection, at: str, actor: str, action: str, target: str,
           before: str | None, after: str | None, prev_hash: str, digest: str) -> None:
    conn.execute("INSERT INTO audit_log (at, actor, action, target, before, after, prev_hash, "
                 "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (at, actor, action, target, before, after, prev_hash, digest))


def all_rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    """Every entry, oldest first, as tuples in :data:`COLUMNS` order."""
    for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY id"):
        yield tuple(row)


def page(conn: sqlite3.Connection, limit: int, offset: int, action: str | None) -> list[dict]:
    """Entries newest first (all, or one action's)."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
    params: list = []
    if action:
        sql += " WHERE action = ?"
        params.append(action)
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    return [dict(zip(COLUMNS, row)) for row in conn.execute(sql, [*params, limit, offset])]


def targets(conn: sqlite3.Connection, action: str) -> set[str]:
    """The targets of every entry of one action (the publication record's known versions)."""
    return {row[0] for row in conn.execute("SELECT target FROM audit_log WHERE action = ?",
                                           (action,))}


def last_at(conn: sqlite3.Connection, action: str) -> str | None:
    row = conn.execute("SELECT at FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
                       (action,)).fetchone()
    return row[0] if row else None
