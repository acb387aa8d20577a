"""SQL of eGov mobile sign-in operations (table ``egov_operations``).

An operation is a small state machine::

    waiting ──app fetched the document──▶ fetched ──signature checked──▶ signed ──browser──▶ done
       └──────────────┴──── signature refused (R13) ──▶ refused

Only the browser that started an operation (its id is in that browser's signed session) turns
``signed`` into a session; the app knows the id too (it is in the QR code) but cannot do that.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

OPEN = ("waiting", "fetched")


@dataclass(frozen=True)
class Operation:
    id: str
    nonce: str
    challenge: str
    mode: str
    status: str
    person: str | None
    party: str | None
    kind: str | None
    organisation: str | None
    name: str | None
    error: dict | None
    broker: dict | None
    expires_at: float

    @property
    def expired(self) -> bool:
        return time.time() > self.expires_at


def create(conn: sqlite3.Connection, nonce: str, challenge: str, mode: str, ttl: float,
           broker: dict | None = None) -> Operation:
    now = time.time()
    op_id = secrets.token_urlsafe(24)
    conn.execute("DELETE FROM egov_operations WHERE expires_at < ?", (now - 24 * 3600,))
    conn.execute("INSERT INTO egov_operations (id, nonce, challenge, mode, broker, created_at, "
                 "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (op_id, nonce, challenge, mode, json.dumps(broker) if broker else None, now,
                  now + ttl))
    return get(conn, op_id)


def get(conn: sqlite3.Connection, op_id: str) -> Operation | None:
    row = conn.execute("SELECT id, nonce, challenge, mode, status, person, party, kind, "
                       "organisation, name, error, broker, expires_at FROM egov_operations "
                       "WHERE id = ?", (op_id,)).fetchone()
    if row is None:
        return None
    values = list(row)
    values[10] = json.loads(values[10]) if values[10] else None
    values[11] = json.loads(values[11]) if values[11] else None
    return Operation(*values)


def set_broker(conn: sqlite3.Connection, op_id: str, broker: dict) -> None:
    conn.execute("UPDATE egov_operations SET broker = ? WHERE id = ?", (json.dumps(broker), op_id))


def mark_fetched(conn: sqlite3.Connection, op_id: str) -> None:
    conn.execute("UPDATE egov_operations SET status = 'fetched' WHERE id = ? AND status = 'waiting'",
                 (op_id,))


def mark_signed(conn: sqlite3.Connection, op_id: str, person: str, party: str, kind: str,
                name: str, organisation: str | None) -> bool:
    return conn.execute(
        "UPDATE egov_operations SET status = 'signed', person = ?, party = ?, kind = ?, "
        "name = ?, organisation = ? WHERE id = ? AND status IN ('waiting', 'fetched')",
        (person, party, kind, name, organisation, op_id)).rowcount == 1


def mark_refused(conn: sqlite3.Connection, op_id: str, error: dict) -> bool:
    return conn.execute(
        "UPDATE egov_operations SET status = 'refused', error = ? "
        "WHERE id = ? AND status IN ('waiting', 'fetched')",
        (json.dumps(error), op_id)).rowcount == 1


def take_signed(conn: sqlite3.Connection, op_id: str) -> Operation | None:
    """``signed`` -> ``done`` once (the names are forgotten); None when it was not ``signed``."""
    op = get(conn, op_id)
    if op is None or op.status != "signed":
        return None
    if conn.execute("UPDATE egov_operations SET status = 'done', name = NULL, organisation = NULL "
                    "WHERE id = ? AND status = 'signed'", (op_id,)).rowcount != 1:
        return None
    return op
