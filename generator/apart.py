"""Run a function in a forked process that exits after it, and get back what it returned.

A cold build at national scale holds the whole content index while it renders; Python frees
the index's objects but seldom its memory (half-empty arenas stay the process's), so the
build that waited for Pagefind still held 650 MB of it beside Pagefind (issue 10). Made in a
child that exits, the build directory costs its memory only while it is made.

The child's result, or the exception it raised, comes back pickled through a pipe; a child
that dies without one (killed, out of memory) raises :class:`ApartFailed`.
"""
from __future__ import annotations

import ctypes
import logging
import os
import pickle
import select
import signal
import sys
import threading
import traceback
from typing import Any, Callable

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h: a signal for the child when its parent dies


class ApartFailed(Exception):
    "The process doing the work ended without a result"


def run_apart(func: Callable[..., Any], *args, **kwargs) -> Any:
    """``func(*args, **kwargs)`` in a forked child: its result, or its exception raised here
    (with the child's traceback as a note). Call only where no other thread runs."""
    return start_apart(func, *args, **kwargs).result()


class Apart:
    """A call running in a forked child (:func:`start_apart`): this process goes on beside
    it and takes its answer with :meth:`result`; any process forked from this one after it
    may wait for its end (:meth:`wait_ended`)."""

    def __init__(self, pid: int, readable: int | None, ending: int | None = None):
        self.pid, self.readable = pid, readable
        self.ending = ending  # a pipe's end only the child writes to: at its end, read to EOF

    def wait_ended(self) -> None:
        """Wait until the child has ended, in this process or one forked from it meanwhile
        (which cannot wait for a sibling): its answer stays for :meth:`result`."""
        if self.ending is not None:
            while os.read(self.ending, 4096):
                pass

    def result(self) -> Any:
        """Wait for the child: its result, or its exception raised here (once: the pipe is
        closed after). Raises :class:`ApartFailed` when it ended without an answer."""
        readable, self.readable = self.readable, None  # taken (cancel() does nothing)
        self._close_ending()
        try:
            with os.fdopen(readable, "rb") as pipe:
                data = pipe.read()
        except BaseException:  # interrupted: the child is not left waiting to hand it over
            _kill(self.pid)
            raise
        if data:  # answered: reaped later (its memory goes meanwhile: 0.6 s at 20,000)
            _answered.add(self.pid)
            reap_answered(wait=False)  # (those answered before, ended by now)
        else:
            _, status = os.waitpid(self.pid, 0)
            raise ApartFailed(f"the build process {self.pid} ended without a result "
                              f"(exit status {os.waitstatus_to_exitcode(status)})")
        try:
            raised, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be made again
            raise ApartFailed(f"the answer of the build process {self.pid} cannot be read: "
                              f"{exc}") from exc
        if raised:
            raise value
        return value

    def done(self) -> bool:
        """Whether the child has handed its answer, or ended (:meth:`result` waits no more)."""
        if self.readable is None:
            return True
        poll = select.poll()  # (select.select fails on descriptors past 1023)
        poll.register(self.readable, select.POLLIN)
        return bool(poll.poll(0))

    def cancel(self) -> None:
        """Kill the child (its answer is not wanted: it would wait to hand it) and reap it;
        nothing once its answer was taken."""
        if self.readable is None:
            return
        self._close_ending()
        os.close(self.readable)
        _kill(self.pid)

    def _close_ending(self) -> None:
        if self.ending is not None:
            os.close(self.ending)
            self.ending = None


#: children that answered and are ending (:meth:`Apart.result`), not yet reaped
_answered: set[int] = set()


def reap_answered(wait: bool = True) -> None:
    """Reap the children that answered (``wait=False``: those ended by now)."""
    for pid in list(_answered):
        try:
            done, _ = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere
            done = pid
        if done:
            _answered.discard(pid)


def _kill(pid: int) -> None:
    """Kill the child ``pid`` and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def forking_is_safe() -> bool:
    """Whether this process may fork: the system can, and no other thread runs (a server's
    threads may hold locks a forked child would wait for forever)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def start_apart(func: Callable[..., Any], *args, **kwargs) -> Apart:
    """Start ``func(*args, **kwargs)`` in a forked child and return at once. Call only where
    no other thread runs, and take the :meth:`Apart.result` (the child waits to hand it)."""
    reap_answered(wait=False)
    parent = os.getpid()
    readable, writable = os.pipe()
    ending, ended = os.pipe()  # the child holds ``ended`` open until it exits
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller
        os.close(readable)
        os.close(ending)
        _child(parent, writable, func, args, kwargs)
    os.close(writable)
    os.close(ended)
    return Apart(pid, readable, ending)


def _child(parent: int, writable: int, func, args, kwargs) -> None:
    code = 0
    try:
        _die_with(parent)
        answer = (False, func(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent
        exc.add_note(f"(in the build process {os.getpid()})\n" + traceback.format_exc())
        answer = (True, exc)
        code = 1
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        data = pickle.dumps((True, ApartFailed(f"{answer[1]!r} cannot be handed over: {exc}")))
    try:
        for stream in (sys.stdout, sys.stderr):  # before the answer: the parent goes on at once
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - closed, or gone (None): the answer still goes
                pass
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(code)


def _die_with(parent: int) -> None:
    """Be killed when the parent dies (Linux); already orphaned, exit."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def module_process(module: str, *args: str) -> tuple[list[str], str, dict[str, str]]:
    """The command, folder and environment that run ``python -m module args`` from this
    checkout in a process of its own - started, not forked: it shares no memory with this
    one (the background indexer)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    return [sys.executable, "-m", module, *args], root, env
