"""Backup while votes are being written, and restore."""
from __future__ import annotations

import sqlite3
import threading

from click.testing import CliRunner

from portal.cli import main as cli
from tests.helpers import OPEN, vote


def test_online_backup_and_restore(app, client, sign_in, tmp_path, monkeypatch):
    sign_in(client)
    vote(client, f"/api/documents/{OPEN}", "for")
    database = app.config["DATABASE"]
    monkeypatch.setenv("ASHYQ_DATABASE", database)
    monkeypatch.setenv("ASHYQ_LOCALE_DIR", app.config["LOCALE_DIR"])
    stop = threading.Event()

    def writer():  # the service keeps writing during the backup
        conn = sqlite3.connect(database, timeout=10)
        n = 0
        while not stop.is_set() and n < 2000:
            conn.execute("INSERT INTO challenges (nonce, issued_at) VALUES (?, 0)", (f"w{n}",))
            conn.commit()
            n += 1
        conn.close()
    thread = threading.Thread(target=writer)
    thread.start()
    runner = CliRunner()
    target = tmp_path / "backup.sqlite3"
    result = runner.invoke(cli, ["backup", str(target)])
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT value FROM votes").fetchall() == [("for",)]

    vote(client, f"/api/documents/{OPEN}", "against")  # a change after the backup
    restored = runner.invoke(cli, ["restore", str(target)])
    assert restored.exit_code == 0, restored.output
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT value FROM votes").fetchall() == [("for",)]
    assert (tmp_path / "ashyq.sqlite3.before-restore").exists()


def test_restore_refuses_a_file_that_is_not_a_database(app, tmp_path, monkeypatch):
    monkeypatch.setenv("ASHYQ_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("ASHYQ_LOCALE_DIR", app.config["LOCALE_DIR"])
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(cli, ["restore", str(junk)])
    assert result.exit_code == 1 and "not an SQLite database" in result.output
