"""``site_changes``: a row per change the public site must show (a published proposal, an
answer, a final report), for the rebuild worker. Read back only by :mod:`submit_api.public`."""
from __future__ import annotations

import sqlite3
import time


def record(conn: sqlite3.Connection, document: str, kind: str) -> None:
    """Note that ``document``'s page changed (``kind``: moderation | answer | report); call
    inside the transaction that makes the change."""
    conn.execute("INSERT INTO site_changes (document, kind, at) VALUES (?, ?, ?)",
                 (document, kind, time.time()))
