"""How a rebuild's outputs are shared between the processes that render them (issue 10):
tasks of the outputs made together, heaviest first, taken one at a time from a queue that
hands each to exactly one process."""
from __future__ import annotations

import os

from generator.render import Output
from generator.shares import TaskQueue, tasks_of


def output(path: str, uids: int = 1, together: str = "") -> Output:
    keys = tuple(f"src:d{i}" for i in range(uids))
    return Output(path, keys, lambda: b"", together=together)


def test_tasks_keep_what_is_made_together_heaviest_first_in_listing_order():
    outputs = [output("kk/a/index.html"), output("opendata/documents.json", 3, "opendata"),
               output("kk/index.html", 3), output("opendata/index.html", 3, "opendata"),
               output("kk/b/index.html")]
    tasks = tasks_of(outputs)
    assert [[o.path for o in task] for task in tasks] == [
        ["opendata/documents.json", "opendata/index.html"],  # together, as listed
        ["kk/index.html"], ["kk/a/index.html"], ["kk/b/index.html"]]


def test_what_waits_for_outputs_rendered_beside_is_taken_last():
    """The open data's package and page read the tables made beside the listing: taken
    first (they weigh most), they held a process idle until those were written."""
    waiting = Output("opendata/index.html", ("src:d0", "src:d1", "src:d2"), lambda: b"",
                     together="opendata", waits=True)
    outputs = [output("opendata/budget/2026.csv", 3, "opendata"), waiting,
               output("kk/index.html", 3), output("kk/a/index.html")]
    assert [[o.path for o in task] for task in tasks_of(outputs)] == [
        ["kk/index.html"], ["kk/a/index.html"],
        ["opendata/budget/2026.csv", "opendata/index.html"]]  # the unit waits: last


def test_at_most_so_many_tasks_every_output_once():
    outputs = [output(f"kk/{i}/index.html", 1 + i % 3) for i in range(50)]
    tasks = tasks_of(outputs, most=7)
    assert len(tasks) == 7
    assert sorted(o.path for task in tasks for o in task) == sorted(o.path for o in outputs)


def test_each_task_is_taken_by_one_process_and_every_task_is_taken(tmp_path):
    """This process and a forked one take the tasks as they are free - one the heaviest,
    the other the lightest - none twice, none left (the queue's state is read and written
    under a lock)."""
    outputs = [output(f"kk/{n}/index.html") for n in range(3000)]
    queue = TaskQueue(outputs)
    note = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        taken = [o.path for o in queue.take(lambda: True)]
        note.write_text("\n".join(taken), encoding="utf-8")
        os._exit(0)
    mine = [o.path for o in queue.take()]
    _, status = os.waitpid(pid, 0)
    queue.close()
    assert os.waitstatus_to_exitcode(status) == 0
    theirs = note.read_text(encoding="utf-8").split("\n") if note.stat().st_size else []
    assert sorted(mine + theirs) == sorted(o.path for o in outputs)
    assert len(set(mine) & set(theirs)) == 0


def test_the_lightest_tasks_are_taken_from_the_other_end_never_those_that_wait():
    """While the build's own process renders alone (the process beside the listing holds
    back the second), it takes the lightest tasks, leaving the heaviest to the process that
    starts next; those that wait for the outputs made beside stay last either way."""
    waiting = Output("opendata/index.html", ("src:d0", "src:d1", "src:d2"), lambda: b"",
                     waits=True)
    outputs = [output("kk/index.html", 3), output("kk/a/index.html"), waiting,
               output("kk/b/index.html"), output("kk/compliance/index.html", 3)]
    queue = TaskQueue(outputs)
    lightest = [True]
    taken = queue.take(lambda: lightest[0])
    try:
        assert [next(taken).path, next(taken).path] == ["kk/b/index.html", "kk/a/index.html"]
        lightest[0] = False  # the second process started: the heaviest first again
        assert next(queue.take()).path == "kk/index.html"  # (the other process's first)
        assert [o.path for o in taken] == ["kk/compliance/index.html", "opendata/index.html"]
    finally:
        queue.close()
    only_waiting = TaskQueue([waiting])
    try:  # nothing lighter left: what waits is taken, lightest or not
        assert [o.path for o in only_waiting.take(lambda: True)] == ["opendata/index.html"]
    finally:
        only_waiting.close()


def test_what_waits_is_taken_first_once_what_it_waits_for_is_written():
    """Issue 10: once the process beside the listing has written the open data's tables, the
    package that reads them is taken before the heaviest other task (taken last, it was a
    fifth of a second of one process alone at the end of an add at 20,000)."""
    waiting = Output("opendata/index.html", ("src:d0", "src:d1", "src:d2"), lambda: b"",
                     waits=True)
    outputs = [output("kk/index.html", 3), output("kk/a/index.html"), waiting,
               output("kk/compliance/index.html", 3)]
    queue = TaskQueue(outputs)
    written = [False]
    taken = queue.take(ready=lambda: written[0])
    try:
        assert next(taken).path == "kk/index.html"  # (the heaviest while it is not written)
        written[0] = True
        assert [o.path for o in taken] == ["opendata/index.html", "kk/compliance/index.html",
                                           "kk/a/index.html"]
    finally:
        queue.close()


def test_a_queue_merges_neighbours_beyond_so_many_tasks(monkeypatch):
    """More outputs than MOST_TASKS: neighbouring tasks are merged, and every output is
    still taken."""
    from generator import shares

    monkeypatch.setattr(shares, "MOST_TASKS", 7)
    outputs = [output(f"kk/{n}/index.html") for n in range(50)]
    queue = TaskQueue(outputs)
    try:
        assert len(queue.tasks) == 7
        assert sorted(o.path for o in queue.take()) == sorted(o.path for o in outputs)
    finally:
        queue.close()
