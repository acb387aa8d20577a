"""The audit log: every grant, revocation, moderation and answer, with the actor (a keyed
hash), the time, and the state before and after. Append-only (triggers refuse UPDATE and
DELETE) and tamper-evident: each entry carries the hash of the previous one, so an edited,
removed or reordered row breaks the chain that :func:`verify` walks.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from ashyq import clock, tabular
from submit_api.store import audit as store

GENESIS = "0" * 64


def _canonical(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                  separators=(",", ":"))


def entry_hash(prev_hash: str, at: str, actor: str, action: str, target: str,
               before: str | None, after: str | None) -> str:
    payload = json.dumps([prev_hash, at, actor, action, target, before, after],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(conn: sqlite3.Connection, actor: str, action: str, target: str,
           before=None, after=None) -> str:
    """Append an entry; call inside the transaction that makes the change it records."""
    prev = store.last_hash(conn) or GENESIS
    at = clock.now().isoformat(timespec="seconds")
    b, a = _canonical(before), _canonical(after)
    digest = entry_hash(prev, at, actor, action, target, b, a)
    store.append(conn, at, actor, action, target, b, a, prev, digest)
    return digest


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: how many entries, and the first broken one."""

    entries: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(conn: sqlite3.Connection) -> ChainReport:
    """Recompute every hash and link; stop at the first entry that does not fit."""
    prev, count = GENESIS, 0
    for row in store.all_rows(conn):
        count += 1
        entry_id, at, actor, action, target, before, after, prev_hash, digest = row
        if prev_hash != prev:
            return ChainReport(count, entry_id, "does not follow the entry before it "
                                                "(an entry was removed or reordered)")
        if entry_hash(prev_hash, at, actor, action, target, before, after) != digest:
            return ChainReport(count, entry_id, "its content does not match its hash (edited)")
        prev = digest
    return ChainReport(count)


COLUMNS = store.COLUMNS


def entries(conn: sqlite3.Connection, limit: int = 200, offset: int = 0,
            action: str | None = None) -> list[dict]:
    return store.page(conn, limit, offset, action)


def export_csv(conn: sqlite3.Connection) -> str:
    """The whole log as CSV, oldest first, with the hashes so a copy can be verified."""
    # formula-leading text escaped (issue 13)
    return tabular.csv_text([COLUMNS, *store.all_rows(conn)])
