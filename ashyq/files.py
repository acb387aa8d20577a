"""Writing files so that no reader ever sees half of one: the one atomic-write helper.

Every file the build, the rebuild worker and the shared core write goes through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, which then replaces
the target in one ``rename``. A reader sees the old file or the new one, never a mix, and a
killed writer leaves at most a stray temporary file (``.<name>.<pid>.<thread>.tmp``).

Replacing by rename also keeps hard links safe: a build directory may share a file's inode
with the previous build (``generator.build`` carries unchanged files over by hard link); a new
inode for the new bytes leaves the old build's copy untouched.

A build writing a directory no one reads yet (:func:`write_new`) creates a file that is not
there in place: the directory is swapped in whole once complete, and a killed build's
directory is never served.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes | str, *, durable: bool = False,
                 unchanged_ok: bool = False, mode: int | None = None) -> bool:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) in one rename.

    ``durable`` also fsyncs the file before the rename (for data that must survive a power
    cut: imported datasets, not rebuildable pages). With ``unchanged_ok`` a file that already
    holds exactly ``data`` is left alone. ``mode`` sets the file's permissions before it
    appears (``0o600`` for a private key). Returns whether the file was written.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if unchanged_ok and path.is_file() and path.stat().st_size == len(data) \
            and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return True


def write_new(path: str, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists (False: the caller replaces it with
    :func:`atomic_write`, never in place - it may be a hard link to a served file); its folder
    is made if missing. Only for a directory not served while it is written (a new build):
    a reader could see half of the file. No temporary file, no rename, no stat of the folder:
    a fifth of writing the 130,000 files of a cold build at 20,000 documents."""
    try:
        out = open(path, "xb")
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        out = open(path, "xb")
    except FileExistsError:
        return False
    with out:
        out.write(data)
    return True
