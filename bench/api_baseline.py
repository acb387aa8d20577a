"""The baseline of the vote load benchmark (bench/api_load.py): a bare Flask app with one
endpoint that upserts a vote into SQLite. No sign-in, no CSRF, no rate limit, no manifest, no
validation: only what any Flask + SQLite vote endpoint must do.

Autocommit (one transaction per statement), WAL set once at start, ``PRAGMA synchronous`` per
connection from ``BENCH_SQLITE_SYNCHRONOUS``. ``BENCH_CONNECTION`` chooses how connections live:

* ``thread`` (default): one connection per server thread, opened on its first request and kept;
* ``request``: the Flask tutorial's pattern, which the submission service follows: a new
  connection per request on ``g``, closed at teardown.

    BENCH_DATABASE=/tmp/b.sqlite3 gunicorn -k gthread -w 2 --threads 8 --pythonpath bench api_baseline:app
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask, g, request

DATABASE = os.environ["BENCH_DATABASE"]
SYNCHRONOUS = os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "FULL")
if SYNCHRONOUS not in ("FULL", "NORMAL"):
    raise SystemExit(f"BENCH_SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {SYNCHRONOUS!r}")
CONNECTION = os.environ.get("BENCH_CONNECTION", "thread")
if CONNECTION not in ("thread", "request"):
    raise SystemExit(f"BENCH_CONNECTION must be thread or request, not {CONNECTION!r}")
_local = threading.local()

UPSERT = ("INSERT INTO votes (target_id, person, value, updated_at) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (target_id, person) DO UPDATE SET value = excluded.value, "
          "updated_at = excluded.updated_at")


def init_db(path: str = DATABASE) -> None:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS votes (target_id TEXT NOT NULL, "
                     "person TEXT NOT NULL, value TEXT NOT NULL, updated_at REAL NOT NULL, "
                     "PRIMARY KEY (target_id, person)) WITHOUT ROWID")
    finally:
        conn.close()


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DATABASE, timeout=10, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    return conn


def get_db() -> sqlite3.Connection:
    if CONNECTION == "thread":
        conn = getattr(_local, "db", None)
        if conn is None:
            conn = _local.db = connect()
        return conn
    if "db" not in g:
        g.db = connect()
    return g.db


app = Flask(__name__)
init_db()


@app.teardown_appcontext
def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/votes/<uid>/<person>")
def vote(uid: str, person: str):
    body = request.get_json(silent=True)
    value = body.get("value") if isinstance(body, dict) else None
    get_db().execute(UPSERT, (uid, person, value, time.time()))
    return {"ok": True, "value": value}
