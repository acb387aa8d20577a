"""One writer per process for votes (R11): group commit.

Request threads hand a :class:`Vote` to :func:`submit` and wait; one writer thread takes every
vote queued so far, commits them in one transaction and only then answers each request. So a
vote is acknowledged only once it is on disk (``synchronous=FULL`` by default: kill -9 and power
loss keep it), sixteen threads no longer race for SQLite's write lock, and one fsync serves a
whole batch.

Inside the batch's transaction, for each vote:

1. the session is looked up (signed in, not expired: R13),
2. the person's vote count in the current window is raised and checked against
   ``RATELIMIT_VOTES`` (the per-person limit, counted where the vote is written; no limiter
   storage on the hot path),
3. the vote is inserted or changed (one per person per target, R11).

Several processes (gunicorn workers) share the database: their writers take turns through an
``flock`` on ``<database>.vote-lock`` held around each short transaction, so a waiting process
sleeps in the kernel until the lock is free instead of in SQLite's busy handler, which retries
after 1, 2, 5 ... 100 ms (the p99 tail).
"""
from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from submit_api.db import connect, transaction
from submit_api.store import people, votes

log = logging.getLogger(__name__)

MAX_BATCH = 64        # votes per transaction: short, so the other process waits little
WAIT_SECONDS = 30     # a request waits this long for its batch's commit


@dataclass(frozen=True)
class Vote:
    session_id: str
    target_type: str      # document | proposal
    target_id: str
    value: str            # for | against
    stamp: str            # ISO time of the vote (Asia/Almaty, or ASHYQ_NOW)
    limits: tuple[tuple[int, int], ...]  # RATELIMIT_VOTES: (at most n votes, per s seconds)


@dataclass(frozen=True)
class Outcome:
    """``ok``; or ``signed_out`` (no such live session); or ``limited`` (retry after N s)."""

    status: str
    retry_after: int = 0


class WriterUnavailable(Exception):
    "The vote could not be committed (the database refused the transaction or timed out)"


class VoteWriter:
    """The writer thread of one process for one database file."""

    def __init__(self, database: str, synchronous: str = "FULL", max_batch: int = MAX_BATCH):
        self.database, self.synchronous, self.max_batch = database, synchronous, max_batch
        self.queue: queue.SimpleQueue[tuple[Vote, Future]] = queue.SimpleQueue()
        self.batches = 0
        self._forgotten_at = 0.0
        self._thread = threading.Thread(target=self._run, name="ashyq-vote-writer", daemon=True)
        self._thread.start()

    def submit(self, vote: Vote) -> Outcome:
        """Queue the vote and wait until its batch is committed (or refused)."""
        future: Future = Future()
        self.queue.put((vote, future))
        return future.result(timeout=WAIT_SECONDS)

    # -- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        conn = connect(self.database, self.synchronous)
        with open(f"{self.database}.vote-lock", "a") as lock:
            while True:
                batch = [self.queue.get()]
                while len(batch) < self.max_batch:
                    try:
                        batch.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                self._commit(conn, lock, batch)

    def _commit(self, conn, lock, batch: list[tuple[Vote, Future]]) -> None:
        outcomes: list[Outcome] = []
        fcntl.flock(lock, fcntl.LOCK_EX)  # this process's turn (the GIL is released meanwhile)
        try:
            try:
                with transaction(conn):  # the batch: one BEGIN IMMEDIATE ... COMMIT
                    now = time.time()
                    for vote, _future in batch:
                        outcomes.append(self._one(conn, vote, now))
                    if now - self._forgotten_at > 60:
                        votes.forget_counts(conn, now)
                        self._forgotten_at = now
            except BaseException as exc:
                log.exception("vote batch of %d not committed", len(batch))
                for _vote, future in batch:
                    future.set_exception(WriterUnavailable(str(exc)))
                return
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        self.batches += 1
        for (_vote, future), outcome in zip(batch, outcomes):
            future.set_result(outcome)  # acknowledged only now: the batch is on disk

    @staticmethod
    def _one(conn, vote: Vote, now: float) -> Outcome:
        found = people.session_party(conn, vote.session_id, now)
        if found is None:
            return Outcome("signed_out")  # R13
        person = found[1]  # who takes part: the person, or their organisation (¶2(1), R11)
        wait = 0
        for limit, seconds in vote.limits:  # fixed windows, counted in this transaction
            start = int(now) - int(now) % seconds
            if votes.count_vote(conn, person, seconds, start) > limit:
                wait = max(wait, start + seconds - int(now))
        if wait:
            return Outcome("limited", retry_after=max(1, wait))
        # R11: one vote per person per target
        votes.cast(conn, vote.target_type, vote.target_id, person, vote.value, vote.stamp)
        return Outcome("ok")


_writers: dict[tuple[str, str], VoteWriter] = {}
_writers_pid = os.getpid()
_writers_lock = threading.Lock()


def writer_for(database: str, synchronous: str = "FULL") -> VoteWriter:
    """This process's writer for the database (a forked child starts its own)."""
    global _writers_pid
    key = (str(database), synchronous)
    with _writers_lock:
        if _writers_pid != os.getpid():  # forked: the parent's threads do not exist here
            _writers.clear()
            _writers_pid = os.getpid()
        writer = _writers.get(key)
        if writer is None:
            writer = _writers[key] = VoteWriter(*key)
        return writer


def submit(database: str, synchronous: str, vote: Vote) -> Outcome:
    return writer_for(database, synchronous).submit(vote)
