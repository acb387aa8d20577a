"""The manifest contract, ``opendata/documents.json`` (DESIGN.md, boundary 2): where it lives,
which fields each document carries, and the one parser every reader uses (the API, the office,
the rebuild worker). The generator writes it (``generator/manifest.py``) with these fields.

The service accepts a vote or proposal only for a document, part and date the manifest
allows; the discussion window is judged against today (``ASHYQ_NOW`` may pin it), not
against the status written at build time.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ashyq import clock
from ashyq.doctypes import discussion_status

#: Where the manifest is, relative to the site's root.
MANIFEST_PATH = "opendata/documents.json"

#: The fields of one document, in the order the generator writes them. Names are the contract.
DOCUMENT_FIELDS = ("uid", "type", "title", "administrator", "program", "budget_type", "period",
                   "head", "posted", "discussion_end", "status", "parts", "attachments", "url")


class ManifestUnavailable(Exception):
    "The manifest cannot be read (the site has not been built, or the file is damaged)"


@dataclass(frozen=True)
class ManifestDocument:
    """One passport or implementation report as the manifest describes it."""

    uid: str
    type: str
    administrator: str                      # the code
    posted: dt.date
    discussion_end: dt.date
    parts: Mapping[str, Mapping[str, str]]  # part id -> {kk, ru} title, in document order
    title: Mapping[str, str]
    url: Mapping[str, str]
    entry: Mapping = field(repr=False)      # the whole entry as written (the final report's input)

    def status(self, today: dt.date | None = None) -> str:
        return discussion_status(self.posted, self.discussion_end, today or clock.today())


def parse_document(entry: Mapping) -> ManifestDocument:
    """One entry of ``documents``; ``KeyError``/``ValueError``/``TypeError`` when it is not one."""
    return ManifestDocument(
        uid=entry["uid"], type=entry["type"], administrator=entry["administrator"]["code"],
        posted=dt.date.fromisoformat(entry["posted"]),
        discussion_end=dt.date.fromisoformat(entry["discussion_end"]),
        parts=MappingProxyType({p["id"]: MappingProxyType(dict(p["title"]))
                                for p in entry["parts"]}),
        title=MappingProxyType(dict(entry["title"])), url=MappingProxyType(dict(entry.get("url") or {})),
        entry=entry)


def parse_manifest(text: str | bytes) -> dict[str, ManifestDocument]:
    """Every document of a manifest's text, by uid. Raises :class:`ManifestUnavailable` when
    the text is not a whole manifest (a half-written file, say)."""
    try:
        data = json.loads(text)
        return {doc.uid: doc for doc in map(parse_document, data["documents"])}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestUnavailable(f"the manifest is not valid: {exc}") from exc


class Manifest:
    """The documents of the current build, re-read when the file changes (a new build swaps
    it in). Safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._documents: dict[str, ManifestDocument] = {}

    def _load(self) -> dict[str, ManifestDocument]:
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise ManifestUnavailable(f"{self.path}: {exc.strerror}") from exc
        stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        if stamp == self._stamp:
            return self._documents
        with self._lock:
            try:
                text = self.path.read_bytes()
            except OSError as exc:
                raise ManifestUnavailable(f"{self.path}: {exc.strerror}") from exc
            self._documents = parse_manifest(text)
            self._stamp = stamp
        return self._documents

    def get(self, uid: str) -> ManifestDocument | None:
        return self._load().get(uid)

    def documents(self) -> dict[str, ManifestDocument]:
        return dict(self._load())

    def entries(self) -> list[Mapping]:
        """The documents as written in the file (for the final reports)."""
        return [doc.entry for doc in self._load().values()]


def read_manifest(site: str | Path) -> dict[str, ManifestDocument]:
    """The documents of the site built at ``site`` (its root folder)."""
    return Manifest(Path(site) / MANIFEST_PATH).documents()
