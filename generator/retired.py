"""Large outputs' old versions set aside until a build writes as many bytes (issue 10).

On the benchmark's machine (a VM that hands free memory back to its host: virtio-balloon
free page reporting) the first write into page-cache memory the system has not used for a
few seconds costs ~7-40 µs a page, while pages freed a moment before are reused at memory
speed: a 40 MB file took 0.07-0.41 s to write, and 0.01-0.02 s right after a file of that
size was deleted (docs/benchmarks.md). A rebuild at 20,000 documents writes ~180 MB of large
files (the manifest, the open data's tables, the sitemaps, the calendars, the record); the old
versions were deleted after the swap, seconds before the next build could have reused their
pages.

So a build's large files are freed just before the next large write, not after the swap:

* when the build served before is made the new build's files (``generator.builds.
  keep_mirror``), each large file of its own that it gives up - the last link to it: its
  pages would be freed - is moved into :data:`RETIRED` beside the build directories;
* a build deletes as many bytes of them just before it writes a large output or its record
  (:func:`release`), and, in a directory made from an older build (never the served one:
  the worker updates that in place), that directory's own old version of the output first
  (``generator.render``);
* the spare a cold build leaves holds copies of its large files, not links
  (``generator.builds.prepare_spare``): the build served before then has large files of its
  own for the first rebuilds (an edit, then an added passport) to reuse.

Nothing set aside is served, read or linked; the folder holds at most
:data:`RETIRED_AT_MOST` bytes, the oldest deleted first (an edit takes little, and the add
after it finds what the add before gave up). No output's bytes depend on any of it: a mirror
holds the served build's large files as the same bytes, not the same inodes.
"""
from __future__ import annotations

import itertools
import os
import stat
import time
from pathlib import Path

RETIRED = ".retired"  # in the builds folder (``generator.builds.builds_dir``)
RETIRE_FROM = 1 << 20  # bytes: a file smaller than this is deleted as before
#: bytes set aside at most: the large files an added passport rewrites at 20,000 (~180 MB)
RETIRED_AT_MOST = 256 << 20
_names = itertools.count()


def retire(path: Path | str, builds: Path) -> bool:
    """Move the file ``path`` into ``builds / RETIRED`` if it is large and this is its last
    link (deleting it would free its pages). Returns whether it was moved."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_size < RETIRE_FROM:
        return False
    pool = Path(builds) / RETIRED
    pool.mkdir(exist_ok=True)
    os.rename(path, pool / f"{time.time_ns()}-{next(_names):09d}-{os.getpid()}")  # by age
    return True


def release(builds: Path, size: int) -> int:
    """Delete files set aside in ``builds / RETIRED`` totalling at least ``size`` bytes,
    just before that many are written (nothing for a small write). The processes of a build
    may release at once: each file is deleted by one. Returns the bytes freed."""
    if size < RETIRE_FROM:
        return 0
    freed = 0
    try:
        entries = os.scandir(Path(builds) / RETIRED)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    with entries:
        for entry in entries:
            if freed >= size:
                break
            try:
                bytes_ = entry.stat().st_size
                os.unlink(entry.path)
            except FileNotFoundError:  # taken by another process of the build
                continue
            freed += bytes_
    return freed


def trim(builds: Path, at_most: int | None = None) -> None:
    """Delete the oldest files set aside until they total ``at_most`` bytes (by default
    :data:`RETIRED_AT_MOST`)."""
    at_most = RETIRED_AT_MOST if at_most is None else at_most
    try:
        found = sorted(os.scandir(Path(builds) / RETIRED), key=lambda e: e.name, reverse=True)
    except (FileNotFoundError, NotADirectoryError):
        return
    total = 0
    for entry in found:  # newest first
        try:
            total += entry.stat().st_size
            if total > at_most:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
