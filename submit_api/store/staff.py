"""Staff roles (R8). Rows are never deleted: a revocation stamps ``revoked_at``."""
from __future__ import annotations

import sqlite3

from submit_api.db import tables

LIST_COLUMNS = ("id", "person", "role", "administrator", "granted_by", "granted_at")
_SAME_ROLE = "person = ? AND role = ? AND coalesce(administrator, '') = ? AND revoked_at IS NULL"


def active_roles(conn: sqlite3.Connection, person: str) -> list[tuple[str, str | None]]:
    """(role, administrator) of the person's active roles. Raw SQL: every office request and
    every sign-in asks this."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT role, administrator FROM staff_roles WHERE person = ? "
        "AND revoked_at IS NULL ORDER BY role, administrator", (person,))]


def active_id(conn: sqlite3.Connection, person: str, role: str,
              administrator: str | None) -> int | None:
    """The row of an active identical grant, or None."""
    row = next(tables(conn)["staff_roles"].rows_where(
        _SAME_ROLE, [person, role, administrator or ""], select="id", limit=1), None)
    return row["id"] if row else None


def insert(conn: sqlite3.Connection, person: str, role: str, administrator: str | None,
           actor: str, stamp: str) -> int:
    return tables(conn)["staff_roles"].insert(
        {"person": person, "role": role, "administrator": administrator,
         "granted_by": actor, "granted_at": stamp}).last_pk


def revoke(conn: sqlite3.Connection, person: str, role: str, administrator: str | None,
           actor: str, stamp: str) -> int:
    """Stamp the active identical grant revoked; returns how many rows changed (0 or 1)."""
    return conn.execute(f"UPDATE staff_roles SET revoked_by = ?, revoked_at = ? WHERE {_SAME_ROLE}",
                        (actor, stamp, person, role, administrator or "")).rowcount


def active_list(conn: sqlite3.Connection, administrator: str | None = None) -> list[dict]:
    """Active roles (all, or one administrator's), newest first."""
    where, args = "revoked_at IS NULL", []
    if administrator:
        where += " AND administrator = ?"
        args.append(administrator)
    return list(tables(conn)["staff_roles"].rows_where(
        where, args, select=", ".join(LIST_COLUMNS), order_by="id DESC"))
