"""The publication record (R9, R10, R12): when the portal first served each document, and each
version of it, kept in the hash-chained audit log (:mod:`submit_api.audit`).

Every build writes ``opendata/served.json`` (:mod:`generator.publication`): the uid, content
hash, type, administrator and declared ``posted`` of every document it serves. The rebuild
worker hands that list to :func:`record_served` once the build is live; each (uid, version) not
yet in the log is appended as action ``first_served`` by ``system`` - the log's time is the
first serving. :func:`publication_record` reads them back for the public snapshot, and the next
build judges posting dates from them. Deleting a document does not delete its record.

When the record begins (the log has no ``first_served`` entry yet) everything already served
is recorded as ``baseline``: served before the record existed, so not judged.
"""
from __future__ import annotations

import json
import sqlite3

from submit_api import audit

ACTION = "first_served"
ACTOR = "system"


def _target(uid: str, version: str) -> str:
    return f"document:{uid}@{version}"


def record_served(conn: sqlite3.Connection, served: dict) -> list[dict]:
    """Append the first serving of every (uid, version) in ``served`` not recorded yet, in one
    transaction; returns what was recorded (each with ``at``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        known = {row[0] for row in conn.execute("SELECT target FROM audit_log WHERE action = ?",
                                                (ACTION,))}
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
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if recorded:
        at = conn.execute("SELECT at FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
                          (ACTION,)).fetchone()[0]
        recorded = [dict(r, at=at) for r in recorded]
    return recorded


def publication_record(conn: sqlite3.Connection) -> dict[str, dict]:
    """Public: by uid, the first serving of any version, of each version, and what the first
    version declared (type, administrator, posted); no person."""
    record: dict[str, dict] = {}
    for at, after in conn.execute("SELECT at, after FROM audit_log WHERE action = ? ORDER BY id",
                                  (ACTION,)):
        item = json.loads(after)
        entry = record.setdefault(item["uid"], {
            "first_served": at, "baseline": bool(item.get("baseline")), "versions": {},
            "type": item.get("type"), "administrator": item.get("administrator"),
            "posted": item.get("posted")})
        entry["versions"].setdefault(item["version"], at)
    return record
