"""SQLite for the submission service: one connection per request on ``g``, WAL enabled once
at start, a busy timeout, and schema migrations numbered by ``PRAGMA user_version``.

The database holds private data (identity hashes, sessions, pending and refused proposals);
nothing leaves it except through :func:`submit_api.snapshot.public_snapshot`.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import sqlite_utils
from flask import Flask, current_app, g

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 10

#: Each entry migrates the schema from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: list[str] = [
    # 1: sign-in, votes (R11), proposals (R14)
    """
    CREATE TABLE challenges (
        nonce TEXT PRIMARY KEY,
        issued_at REAL NOT NULL,
        used_at REAL
    );
    CREATE TABLE people (
        id TEXT PRIMARY KEY,            -- keyed hash of the IIN, never the IIN (R13)
        kind TEXT NOT NULL,             -- individual | legal
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        person TEXT NOT NULL REFERENCES people(id),
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX sessions_person ON sessions(person);
    CREATE TABLE votes (
        target_type TEXT NOT NULL CHECK (target_type IN ('document', 'proposal')),
        target_id TEXT NOT NULL,
        person TEXT NOT NULL,
        value TEXT NOT NULL CHECK (value IN ('for', 'against')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (target_type, target_id, person)
    ) WITHOUT ROWID;
    CREATE TABLE proposals (
        id INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        part TEXT NOT NULL,
        person TEXT NOT NULL,
        lang TEXT NOT NULL CHECK (lang IN ('kk', 'ru')),
        text TEXT NOT NULL,
        text_key TEXT NOT NULL,         -- hash of the normalised text: duplicates, repeats
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'published', 'refused', 'accepted', 'rejected')),
        flags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        moderation_due TEXT NOT NULL,   -- R15: 2 working days
        moderated_at TEXT,
        moderation_reason TEXT,
        answer_text TEXT,
        answered_at TEXT,
        UNIQUE (person, text_key)
    );
    CREATE INDEX proposals_document ON proposals(document, status);
    CREATE INDEX proposals_text_key ON proposals(text_key);
    """,
]


SYNCHRONOUS_MODES = ("FULL", "NORMAL")


def connect(path: str | Path, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection with a busy timeout; autocommit mode, transactions opened explicitly.

    ``synchronous=FULL`` (the default) makes every acknowledged write survive a crash of the
    process and of the machine; ``NORMAL`` survives a process crash only.
    """
    if synchronous not in SYNCHRONOUS_MODES:
        raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the newest version; returns that version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        log.info("database migrated to version %d", number)
    return len(MIGRATIONS)


def init_db(path: str | Path) -> None:
    """Create the folder, enable WAL (persistent, so once at start) and migrate."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
    finally:
        conn.close()


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"], current_app.config["SQLITE_SYNCHRONOUS"])
    return g.db


def get_utils_db() -> sqlite_utils.Database:
    """The request's connection wrapped by sqlite-utils, for table helpers."""
    return sqlite_utils.Database(get_db())


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    init_db(app.config["DATABASE"])
    app.teardown_appcontext(close_db)
