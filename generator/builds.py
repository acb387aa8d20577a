"""A site's build directories: the real folders its output link points at, their state files,
the atomic swap, the recycling of an old one, and the pruning of the rest.

The output path is a symbolic link into ``.<output>.builds/``; each build writes a new
``build-*`` directory there and :func:`swap_in` replaces the link in one atomic rename.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ashyq.files import atomic_write
from generator import retired
from generator.deps import RECORD, Record
from generator.render import CARRY_THREADS, link_over, remove_output

log = logging.getLogger(__name__)

KEEP_PREVIOUS_BUILDS = 1  # the next build recycles it (``recycle``)
SPARE_WORK = ".spare-"  # a spare being made (``prepare_spare``): renamed ``build-*`` when made
BUNDLE_GRACE = 3600  # seconds an unlinked search bundle is kept (an indexer may be at work)
#: Which submission-service changes a build (or the rebuild worker since) has shown.
BUILD_STATE = ".ashyq-build.json"


#: The hash of everything a build read, by names and stat keys (``quick_key``), with its counts.
QUICK_STATE = ".ashyq-quick.json"

def read_build_state(build_dir: Path) -> dict:
    path = Path(build_dir) / BUILD_STATE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"changes_upto": 0}


def write_build_state(build_dir: Path, changes_upto: int) -> None:
    """Record (atomically) that the site shows every change up to ``changes_upto``."""
    atomic_write(Path(build_dir) / BUILD_STATE, json.dumps({"changes_upto": changes_upto}) + "\n")


def read_quick(build_dir: Path | None) -> dict:
    try:
        return json.loads((Path(build_dir) / QUICK_STATE).read_text(encoding="utf-8"))
    except (TypeError, OSError, ValueError):
        return {}


def write_quick(build_dir: Path, key: str, documents: int, pages: int, outputs: int) -> None:
    atomic_write(Path(build_dir) / QUICK_STATE, json.dumps(
        {"key": key, "documents": documents, "pages": pages, "outputs": outputs}) + "\n")


def forget_quick(build_dir: Path) -> None:
    """The build was changed in place (``generator.incremental``): its quick key is stale."""
    (Path(build_dir) / QUICK_STATE).unlink(missing_ok=True)


def builds_dir(output: Path) -> Path:
    """The folder that holds the real build directories ``output`` links to."""
    return output.parent / f".{output.name}.builds"


def served_by(build_dir: Path) -> Path:
    """The output a build directory of :func:`builds_dir` is made for."""
    folder = Path(build_dir).parent
    return folder.parent / folder.name.removeprefix(".").removesuffix(".builds")


def swap_in(output: Path, build_dir: Path) -> None:
    """Point ``output`` at ``build_dir`` in one atomic rename of a symbolic link."""
    link = output.parent / f".{output.name}.swap-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(build_dir, output.parent))
    if output.exists() and not output.is_symlink():
        # A real directory from before: keep it as an old build (the one non-atomic step).
        output.rename(builds_dir(output) / f"previous-{time.time_ns()}")
    os.replace(link, output)


@contextlib.contextmanager
def one_build_at_a_time(output: Path):
    """Hold ``output``'s build lock (``flock`` on a file beside the builds): the worker, the
    command and the preview may start builds of one site at once; the second waits, so a
    recycled directory is never taken twice and an older build never swaps in over a newer
    one. A killed build's lock goes with its process."""
    folder = builds_dir(Path(output).absolute())
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def older_builds(output: Path) -> list[Path]:
    """The build directories beside the served one, newest first (search bundles, the index's
    parts, large files set aside and what is being deleted left out)."""
    from generator.search_parts import PARTS_STORE

    current = output.resolve() if output.is_symlink() else None
    folder = builds_dir(output)
    return sorted((p for p in folder.iterdir()
                   if p.is_dir() and p.name not in (PARTS_STORE, retired.RETIRED)
                   and not p.name.startswith(("search-", "trash-", SPARE_WORK))
                   and p.resolve() != current),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def recyclable(output: Path, served: Record | None = None) -> tuple[Path, Record] | None:
    """The oldest build kept beside the served one, with its record, if it has one and no
    search index is being made in it (:func:`recycle` takes it over). ``served``: the served
    build's record (:meth:`Record.load`); an older build whose record is its file holds the
    same files (:func:`keep_mirror`), and its record is not read again (0.2 s at 20,000)."""
    olds = _recyclable_builds(output)
    if not olds:
        return None
    if served is not None and _record_is(olds[-1], served):
        return olds[-1], served
    spare = Record.load(olds[-1])
    return (olds[-1], spare) if spare is not None else None


def reads_a_spare_record(output: Path, current: Path | None) -> bool:
    """Whether :func:`recyclable` will read a record: the oldest build kept beside the served
    one (``current``) is not its mirror (known before, from two ``stat`` calls)."""
    olds = _recyclable_builds(output)
    return bool(olds) and not (current and _same_file(olds[-1] / RECORD, current / RECORD))


def _recyclable_builds(output: Path) -> list[Path]:
    """The builds kept beside the served one that may be recycled, oldest first."""
    from generator.search import search_pending

    return [p for p in older_builds(output) if p.name.startswith("build-")
            and not search_pending(p)]


def recycle(build_dir: Path, found: tuple[Path, Record] | None) -> Record | None:
    """Make ``build_dir`` from ``found``, the oldest build kept beside the served one with its
    record (:func:`recyclable`'s answer), if any: renamed (never served again: the served
    build is newer), its record and state dropped first, so that a build killed half-way
    leaves a folder no later build trusts. Its unchanged files stay; making 70,000 folders
    and linking 130,000 files again was most of an edit at 20,000 documents.
    Returns its record, or None (``build_dir`` made empty)."""
    from generator.search_parts import BUNDLE_DIR

    if found is None or not found[0].is_dir():
        build_dir.mkdir()
        return None
    old, spare = found
    old.rename(build_dir)
    for name in (RECORD, QUICK_STATE, BUILD_STATE, BUNDLE_DIR):
        (build_dir / name).unlink(missing_ok=True)
    shutil.rmtree(build_dir / "theme", ignore_errors=True)  # Pelican's copy: written anew
    log.info("recycling %s (%d files)", old.name, len(spare.outputs))
    return spare


def prepare_spare(output: Path, build_dir: Path, record: Record) -> Path | None:
    """After a build that leaves no older build to recycle (a cold build), make one: the
    files of ``build_dir`` (the build just swapped in, whose record is ``record``) linked
    into a directory of their own, with the record, so that the next build - an editor's
    first change - recycles it instead of making 70,000 folders and linking 130,000 files (a
    third of a first edit at 20,000 documents); the large files copied (``generator.
    retired``). Made under another name and renamed when complete; returns it, or None
    (there is an older build; a file is missing: no spare)."""
    if any(old.name.startswith("build-") for old in older_builds(output)):
        return None
    work = builds_dir(output) / f"{SPARE_WORK}{time.time_ns()}"
    folders = sorted({p.rpartition("/")[0] for p in record.outputs})
    for folder in folders:  # parents before their children
        os.makedirs(work / folder, exist_ok=True)

    def link(paths: list[str]) -> None:
        for path in paths:
            source, target = build_dir / path, work / path
            if os.stat(source).st_size < retired.RETIRE_FROM:
                os.link(source, target)
            else:  # a copy of its own: the build that writes it again reuses its pages
                shutil.copyfile(source, target)
    paths = sorted(record.outputs)
    try:
        with ThreadPoolExecutor(CARRY_THREADS) as pool:  # the system calls run side by side
            list(pool.map(link, [paths[i::CARRY_THREADS] for i in range(CARRY_THREADS)]))
        os.link(build_dir / RECORD, work / RECORD)  # the same files' bytes: a mirror
    except OSError as exc:  # a listed file missing, no space: a spare never fails a build
        log.warning("no spare build prepared: %s", exc)
        shutil.rmtree(work, ignore_errors=True)
        return None
    spare = builds_dir(output) / f"build-{time.time_ns()}"
    work.rename(spare)
    log.info("prepared %s for the next build (%d files)", spare.name, len(paths))
    return spare


def keep_mirror(output: Path, build_dir: Path, record: Record, held: Record | None,
                written: list[str] | None) -> Path | None:
    """After a build swapped in ``build_dir`` (whose record is ``record``): make the build
    served before it (``held``: its record), kept beside to be recycled, hold the same files
    - each output a hard link to the same file - and, last, the same record file: the next
    build takes it over as the served build's files (:func:`recyclable`), neither reading its
    record nor carrying 130,000 files into it. ``written``: the outputs that may not be its
    files (those this build wrote into a directory that held them: a mirror); None: every
    output's file is compared. Its record goes first: left half-made (killed), it is not
    recycled. Returns it, or None (no such build, or a search index being made in it: the
    next build recycles it as before, reading its record)."""
    from generator.search import search_pending

    olds = [p for p in older_builds(output) if p.name.startswith("build-")]
    if held is None or len(olds) != 1 or search_pending(olds[0]):
        return None
    old = olds[0]
    if not _record_is(old, held):  # not the build ``held`` was read from
        return None
    try:
        (old / RECORD).unlink()
        folders: set[str] = set()
        for path in (record.outputs if written is None else written):
            source, target = build_dir / path, old / path
            if written is None and _same_file(source, target):
                continue
            folder = path.rpartition("/")[0]
            if folder not in folders:
                folders.add(folder)
                os.makedirs(old / folder, exist_ok=True)
            retired.retire(target, old.parent)  # its own large file: reused by the next build
            link_over(source, target)  # (replaced, never written through: the inode is shared)
        for path in sorted(held.outputs.keys() - record.outputs.keys()):  # as drop_stale
            remove_output(old, path)
        retired.trim(old.parent)  # (the large files set aside: ``generator.retired``)
        os.link(build_dir / RECORD, old / RECORD)
    except OSError as exc:  # never fails the build: left without a record, it is not recycled
        log.warning("%s not kept as the files of %s: %s", old.name, build_dir.name, exc)
        return None
    log.info("kept %s as the files of %s", old.name, build_dir.name)
    return old


def _record_is(folder: Path, record: Record) -> bool:
    """Whether ``folder``'s record is the very file ``record`` was read from."""
    try:
        st = os.stat(folder / RECORD)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == record.loaded_from


def _same_file(one: Path, other: Path) -> bool:
    """Whether both paths are one file (two ``stat`` calls; a missing one is not)."""
    try:
        first, second = os.stat(one), os.stat(other)
    except FileNotFoundError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def prune(output: Path) -> None:
    """Delete old build directories, keeping the current one and a few before it, and the
    search bundles no kept build links to (unless young: an indexer may be at work).

    What goes is first renamed ``trash-*`` (instant, and never served), then deleted by a
    detached process: deleting 70,000 files must not hold up the next build."""
    from generator.search_parts import BUNDLE_DIR, PARTS_STORE, bundle_parts

    folder = builds_dir(output)
    doomed = older_builds(output)[KEEP_PREVIOUS_BUILDS:]
    linked = {(p / BUNDLE_DIR).resolve() for p in folder.iterdir()
              if (p / BUNDLE_DIR).is_symlink() and p not in doomed}
    young = time.time() - BUNDLE_GRACE
    doomed += [bundle for bundle in folder.glob("search-*")
               if bundle.is_dir() and bundle.resolve() not in linked
               and bundle.stat().st_mtime < young]
    # the index's parts that no bundle kept links
    kept = set().union(*(bundle_parts(b) for b in folder.glob("search-*") if b not in doomed))
    store = folder / PARTS_STORE
    doomed += [part for part in (store.iterdir() if store.is_dir() else ())
               if (store / part.name.removesuffix(".name")).resolve() not in kept
               and part.stat().st_mtime < young]
    doomed += list(folder.glob(SPARE_WORK + "*"))  # a spare left half-made (a killed build)
    for old in doomed:
        old.rename(folder / f"trash-{old.parent.name}-{old.name}")
    if any(folder.glob("trash-*")):  # also what an earlier remover left
        idle = ["ionice", "-c", "3"] if shutil.which("ionice") else []
        subprocess.run(["setsid", "-f", *idle, sys.executable, "-c", REMOVER, str(folder)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)


#: The detached remover of a builds folder's ``trash-*``: one at a time (a second exits: the
#: first looks again after it lets go of the lock; three removers of one tree were seen
#: slowing the next build), at the lowest CPU and (with ``ionice``) disk priority.
REMOVER = """
import fcntl, os, shutil, sys
os.nice(19)
folder, tried = sys.argv[1], None

def trash():
    return sorted(e.path for e in os.scandir(folder) if e.name.startswith("trash-"))

def remove(path):  # a folder (a build, a bundle, a part) or a file (a part's name)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
while True:
    with open(os.path.join(folder, ".trash.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            sys.exit(0)
        found = trash()
        while found and found != tried:
            for path in found:
                remove(path)
            tried, found = found, trash()
    found = trash()
    if not found or found == tried:  # a remover turned away meanwhile left nothing
        break
"""
