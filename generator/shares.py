"""How a rebuild's dirty outputs are shared between render processes: which outputs are one
document's (rendered in chunks by short-lived processes) and which read many documents (lists,
feeds, compliance pages: weighed heavier, and made together when they share a name), and the
queue the processes take them from.
"""
from __future__ import annotations

import fcntl
import os
import struct
import tempfile
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from generator.render import Output

#: What an output that reads many documents weighs when a rebuild's outputs are shared,
#: in outputs of one document (a list at 5,000 documents takes as long as ~30 pages).
SITE_WIDE_WEIGHT = 30

#: Tasks a queue holds at most (neighbours in weight order merged beyond).
MOST_TASKS = 8192


def of_one_document(keys: tuple[str, ...]) -> bool:
    """Whether an output with these input keys is one document's (its page, feed, report,
    attachment; a press release's page also names its passport), not the whole site's nor
    a state body's (a list, a body's feed of its thousand documents, the compliance pages):
    ``generator.deps``. Rendered in a chunk, a body's feed made its process copy the
    objects of all the body's documents (250 MB at 20,000 documents, the peak)."""
    uids = {key.partition(":")[2] for key in keys if key.startswith(("src:", "meta:"))}
    return 0 < len(uids) <= 2


def units_of(outputs: list[Output]) -> list[list[Output]]:
    """``outputs`` by what is made together: one list per ``together`` name, one per output
    without."""
    units: dict[str, list[Output]] = {}
    for output in outputs:
        units.setdefault(output.together or "\0" + output.path, []).append(output)
    return list(units.values())


def tasks_of(outputs: list[Output], most: int = MOST_TASKS) -> list[list[Output]]:
    """``outputs`` as the tasks render processes take one at a time (:class:`TaskQueue`): the
    outputs made together in one task, heaviest first (an output of the whole site weighs
    SITE_WIDE_WEIGHT), but those that wait for outputs rendered beside last (``waits``:
    taken first, one would hold its process idle), each in the order of ``outputs``; at most
    ``most`` (neighbours in that order merged)."""
    def weight(unit: list[Output]) -> tuple[bool, int]:
        return (not any(o.waits for o in unit),
                sum(1 if of_one_document(o.keys) else SITE_WIDE_WEIGHT for o in unit))
    order = {id(o): i for i, o in enumerate(outputs)}
    units = sorted(units_of(outputs), key=weight, reverse=True)
    per = -(-len(units) // most) if units else 1
    tasks = [[o for unit in units[i:i + per] for o in unit] for i in range(0, len(units), per)]
    return [sorted(task, key=lambda o: order[id(o)]) for task in tasks]


class TaskQueue:
    """The tasks of a rebuild's outputs (:func:`tasks_of`), handed out one at a time to the
    processes that render them, each to one: which are taken is kept in a file all of them
    share (made before they fork), read and written under a lock the system lets go of when
    a process that holds it dies. Shares fixed beforehand by weight left one process with
    twice the other's work: a list of 20,000 documents takes 0.3 s, the open data 2 s, the
    language chooser a millisecond.

    A process takes the heaviest task left - or the lightest, while it is the only one
    rendering and another is to start (:meth:`take`): beside the process that makes the
    open data's tables (``RenderPath.flush(beside=True)``) the build's own process cannot
    start a second render process until it has ended, and the compliance check taken first
    held that start back 0.3 s of an add at 20,000 passports."""

    _STATE = struct.Struct("<III")  # the next heaviest, the end of those left, the next waiting

    def __init__(self, outputs: list[Output]):
        self.tasks = tasks_of(outputs, MOST_TASKS)
        # those that wait for the outputs rendered beside come last: never the lightest
        light = next((n for n, task in enumerate(self.tasks) if any(o.waits for o in task)),
                     len(self.tasks))
        self._file = tempfile.TemporaryFile(prefix="ashyq-tasks-")
        os.pwrite(self._file.fileno(), self._STATE.pack(0, light, light), 0)

    def take(self, lightest: Callable[[], bool] = lambda: False,
             ready: Callable[[], bool] = lambda: False) -> Iterator[Output]:
        """The outputs of each task this process takes, until none is left: the heaviest
        left, or the lightest (but those that wait) whenever ``lightest()``; those that wait
        first whenever ``ready()`` (what they wait for is written: the open data's package,
        taken last, was a fifth of a second of one process alone at the end of an add)."""
        while (number := self._next(lightest(), ready())) is not None:
            yield from self.tasks[number]

    def _next(self, lightest: bool, ready: bool = False) -> int | None:
        fd = self._file.fileno()
        fcntl.lockf(fd, fcntl.LOCK_EX)  # (a process's own lock: a forked one does not hold it)
        try:
            heaviest, end, waiting = self._STATE.unpack(os.pread(fd, self._STATE.size, 0))
            if ready and waiting < len(self.tasks):
                number, waiting = waiting, waiting + 1
            elif heaviest < end and lightest:
                number = end = end - 1
            elif heaviest < end:
                number, heaviest = heaviest, heaviest + 1
            elif waiting < len(self.tasks):
                number, waiting = waiting, waiting + 1
            else:
                return None
            os.pwrite(fd, self._STATE.pack(heaviest, end, waiting), 0)
            return number
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._file.close()
