"""The one render path: every generated file goes through :class:`RenderPath`.

Generators *emit* each output with the keys of its inputs (``generator.deps``) and a function
that makes its bytes; nothing is rendered at emit time. :meth:`RenderPath.flush` then

* carries every output whose inputs are unchanged since the previous build over from that
  build's directory by hard link (a new inode is only ever made by replacing, so the previous
  build's files are never touched);
* renders the others - in chunks, each by a forked process that exits after it, ``workers``
  at a time, when there are many; each streams its pages to disk and keeps none - and
  writes each with the one atomic writer.

A full build is the same path with no previous record: everything is rendered. The full build,
the incremental rebuild and the worker's per-document updates therefore share the listing of
outputs (``generator.site.SiteGenerator.emit_outputs``, ``document_outputs``) and this writer.
"""
from __future__ import annotations

import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import compress
from operator import not_
from pathlib import Path
from typing import Callable

from ashyq.files import atomic_write, write_new
from generator import retired
from generator.apart import forking_is_safe, start_apart
from generator.deps import Record, index_version
from generator.render_procs import RenderFailed, RenderProcesses  # noqa: F401 - raised here
from generator.shares import of_one_document, units_of

log = logging.getLogger(__name__)

Make = Callable[[], "bytes | str"]
#: Fewer dirty outputs than this are rendered in this process (a fork costs more)...
PARALLEL_FROM = 64
#: ...unless this many units of them (``units_of``) read many documents (lists, feeds,
#: compliance pages: tenths of a second each at 5,000 documents; an added passport's ~60).
SITE_WIDE_FROM = 8
#: What marks a page the search indexes (``base.html``; ``generator.search``).
SEARCH_MARK = "data-pagefind-body"
#: Threads that make folders and hard links when carrying outputs over.
CARRY_THREADS = 4


@dataclass
class Output:
    path: str
    keys: tuple[str, ...]
    make: Make | None  # None: a file copied from ``source``
    source: Path | None = None
    group: str = ""  # the search index's group of the page (``generator.deps.index_group``)
    #: carried with its document unlisted (``emit_document``): how to list it again
    again: Callable[["Collector"], None] | None = None
    #: outputs with the same name here are made together (a feed's RSS and Atom, the open
    #: data's tables, the compliance check): never shared between processes
    together: str = ""
    #: made from outputs rendered beside (``RenderPath.wait_beside``): taken last
    waits: bool = False


def record_keys(keys: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """An output's input keys as the record keeps them: sorted, without repeats."""
    return tuple(sorted(set(keys)))


class Collector:
    """A sink that only collects what is emitted into it (a document listed again)."""

    def __init__(self):
        self.outputs: dict[str, Output] = {}

    def emit(self, path, keys, make, group="", together="", waits=False) -> None:
        self.outputs[path] = Output(path, record_keys(keys), make, group=group,
                                    together=together, waits=waits)

    def emit_copy(self, path, keys, source) -> None:
        self.outputs[path] = Output(path, record_keys(keys), None, Path(source))

    def keep_all(self, names: list[str], items: list) -> list:
        return items

    def emit_document(self, name, decisive, emit) -> None:
        emit(self)


class RenderPath(RenderProcesses):
    """Collects the outputs of one build (or one update) and writes the ones that changed."""

    def __init__(self, build_dir: Path, record: Record, *, previous: Record | None = None,
                 previous_dir: Path | None = None, workers: int = 1,
                 spare: Record | None = None, unserved: bool = False):
        """``spare``: the record of an older build whose directory ``build_dir`` now is
        (``generator.build.recycle``): its unchanged files stay, its folders are there.
        ``unserved``: no one reads ``build_dir`` before it is complete (a new build, swapped
        in whole): a file not there yet is written in place (``ashyq.files.write_new``)."""
        self.build_dir = Path(build_dir)
        self.record = record
        self.previous = previous if previous and previous.global_key == record.global_key \
            else None
        self.spare = spare if spare and spare.global_key == record.global_key else None
        self._recycled = spare is not None  # a directory made from an older build: not served
        self._held = spare.outputs if spare else {}  # files the recycled directory holds
        self.previous_dir = Path(previous_dir) if previous_dir else None
        self.unserved = unserved and self.build_dir != self.previous_dir
        self.workers = max(1, workers)
        self.pending: list[Output] = []
        self.carried = 0
        self.rendered: list[str] = []
        # folders made so far (or there: a recycled directory's are made again, at a failed
        # mkdir each, only for what is carried into them - the few outputs of the builds
        # between - not all 70,000 of them listed at every build)
        self._folders: set[str] = set()
        self._kept: list[tuple[str, ...]] = []  # documents' outputs kept whole, not yet entered
        # pages written with the search mark, and their index versions (not yet noted)
        self._searched: dict[str, str] = {}
        self._sorted_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._group: list[str] | None = None  # the outputs of the document being listed
        # the keys changed since the previous build (its outputs unchanged since are carried)
        self._changed = self.previous.changed_keys(record.inputs) if self.previous else set()
        # ...and with the keys the previous build had no fingerprint of: the keys whose
        # fingerprint moved (what decides a document's outputs is looked up here, once each)
        self._moved = self.previous.moved_keys(record.inputs, self._changed) \
            if self.previous else set()
        if self.spare is not None and self.spare is self.previous:  # (a mirror: builds.py)
            self._spare_changed, self._spare_moved = self._changed, self._moved
        else:
            self._spare_changed = self.spare.changed_keys(record.inputs) if self.spare else set()
            self._spare_moved = self.spare.moved_keys(record.inputs, self._spare_changed) \
                if self.spare else set()
        # the documents whose outputs the recycled directory holds made as they would be now
        # (:meth:`keep_all`; one set lookup each, not a listing of their keys)
        self._whole = {name for name, keys in self.spare.group_keys.items()
                       if self._spare_moved.isdisjoint(keys) and name in self.spare.groups} \
            if self.spare else set()

    @property
    def full(self) -> bool:
        """A full build: no previous build to carry outputs over from, none recycled."""
        return self.previous is None and self.spare is None

    # -- listing ---------------------------------------------------------------------------
    def emit(self, path: str, keys: tuple[str, ...] | list[str], make: Make,
             group: str = "", together: str = "", waits: bool = False) -> None:
        """Declare the output ``path`` (relative to the build directory); ``group``: where
        the search index puts it, if it is a page the search indexes; ``together``: a name
        the outputs made together share (:attr:`Output.together`); ``waits``: it reads
        outputs rendered beside (:attr:`Output.waits`)."""
        self._add(Output(path, self._keys(keys), make, group=group, together=together,
                         waits=waits))

    def emit_copy(self, path: str, keys: tuple[str, ...] | list[str], source: Path) -> None:
        """Declare ``path`` as a copy of ``source`` (attachments, frozen report files)."""
        self._add(Output(path, self._keys(keys), None, Path(source)))

    def emit_document(self, name: str, decisive: tuple[str, ...],
                      emit: Callable[["RenderPath | Collector"], None]) -> None:
        """Declare one document's outputs in one language (``name``: ``<lang>:<uid>``), as
        ``emit(sink)`` lists them. When the previous build listed them, and neither the
        ``decisive`` keys (those that decide which outputs there are) nor any key they name
        changed since, they are the same outputs made from the same inputs: they are taken
        from its record without listing them again (at 20,000 documents listing 130,000
        outputs was a quarter of an edit's time)."""
        previous = self.previous
        known = previous.groups.get(name) if previous else None
        union = previous.group_keys.get(name) if previous else None
        if known is not None and union is not None and self._moved.isdisjoint(decisive) \
                and self._moved.isdisjoint(union):
            outputs = previous.outputs
            for path in known:
                self._add(Output(path, outputs[path], None, again=emit))
            self.record.groups[name], self.record.group_keys[name] = known, union
            return
        self._group = []
        try:
            emit(self)
            outputs = self.record.outputs
            self.record.groups[name] = tuple(self._group)
            # the outputs' key strings first: the same objects in the record, stored once
            self.record.group_keys[name] = record_keys(
                [*(key for path in self._group for key in outputs[path]), *decisive])
        finally:
            self._group = None

    def pages_listed(self) -> int:
        """How many pages (``…/index.html``) are listed so far, those kept whole included."""
        return sum(path.endswith("index.html") for paths in (self.record.outputs, *self._kept)
                   for path in paths)

    def keep_all(self, names: list[str], items: list) -> list:
        """Keep the outputs of each document of ``names`` (``<lang>:<uid>``) where they are
        when the recycled directory holds them all and none of the keys they name, nor those
        that decide which there are (a group's keys hold both), changed since the build it
        was: taken whole from its record at the next :meth:`flush`, not one output at a time
        (130,000 at 20,000 documents), and before the caller lists their keys; found by calls
        in C (40,000 documents' names a rebuild at 20,000). Returns the ``items`` (one a
        name) not kept (for :meth:`emit_document`)."""
        whole = self._whole
        if not whole:
            return items
        kept = list(filter(whole.__contains__, names))
        if kept:
            groups, group_keys = self.spare.groups, self.spare.group_keys
            found = list(map(groups.__getitem__, kept))
            self._kept += found
            self.record.groups.update(zip(kept, found))
            self.record.group_keys.update(zip(kept, map(group_keys.__getitem__, kept)))
        return list(compress(items, map(not_, map(whole.__contains__, names))))

    def _take_kept(self) -> None:
        """Enter the documents' outputs kept whole (:meth:`keep_all`) in the record."""
        if not self._kept:
            return
        paths = [path for group in self._kept for path in group]
        self._kept = []
        outputs, before = self.record.outputs, len(self.record.outputs)
        outputs.update(zip(paths, map(self.spare.outputs.__getitem__, paths)))
        if len(outputs) != before + len(paths):
            raise ValueError("an output of a kept document is emitted twice")
        indexed = self.spare.indexed
        self.record.indexed.update((path, indexed[path]) for path in paths if path in indexed)
        self.carried += len(paths)

    def _keys(self, keys: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """``keys`` sorted, without repeats, as the record keeps them (once per distinct list:
        130,000 outputs name 50,000 lists)."""
        keys = tuple(keys)
        found = self._sorted_keys.get(keys)
        if found is None:
            found = self._sorted_keys[keys] = record_keys(keys)
        return found

    def _add(self, output: Output) -> None:
        if output.path in self.record.outputs:
            raise ValueError(f"{output.path} is emitted twice")
        self.record.outputs[output.path] = output.keys
        self.pending.append(output)
        if self._group is not None:
            self._group.append(output.path)

    # -- writing ---------------------------------------------------------------------------
    def flush(self, beside: bool = False) -> None:
        """Carry over the unchanged outputs emitted so far and render the rest, then wait for
        those rendered beside. ``beside``: a rebuild renders them in a forked process while
        this one goes on listing (:meth:`wait_beside`; the next flush takes its answer); a
        full build takes them with all the rest, its render processes beside them."""
        if beside and self.full:
            return
        self._take_kept()
        pending, self.pending = self.pending, []
        kept, fresh, dirty = [], [], []
        # Made from exactly these inputs, all unchanged since the recycled build (its file is
        # here) or the previous build (its file must still be there: _carry_all says).
        never = lambda path, keys: False  # noqa: E731
        in_spare = self.spare.freshness(self.record.inputs, self._spare_changed) \
            if self.spare else never
        in_previous = self.previous.freshness(self.record.inputs, self._changed) \
            if self.previous is not None and self.previous_dir is not None else never
        for output in pending:
            if in_spare(output.path, output.keys):
                kept.append(output)  # the recycled directory already holds it
            else:
                (fresh if in_previous(output.path, output.keys) else dirty).append(output)
        self.carried += len(kept)
        lost = self._carry_all(fresh)
        if lost:  # in listing order: an output may read what one listed before it wrote
            order = {id(o): i for i, o in enumerate(pending)}
            dirty = sorted(dirty + lost, key=lambda o: order[id(o)])
        gone = {id(o) for o in lost}
        carried = [o for o in fresh if id(o) not in gone]
        if beside and dirty and self._beside is None and self.workers > 1 and forking_is_safe():
            self._beside = (start_apart(self._write_beside, dirty), dirty)
            self._note_searched([], carried, kept)
            self.rendered += [o.path for o in dirty]
            return
        many = len(dirty) >= PARALLEL_FROM or sum(
            any(not of_one_document(o.keys) for o in unit) for unit in units_of(dirty)
        ) >= SITE_WIDE_FROM
        # Forking is safe only without other threads (a server's threads may hold locks).
        with collecting(many):  # many pages make cyclic garbage
            if many and self.workers > 1 and forking_is_safe():
                self._render_parallel(dirty)
            else:
                for output in dirty:
                    self._write(output)
        self._note_searched(dirty, carried, kept)
        self.rendered += [o.path for o in dirty]
        self._join_beside()

    def drop_stale(self) -> None:
        """Delete what the recycled directory holds that this build does not list, and the
        folders that leaves empty (a removed document's folder must answer 404, as in a cold
        build, not 403)."""
        for path in sorted(self._held.keys() - self.record.outputs.keys()):
            with suppress(OSError):
                remove_output(self.build_dir, path)

    def _carry_all(self, fresh: list[Output]) -> list[Output]:
        """Hard-link the ``fresh`` outputs from the previous build; return those whose file
        is not there (to be rendered). Folders are made and files linked by a few threads
        (the system calls run beside each other; a folder's siblings share one lock, so
        the threads take whole parent folders)."""
        if self.build_dir == self.previous_dir:  # updating the live build in place
            return [o for o in fresh
                    if not os.path.isfile(os.path.join(self.build_dir, o.path))]
        folders: dict[str, list[str]] = {}
        for output in fresh:
            folder = output.path.rpartition("/")[0]
            if folder not in self._folders:
                self._folders.add(folder)
                parent = folder.rpartition("/")[0]
                folders.setdefault(parent, []).append(folder)
        for parent in sorted(folders):  # parents first: "" < "kk" < "kk/discussions"
            os.makedirs(os.path.join(self.build_dir, parent), exist_ok=True)
        lost: list[Output] = []

        def make(names: list[str]) -> None:
            for name in names:
                os.makedirs(os.path.join(self.build_dir, name), exist_ok=True)

        def link(outputs: list[Output]) -> None:
            for output in outputs:
                try:
                    link_over(os.path.join(self.previous_dir, output.path),
                              os.path.join(self.build_dir, output.path))
                except FileNotFoundError:  # the previous build lost it: render it again
                    lost.append(output)
        with ThreadPoolExecutor(CARRY_THREADS) as pool:
            list(pool.map(make, sorted(folders.values(), key=len, reverse=True)))
            list(pool.map(link, [fresh[i::CARRY_THREADS] for i in range(CARRY_THREADS)]))
        self.carried += len(fresh) - len(lost)
        return lost

    def _write(self, output: Output) -> None:
        if output.again is not None:  # carried, but its file was not there: list it again
            listed = Collector()
            output.again(listed)
            if output.path not in listed.outputs:
                raise RenderFailed(f"{output.path} was carried, is missing from the previous "
                                   "build, and its document no longer lists it")
            output = listed.outputs[output.path]
        target = self.build_dir / output.path
        data = output.source.read_bytes() if output.make is None else output.make()
        raw = data.encode("utf-8") if isinstance(data, str) else data
        same = self._link_if_same(output.path, raw)
        if not same:
            if len(raw) >= retired.RETIRE_FROM:  # a large file (``generator.retired``)
                if self._recycled:  # its own old version goes now (never a served file)
                    retired.retire(target, self.build_dir.parent)
                retired.release(self.build_dir.parent, len(raw))
            if not (self.unserved and write_new(str(target), raw)):
                atomic_write(target, raw)
        if output.path.endswith(".html") and SEARCH_MARK in (
                data if isinstance(data, str) else data.decode("utf-8", "replace")):
            # The same bytes index the same: the version they were indexed under stays.
            kept = self.previous.indexed.get(output.path) if same and self.previous else None
            self._searched[output.path] = kept or index_version(self.record.inputs, output.keys,
                                                                output.group)

    def _link_if_same(self, path: str, raw: bytes) -> bool:
        """Link the previous build's file when the bytes made now are its bytes (a new day
        re-renders every list, and most come out the same): only what changed is written."""
        if self.previous_dir is None or self.previous_dir == self.build_dir:
            return False
        source = os.path.join(self.previous_dir, path)
        try:
            if os.path.getsize(source) != len(raw):
                return False
            with open(source, "rb") as f:
                if f.read() != raw:
                    return False
        except OSError:
            return False
        target = os.path.join(self.build_dir, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        link_over(source, target)
        return True

    def _note_searched(self, dirty: list[Output], carried: list[Output],
                       kept: list[Output]) -> None:
        """The record's list of pages the search indexes: those written now that carry the
        mark, and those carried over (or kept) that the build they come from listed."""
        for output in dirty:
            self.record.indexed.pop(output.path, None)
        self.record.indexed.update(self._searched)
        for outputs, source in ((carried, self.previous), (kept, self.spare)):
            old = source.indexed if source else {}
            self.record.indexed.update({o.path: old[o.path] for o in outputs if o.path in old})
        self._searched = {}


def remove_output(root: str | Path, path: str) -> None:
    """Delete the output ``path`` under ``root`` (gone already: nothing to do) and the
    folders that leaves empty (a removed document's folder must answer 404, not 403)."""
    target = os.path.join(root, path)
    with suppress(FileNotFoundError):
        os.unlink(target)
    with suppress(OSError):
        os.removedirs(os.path.dirname(target))  # stops at the first folder not empty


def link_over(source: str, target: str) -> None:
    """Hard-link ``source`` at ``target``, in place of the file a recycled build directory
    may hold there (never written through: its inode may be an older build's too)."""
    try:
        os.link(source, target)
    except FileExistsError:
        os.unlink(target)
        os.link(source, target)


@contextmanager
def collecting(on: bool = True):
    """The cyclic garbage collector on for the block (the build keeps it off otherwise)."""
    was = gc.isenabled()
    if on:
        gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


@contextmanager
def render_path(settings: dict, output_path: str):
    """The build's render path (``ASHYQ_RENDER``, flushed by the build), or for a plain
    ``pelican`` run one that renders everything into ``output_path`` when the block ends."""
    shared = settings.get("ASHYQ_RENDER")
    if shared is not None:
        yield shared
        return
    own = RenderPath(Path(output_path), Record("-"))
    yield own
    own.flush()
