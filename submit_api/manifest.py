"""The API trusts the build's manifest (DESIGN.md, boundary 2): a vote or proposal is taken
only for a document, part and date that ``opendata/documents.json`` allows.

The file is re-read when it changes (a new build swaps it in); the discussion window is
judged against today (``ASHYQ_NOW`` may pin it), not against the status written at build time.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ashyq import clock
from ashyq.doctypes import discussion_status


class ManifestUnavailable(Exception):
    "The manifest cannot be read: the site has not been built"


@dataclass(frozen=True)
class ManifestDocument:
    """What the API needs of one passport or report."""

    uid: str
    type: str
    administrator: str
    posted: dt.date
    discussion_end: dt.date
    parts: tuple[str, ...]
    title: dict
    part_titles: dict = field(default_factory=dict)  # part id -> {lang: title}

    def status(self, today: dt.date | None = None) -> str:
        return discussion_status(self.posted, self.discussion_end, today or clock.today())


class Manifest:
    """The documents of the current build, reloaded when the file changes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._documents: dict[str, ManifestDocument] = {}

    def _load(self) -> dict[str, ManifestDocument]:
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise ManifestUnavailable(f"{self.path}: {exc.strerror}") from exc
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if stamp == self._stamp:
            return self._documents
        with self._lock:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._documents = {
                d["uid"]: ManifestDocument(
                    d["uid"], d["type"], d["administrator"]["code"],
                    dt.date.fromisoformat(d["posted"]), dt.date.fromisoformat(d["discussion_end"]),
                    tuple(p["id"] for p in d["parts"]), d["title"],
                    {p["id"]: p.get("title", {}) for p in d["parts"]})
                for d in data["documents"]
            }
            self._stamp = stamp
        return self._documents

    def get(self, uid: str) -> ManifestDocument | None:
        return self._load().get(uid)

    def documents(self) -> dict[str, ManifestDocument]:
        return dict(self._load())
