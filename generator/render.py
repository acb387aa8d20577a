"""The one render path: every generated file goes through :class:`RenderPath`.

Generators *emit* each output with the keys of its inputs (``generator.deps``) and a function
that makes its bytes; nothing is rendered at emit time. :meth:`RenderPath.flush` then

* carries every output whose inputs are unchanged since the previous build over from that
  build's directory by hard link (a new inode is only ever made by replacing, so the previous
  build's files are never touched);
* renders the others - split over ``workers`` forked processes when there are many, each
  streaming its pages to disk and keeping none - and writes each with the one atomic writer.

A full build is the same path with no previous record: everything is rendered. The full build,
the incremental rebuild and the worker's per-document updates therefore share the listing of
outputs (``generator.site.SiteGenerator.emit_outputs``, ``document_outputs``) and this writer.
"""
from __future__ import annotations

import logging
import os
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ashyq.files import atomic_write
from generator.deps import Record

log = logging.getLogger(__name__)

Make = Callable[[], "bytes | str"]
#: Fewer dirty outputs than this are rendered in this process (a fork costs more).
PARALLEL_FROM = 64


class RenderFailed(Exception):
    "A worker process could not render its share of the outputs"


@dataclass
class Output:
    path: str
    keys: tuple[str, ...]
    make: Make | None  # None: a file copied from ``source``
    source: Path | None = None


class RenderPath:
    """Collects the outputs of one build (or one update) and writes the ones that changed."""

    def __init__(self, build_dir: Path, record: Record, *, previous: Record | None = None,
                 previous_dir: Path | None = None, workers: int = 1):
        self.build_dir = Path(build_dir)
        self.record = record
        self.previous = previous if previous and previous.global_key == record.global_key \
            else None
        self.previous_dir = Path(previous_dir) if previous_dir else None
        self.workers = max(1, workers)
        self.pending: list[Output] = []
        self.carried = 0
        self.rendered: list[str] = []
        self._folders: set[str] = set()  # folders of the build directory made so far

    # -- listing ---------------------------------------------------------------------------
    def emit(self, path: str, keys: tuple[str, ...] | list[str], make: Make) -> None:
        """Declare the output ``path`` (relative to the build directory)."""
        self._add(Output(path, tuple(sorted(set(keys))), make))

    def emit_copy(self, path: str, keys: tuple[str, ...] | list[str], source: Path) -> None:
        """Declare ``path`` as a copy of ``source`` (attachments, frozen report files)."""
        self._add(Output(path, tuple(sorted(set(keys))), None, Path(source)))

    def _add(self, output: Output) -> None:
        if output.path in self.record.outputs:
            raise ValueError(f"{output.path} is emitted twice")
        self.record.outputs[output.path] = output.keys
        self.pending.append(output)

    def is_fresh(self, output: Output) -> bool:
        """Made from exactly these inputs, all unchanged since the previous build (whose file
        must still be there: :meth:`_carry` says)."""
        return (self.previous is not None and self.previous_dir is not None
                and self.previous.is_fresh(output.path, output.keys, self.record.inputs))

    # -- writing ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Carry over the unchanged outputs emitted so far and render the rest."""
        pending, self.pending = self.pending, []
        dirty = []
        for output in pending:
            if not (self.is_fresh(output) and self._carry(output.path)):
                dirty.append(output)
        # Forking is safe only without other threads (a server's threads may hold locks).
        if len(dirty) >= PARALLEL_FROM and self.workers > 1 and threading.active_count() == 1:
            self._render_parallel(dirty)
        else:
            for output in dirty:
                self._write(output)
        self.rendered += [o.path for o in dirty]

    def _carry(self, path: str) -> bool:
        """Hard-link ``path`` from the previous build; False when its file is not there.
        (Strings and a set of made folders, not pathlib: 130,000 outputs at 20,000 documents.)"""
        if self.build_dir == self.previous_dir:  # updating the live build in place
            return os.path.isfile(os.path.join(self.build_dir, path))
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(os.path.join(self.build_dir, folder), exist_ok=True)
            self._folders.add(folder)
        try:
            os.link(os.path.join(self.previous_dir, path), os.path.join(self.build_dir, path))
        except FileNotFoundError:  # the previous build lost it: render it again
            return False
        self.carried += 1
        return True

    def _write(self, output: Output) -> None:
        target = self.build_dir / output.path
        atomic_write(target, output.source.read_bytes() if output.make is None else output.make())

    def _render_parallel(self, dirty: list[Output]) -> None:
        """Render ``dirty`` in ``workers`` processes (this one included), by shards."""
        children = []
        for shard in range(1, self.workers):
            pid = os.fork()
            if pid == 0:  # the child: render its shard, never return into the caller
                code = 0
                try:
                    for output in dirty[shard::self.workers]:
                        self._write(output)
                except BaseException:  # noqa: BLE001 - reported through the exit code
                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code)
            children.append(pid)
        try:
            for output in dirty[0::self.workers]:
                self._write(output)
        finally:
            failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])]
        if failed:
            raise RenderFailed(f"{len(failed)} render process(es) failed")


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
