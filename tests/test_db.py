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
