"""The publication record (R9, R10, R12): when the portal first served each document, and each
version of it, kept in the hash-chained audit log (:mod:`submit_api.audit`).

Every build writes ``.ashyq-served.json`` (:mod:`generator.publication`): the uid, content
hash, type, administrator and declared ``posted`` of every document it serves. The rebuild
worker hands that list to :func:`record_served` once the build is live; each (uid, version) not
yet in the log is appended as action ``first_served`` by ``system`` - the log's time is the
first serving. :func:`submit_api.public.publication_record` reads them back for the public
snapshot, and the next
build judges posting dates from them. Deleting a document does not delete its record.

When the record begins (the log has no ``first_served`` entry yet) everything already served
is recorded as ``baseline``: served before the record existed, so not judged.
"""
from __future__ import annotations

import sqlite3

from submit_api import audit
from submit_api.db import transaction
from submit_api.store import audit as audit_rows

ACTION = "first_served"
ACTOR = "system"


def _target(uid: str, version: str) -> str:
    return f"document:{uid}@{version}"


def record_served(conn: sqlite3.Connection, served: dict) -> list[dict]:
    """Append the first serving of every (uid, version) in ``served`` not recorded yet, in one
    transaction; returns what was recorded (each with ``at``)."""
    with transaction(conn):
        known = audit_rows.targets(conn, ACTION)
        baseline = not known
        recorded = []
        for item in served.get("documents", []):
            target = _target(item["uid"], item["version"])
            if target in known:
                continue
            after = {k: item.get(k) for k in ("uid", "version", "type", "administrator", "posted")}
            if baseline:
                after["baseline"] = True
            audit.record(conn, ACTOR, ACTION, target, None, after)
            known.add(target)
            recorded.append(after)
    if recorded:
        at = audit_rows.last_at(conn, ACTION)
        recorded = [dict(r, at=at) for r in recorded]
    return recorded
