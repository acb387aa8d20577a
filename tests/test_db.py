"""The database at start-up: several server processes may start at once on a fresh folder."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

from submit_api.db import MIGRATIONS

STARTER = """
import sys
from submit_api.db import init_db
from ashyq.i18n import compile_catalogs
init_db(sys.argv[1])
compile_catalogs(sys.argv[2])
"""


def test_concurrent_start_migrates_once_and_compiles_catalogs(tmp_path):
    database, locale = tmp_path / "db" / "ashyq.sqlite3", tmp_path / "locale"
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, str(database), str(locale)],
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], [err for _, err in results]
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (locale / "kk" / "LC_MESSAGES" / "messages.mo").exists()


def _fresh(tmp_path):
    from submit_api.db import connect, init_db
    database = tmp_path / "ashyq.sqlite3"
    init_db(database)
    return connect(database)


def test_transaction_commits_the_block_and_rolls_back_a_failed_one(tmp_path):
    import pytest

    from submit_api.db import transaction
    from submit_api.store import people
    conn = _fresh(tmp_path)
    with transaction(conn):
        people.seen(conn, "a" * 64, "individual", "2025-03-01T10:00:00+05:00")
    with pytest.raises(RuntimeError), transaction(conn):
        people.seen(conn, "b" * 64, "individual", "2025-03-01T10:00:00+05:00")
        raise RuntimeError("the request failed half-way")
    assert not conn.in_transaction
    assert [r[0] for r in conn.execute("SELECT id FROM people")] == ["a" * 64]


def test_r8_sqlite_utils_writes_stay_inside_the_callers_transaction(tmp_path):
    """R8: a grant and its audit entry are one transaction; the store inserts the role through
    sqlite-utils, which must join the transaction, not commit it."""
    import pytest

    from submit_api.db import transaction
    from submit_api.store import staff
    conn = _fresh(tmp_path)
    with pytest.raises(RuntimeError), transaction(conn):
        staff.insert(conn, "c" * 64, "operator", None, "cli", "2025-03-01T10:00:00+05:00")
        assert staff.active_list(conn)  # visible inside
        raise RuntimeError("the audit entry could not be written")
    assert staff.active_list(conn) == []
