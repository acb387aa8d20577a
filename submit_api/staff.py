"""Staff and their rights (R8): the operator moderates (R15); each administrator's lead
manages that administrator's employees, who answer proposals on its documents (R16).

Staff are people like citizens: a keyed hash of the IIN stands for them. Every grant and
revocation goes into the audit log. Nobody acts outside their role or administrator code.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ashyq import clock
from submit_api import audit

ROLES = ("operator", "lead", "employee")
CLI_ACTOR = "cli"


class StaffError(Exception):
    "A grant or revocation that the rules do not allow"


class NotAllowed(StaffError):
    "The actor's role or administrator code does not allow this (R8)"


@dataclass(frozen=True)
class Role:
    """One active right: a role, and for leads and employees the administrator code."""

    role: str
    administrator: str | None = None

    def covers(self, administrator: str) -> bool:
        return self.role in ("lead", "employee") and self.administrator == administrator


def roles_of(conn: sqlite3.Connection, person: str) -> list[Role]:
    rows = conn.execute("SELECT role, administrator FROM staff_roles WHERE person = ? "
                        "AND revoked_at IS NULL ORDER BY role, administrator", (person,))
    return [Role(r[0], r[1]) for r in rows]


def is_operator(roles: list[Role]) -> bool:
    return any(r.role == "operator" for r in roles)


def answering_codes(roles: list[Role]) -> set[str]:
    """Administrator codes whose proposals this person may answer (R16): lead or employee."""
    return {r.administrator for r in roles if r.role in ("lead", "employee")}


def lead_codes(roles: list[Role]) -> set[str]:
    return {r.administrator for r in roles if r.role == "lead"}


def _check(role: str, administrator: str | None) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "operator" and administrator:
        raise StaffError("the operator role is not tied to an administrator code")
    if role != "operator" and not administrator:
        raise StaffError(f"a {role} needs an administrator code (--administrator)")


def _may_manage(conn: sqlite3.Connection, actor: str, role: str, administrator: str | None) -> None:
    """R8: a lead manages its own administrator's employees; the CLI bootstraps everything."""
    if actor == CLI_ACTOR:
        return
    if role == "employee" and administrator in lead_codes(roles_of(conn, actor)):
        return
    raise NotAllowed(f"only the lead of administrator {administrator or '-'} may grant or "
                     f"revoke its employees; operators and leads are granted by the portal "
                     f"operator's command line (R8)")


def grant(conn: sqlite3.Connection, actor: str, person: str, role: str,
          administrator: str | None = None) -> int:
    """Give ``person`` a role; returns the row id. Idempotent for an active identical grant."""
    _check(role, administrator)
    _may_manage(conn, actor, role, administrator)
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = conn.execute(
            "SELECT id FROM staff_roles WHERE person = ? AND role = ? AND "
            "coalesce(administrator, '') = ? AND revoked_at IS NULL",
            (person, role, administrator or "")).fetchone()
        if existing:
            conn.execute("ROLLBACK")
            return existing[0]
        stamp = clock.now().isoformat(timespec="seconds")
        row_id = conn.execute(
            "INSERT INTO staff_roles (person, role, administrator, granted_by, granted_at) "
            "VALUES (?, ?, ?, ?, ?)", (person, role, administrator, actor, stamp)).lastrowid
        audit.record(conn, actor, "grant", f"person:{person}", None,
                     {"role": role, "administrator": administrator})
        conn.execute("COMMIT")
        return row_id
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def revoke(conn: sqlite3.Connection, actor: str, person: str, role: str,
           administrator: str | None = None) -> bool:
    """Take a role away; False when the person did not have it."""
    _check(role, administrator)
    _may_manage(conn, actor, role, administrator)
    conn.execute("BEGIN IMMEDIATE")
    try:
        stamp = clock.now().isoformat(timespec="seconds")
        changed = conn.execute(
            "UPDATE staff_roles SET revoked_by = ?, revoked_at = ? WHERE person = ? AND role = ? "
            "AND coalesce(administrator, '') = ? AND revoked_at IS NULL",
            (actor, stamp, person, role, administrator or "")).rowcount
        if changed:
            audit.record(conn, actor, "revoke", f"person:{person}",
                         {"role": role, "administrator": administrator}, None)
        conn.execute("COMMIT")
        return bool(changed)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def staff_list(conn: sqlite3.Connection, administrator: str | None = None) -> list[dict]:
    """Active roles (all, or one administrator's), newest first."""
    sql = ("SELECT id, person, role, administrator, granted_by, granted_at FROM staff_roles "
           "WHERE revoked_at IS NULL")
    params: tuple = ()
    if administrator:
        sql += " AND administrator = ?"
        params = (administrator,)
    return [dict(zip(("id", "person", "role", "administrator", "granted_by", "granted_at"), row))
            for row in conn.execute(sql + " ORDER BY id DESC", params)]
