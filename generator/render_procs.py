"""How :class:`generator.render.RenderPath` renders in forked processes: a rebuild's outputs
shared by processes that take them one task at a time, a full build's documents in chunks
by processes that exit after them, and the outputs rendered beside the listing.
"""
from __future__ import annotations

import gc
import os
import time
import traceback
from typing import TYPE_CHECKING, Callable, Iterable

from ashyq.files import atomic_write
from generator.apart import Apart
from generator.shares import TaskQueue, of_one_document

if TYPE_CHECKING:
    from generator.render import Output

#: Outputs a render process writes before it exits (``RenderPath._render_parallel``).
RENDER_CHUNK = 1000
#: Where a render process lists the marked pages it wrote, for the parent.
SEARCHED_NOTE = ".ashyq-searched"


class RenderFailed(Exception):
    "A worker process could not render its share of the outputs"


class RenderProcesses:
    """The forked processes of a :class:`generator.render.RenderPath` (its ``workers``,
    ``build_dir``, ``full``, ``_write`` and ``_searched``)."""

    _beside: "tuple[Apart, list[Output]] | None" = None  # rendering beside (flush)

    def wait_beside(self) -> None:
        """Wait until the outputs rendered beside (``flush(beside=True)``) are written: what
        reads them calls it, in any render process."""
        if self._beside is not None:
            self._beside[0].wait_ended()

    def _beside_alive(self) -> bool:
        """Whether the process rendering beside the listing is still at work."""
        return self._beside is not None and not self._beside[0].done()

    def stop_beside(self) -> None:
        """Stop rendering beside (the build failed: its directory goes)."""
        if self._beside is not None:
            self._beside[0].cancel()
            self._beside = None

    def _write_beside(self, outputs: list[Output]) -> None:
        """In the process forked to render beside: write ``outputs``, note their searched
        pages (in a file: an answer through the pipe could fill it, and this process wait
        for a reader while a render process waits for its end)."""
        self._searched = {}
        for output in outputs:
            self._write(output)
        self._save_searched("beside")

    def _join_beside(self) -> None:
        """Take the answer of the outputs rendered beside: the pages they searched."""
        if self._beside is None:
            return
        (apart, outputs), self._beside = self._beside, None
        try:
            apart.result()
        except Exception as exc:  # its error, or ApartFailed (killed)
            raise RenderFailed(f"rendering beside the listing failed: {exc}") from exc
        self._take_searched("beside")
        self._note_searched(outputs, [], [])

    def _save_searched(self, name: str) -> None:
        """In a render process: list the marked pages it wrote, for the parent."""
        atomic_write(self.build_dir / f"{SEARCHED_NOTE}.{name}", "".join(
            f"{path}\t{version}\n" for path, version in self._searched.items()))

    def _take_searched(self, name: str) -> None:
        """Take the list :meth:`_save_searched` wrote as ``name``."""
        note = self.build_dir / f"{SEARCHED_NOTE}.{name}"
        self._searched.update(line.split("\t") for line in
                              note.read_text(encoding="utf-8").splitlines())
        note.unlink()

    def _render_parallel(self, dirty: list[Output]) -> None:
        """Render ``dirty`` in ``workers`` processes: this one and forked ones.

        A forked process shares this one's memory until either writes to it, and rendering
        writes to every object it reads (reference counts): one long-lived process per core
        copied the whole index and kept what rendering leaves behind (800 MB each at 20,000
        passports, issue 10). So a full build renders the documents' outputs in chunks of
        consecutive outputs (a few documents loaded side by side), each by a fresh fork that
        writes it and exits, leaving nothing behind; meanwhile this process writes the
        outputs of the whole site (lists, feeds, compliance pages, open data) with one such
        process beside it, then ``workers`` of them. What it touches while a child lives is
        copied once, for that child's short life (at 20,000 documents the peak went from 650
        to 675 MB; the lists alone had left a core idle for 15 s).

        A rebuild (an added passport: its lists and the open data; a new day: a list for
        every few pages) is shared: this process and ``workers - 1`` forked ones take its
        tasks one at a time, heaviest first (``generator.shares``), so that no process waits
        while another has work (each process that reads the whole index holds a copy of it,
        so this one works rather than waits).
        """
        if self.full:  # a full build: memory's peak
            own = [o for o in dirty if not of_one_document(o.keys)]
            rest = [o for o in dirty if of_one_document(o.keys)]
            chunks = [rest[i:i + RENDER_CHUNK] for i in range(0, len(rest), RENDER_CHUNK)]
            self._in_children(lambda number: chunks[number], len(chunks), self.workers,
                              own=lambda: own)
        else:
            queue = TaskQueue(dirty)
            try:  # this process takes the lightest tasks while one beside holds back a child
                written = lambda: not self._beside_alive()  # noqa: E731 - what "waits" reads
                self._in_children(lambda number: queue.take(ready=written), min(
                    self.workers, len(queue.tasks)) - 1, self.workers,
                    own=lambda: queue.take(self._beside_alive, written))
            finally:
                queue.close()

    def _in_children(self, work: Callable[[int], Iterable[Output]], count: int, at_once: int,
                     own: Callable[[], Iterable[Output]] | None = None) -> None:
        """Write ``work(number)`` for each of ``count`` numbers in a forked process of its
        own, and ``own()`` here meanwhile, ``at_once`` processes rendering at a time (this
        one and the process beside the listing while they do; each holds its copy of what
        it reads: a new day at 20,000 passed 1.1 GB with three); raise :class:`RenderFailed`
        if any failed. The children note the pages they searched."""
        running: set[int] = set()  # the render processes' pids
        failed = started = 0
        owning = own is not None  # this process renders too (until its own are written)

        def start_more() -> None:
            nonlocal started
            while started < count and not failed and len(running) + owning + (
                    self._beside_alive()) < at_once:
                number, started = started, started + 1
                gc.freeze()  # no collection in a child walks (so copies) what this one made
                pid = os.fork()
                if pid == 0:  # the child: render its share, never return into the caller
                    self._render_chunk(work(number), number)
                running.add(pid)
        try:
            start_more()
            for output in own() if own else ():
                self._write(output)
                failed += self._reap(running, wait=False)  # a child's chunk may be done
                start_more()  # (so may the process beside the listing)
            owning = False
            start_more()
            while running:
                failed += self._reap(running)
                start_more()
        finally:
            while running:
                failed += self._reap(running)
        if failed:
            raise RenderFailed(f"{failed} render process(es) failed")
        for number in range(started):
            self._take_searched(str(number))

    def _render_chunk(self, chunk: Iterable[Output], number: int) -> None:
        """In a forked process: write ``chunk``, note its searched pages, exit."""
        code = 0
        try:
            self._searched = {}  # the parent's own, noted by the parent
            for output in chunk:
                self._write(output)
            self._save_searched(str(number))
        except BaseException:  # noqa: BLE001 - reported through the exit code
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)

    @staticmethod
    def _reap(running: set[int], wait: bool = True) -> int:
        """Wait until some of the ``running`` render processes end (only ours: a server's
        other children are not reaped here; ``wait=False``: those ended now, if any); forget
        them; how many failed."""
        while True:
            failed = ended = 0
            for pid in list(running):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    running.discard(pid)
                    ended += 1
                    failed += 1 if os.waitstatus_to_exitcode(status) else 0
            if ended or not running or not wait:
                return failed
            time.sleep(0.005)
