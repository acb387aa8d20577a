"""SQLite for the submission service: one connection per request on ``g``, WAL enabled once
at start, a busy timeout, and schema migrations numbered by ``PRAGMA user_version``.

The database holds private data (identity hashes, sessions, pending and refused proposals);
nothing leaves it except through :mod:`submit_api.public`. Queries live in :mod:`submit_api.store`,
grouped by what they store; every write transaction goes through :func:`transaction`.
"""
from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
    # 2: back office - staff roles (R8), audit log, site changes for the rebuild worker,
    #    final reports (R17) and their delivery
    """
    CREATE TABLE staff_roles (
        id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,           -- keyed hash of the IIN
        role TEXT NOT NULL CHECK (role IN ('operator', 'lead', 'employee')),
        administrator TEXT,             -- code, for lead and employee
        granted_by TEXT NOT NULL,       -- person hash, or 'cli'
        granted_at TEXT NOT NULL,
        revoked_by TEXT,
        revoked_at TEXT,
        CHECK ((role = 'operator') = (administrator IS NULL))
    );
    CREATE UNIQUE INDEX staff_roles_active ON staff_roles(person, role, coalesce(administrator, ''))
        WHERE revoked_at IS NULL;
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,            -- person hash, or 'cli' / 'system'
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        before TEXT,                    -- JSON
        after TEXT,                     -- JSON
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE site_changes (
        id INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        kind TEXT NOT NULL,             -- vote | moderation | answer | report
        at REAL NOT NULL
    );
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        version INTEGER NOT NULL,
        generated_at TEXT NOT NULL,
        data TEXT NOT NULL,             -- the report as JSON (public data only)
        files TEXT NOT NULL,            -- JSON {relative path: sha256}
        sha256 TEXT NOT NULL,           -- of the canonical JSON data: the frozen report
        superseded_at TEXT,
        UNIQUE (document, version)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        report INTEGER NOT NULL UNIQUE REFERENCES reports(id),
        recipient TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        message_id TEXT NOT NULL,
        sent_at TEXT
    );
    ALTER TABLE proposals ADD COLUMN moderated_by TEXT;
    ALTER TABLE proposals ADD COLUMN answered_by TEXT;
    """,
    # 3: the catalogue code of the operator's reason (R15)
    """
    ALTER TABLE proposals ADD COLUMN moderation_code TEXT;
    CREATE INDEX proposals_status_due ON proposals(status, moderation_due);
    """,
    # 4: legal persons take part as their organisation (¶2(1), R11, R13): the
    #    session's party (keyed BIN, or the person) and the signer of an organisation's
    #    proposal (keyed IIN); the ¶14 grounds of a refusal (R15); the publication record
    #    (first serving of each document version, R9, R10, R12) is read from the audit log
    #    by action and target
    """
    ALTER TABLE sessions ADD COLUMN party TEXT;
    ALTER TABLE proposals ADD COLUMN signer TEXT;
    ALTER TABLE proposals ADD COLUMN moderation_grounds TEXT;
    CREATE INDEX audit_log_action_target ON audit_log(action, target);
    """,
    # 5: the per-person vote limit, counted in the vote writer's own transaction
    #    (submit_api/vote_writer.py): votes in fixed windows of `seconds`
    """
    CREATE TABLE vote_counts (
        person TEXT NOT NULL,
        seconds INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (person, seconds, window_start)
    ) WITHOUT ROWID;
    """,
    # 6: eGov mobile sign-in operations (R13) and e-mail follow (issue 14)
    """
    CREATE TABLE egov_operations (
        id TEXT PRIMARY KEY,            -- random; in the QR code / deep link of the operation
        nonce TEXT NOT NULL,             -- the challenge's (R13)
        challenge TEXT NOT NULL,        -- the XML the app signs
        mode TEXT NOT NULL CHECK (mode IN ('direct', 'broker')),
        status TEXT NOT NULL DEFAULT 'waiting'
            CHECK (status IN ('waiting', 'fetched', 'signed', 'refused', 'done')),
        person TEXT,                    -- keyed hash of the IIN once signed (R13)
        party TEXT,                     -- who takes part: the person or the organisation
        kind TEXT,
        organisation TEXT,              -- the organisation's name, for the greeting; cleared
        name TEXT,                      -- given name for the greeting; cleared once used
        error TEXT,                     -- JSON {status, code, message, rule} when refused
        broker TEXT,                    -- JSON: the broker's data and sign URLs (broker mode)
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,           -- keyed hash of the IIN
        email TEXT NOT NULL,            -- only here: never in logs, pages or open data
        target_type TEXT NOT NULL CHECK (target_type IN ('document', 'administrator')),
        target_id TEXT NOT NULL,
        lang TEXT NOT NULL CHECK (lang IN ('kk', 'ru')),
        token TEXT NOT NULL UNIQUE,     -- the secret in its confirm / unsubscribe links
        created_at TEXT NOT NULL,
        confirm_sent_at TEXT,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        UNIQUE (person, target_type, target_id)
    );
    CREATE TABLE follow_events (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,       -- open:UID | close:UID | published:N | answered:N | report:UID:V
        kind TEXT NOT NULL,
        document TEXT NOT NULL,
        administrator TEXT NOT NULL,
        at TEXT NOT NULL,               -- when it happened (ISO, Asia/Almaty)
        data TEXT NOT NULL DEFAULT '{}' -- public data only (titles, ids)
    );
    CREATE TABLE follow_mails (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('confirm', 'event', 'digest')),
        follow INTEGER REFERENCES follows(id),
        event INTEGER REFERENCES follow_events(id),
        digest_key TEXT,                -- digest:<recipient group>:<date>
        recipient TEXT,                 -- digests only: a state body's or the operators' address
        data TEXT,                      -- digests only: the frozen content (JSON, public ids)
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        message_id TEXT NOT NULL UNIQUE,
        last_error TEXT,
        sent_at TEXT,
        UNIQUE (kind, follow, event),
        UNIQUE (digest_key)
    );
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
    """Create the folder, enable WAL (persistent, so once at start) and migrate.

    Several server processes may start at once: a lock file lets one migrate at a time (the
    others then find the schema current)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
        finally:
            conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE`` (the write lock is taken at once, so a busy
    database waits here, not half-way through), COMMIT when the block ends, ROLLBACK when it
    raises (and when COMMIT itself fails). The block must not end the transaction itself."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def reading(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction (a consistent view across several SELECTs); inside an already open
    transaction it simply joins it."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def tables(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """``conn`` seen through sqlite-utils, for the store's table helpers (inserts, row lists) off
    the hot vote path. It joins the caller's transaction (its writes run in a savepoint) and
    changes nothing on the connection: no PRAGMA, no plugins."""
    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def check_file(path: str | Path) -> tuple[str, int]:
    """``PRAGMA integrity_check`` and the schema version of a database file, opened read-only
    (for backups); raises :class:`sqlite3.DatabaseError` when it is not a database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return (conn.execute("PRAGMA integrity_check").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


_threads = threading.local()


def get_db() -> sqlite3.Connection:
    """The request's connection: each server thread keeps one open and reuses it.

    Opening a connection per request costs more than the vote it serves (schema parse, and a
    WAL checkpoint whenever the last connection closes: bench/api_load.py); a connection is
    still never shared between threads, and no transaction outlives its request."""
    if "db" not in g:
        g.db = thread_connection(current_app.config["DATABASE"],
                                 current_app.config["SQLITE_SYNCHRONOUS"])
    return g.db


def thread_connection(database: str, synchronous: str = "FULL") -> sqlite3.Connection:
    """This thread's connection to ``database`` (opened on first use, then kept)."""
    key = (database, synchronous)
    pool = _threads.__dict__.setdefault("connections", {})
    if key not in pool:
        pool[key] = connect(*key)
    return pool[key]


def close_db(_exc: BaseException | None = None) -> None:
    """End of request: the connection stays with its thread, an unfinished transaction does not."""
    conn = g.pop("db", None)
    if conn is not None and conn.in_transaction:
        conn.execute("ROLLBACK")


def init_app(app: Flask) -> None:
    init_db(app.config["DATABASE"])
    app.teardown_appcontext(close_db)
