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
from submit_api.db import transaction
from submit_api.store import staff as store

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
    return [Role(role, administrator) for role, administrator in store.active_roles(conn, person)]


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
    with transaction(conn):
        existing = store.active_id(conn, person, role, administrator)
        if existing:
            return existing
        stamp = clock.now().isoformat(timespec="seconds")
        row_id = store.insert(conn, person, role, administrator, actor, stamp)
        audit.record(conn, actor, "grant", f"person:{person}", None,
                     {"role": role, "administrator": administrator})
        return row_id


def revoke(conn: sqlite3.Connection, actor: str, person: str, role: str,
           administrator: str | None = None) -> bool:
    """Take a role away; False when the person did not have it."""
    _check(role, administrator)
    _may_manage(conn, actor, role, administrator)
    with transaction(conn):
        stamp = clock.now().isoformat(timespec="seconds")
        changed = store.revoke(conn, person, role, administrator, actor, stamp)
        if changed:
            audit.record(conn, actor, "revoke", f"person:{person}",
                         {"role": role, "administrator": administrator}, None)
        return bool(changed)


def staff_list(conn: sqlite3.Connection, administrator: str | None = None) -> list[dict]:
    """Active roles (all, or one administrator's), newest first."""
    return store.active_list(conn, administrator)
