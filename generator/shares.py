"""How a rebuild's dirty outputs are shared between render processes: which outputs are one
document's (rendered in chunks by short-lived processes) and which read many documents (lists,
feeds, compliance pages: weighed heavier, and made together when they share a name), and the
queue the processes take them from.
"""
from __future__ import annotations

import fcntl
import os
import select
import struct
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from generator.render import Output

#: What an output that reads many documents weighs when a rebuild's outputs are shared,
#: in outputs of one document (a list at 5,000 documents takes as long as ~30 pages).
SITE_WIDE_WEIGHT = 30

#: Tasks a queue holds at most: their numbers fill a pipe before anyone reads it.
MOST_TASKS = 8192
TASK_NUMBER = struct.Struct("<I")


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
    processes that render them, each to one: their numbers are written into a pipe before
    the processes fork, and each process reads the next when it is free (the kernel hands a
    read of a few bytes whole to one reader). Shares fixed beforehand by weight left one
    process with twice the other's work: a list of 20,000 documents takes 0.3 s, the open
    data 2 s, the language chooser a millisecond."""

    def __init__(self, outputs: list[Output]):
        self._readable, writable = os.pipe()
        try:
            # no more numbers than the pipe holds (64 KiB; a page for a user who holds many
            # pipes: fs.pipe-user-pages-soft), so the write never waits for a reader
            size = fcntl.fcntl(writable, fcntl.F_GETPIPE_SZ) \
                if hasattr(fcntl, "F_GETPIPE_SZ") else select.PIPE_BUF
            self.tasks = tasks_of(outputs, max(1, min(MOST_TASKS, size // TASK_NUMBER.size)))
            os.write(writable, b"".join(map(TASK_NUMBER.pack, range(len(self.tasks)))))
        except BaseException:
            os.close(self._readable)
            raise
        finally:
            os.close(writable)  # read to the end, the pipe says so

    def take(self) -> Iterator[Output]:
        """The outputs of each task this process takes, until none is left."""
        while data := os.read(self._readable, TASK_NUMBER.size):
            yield from self.tasks[TASK_NUMBER.unpack(data)[0]]

    def close(self) -> None:
        os.close(self._readable)
