"""The manifest ``opendata/documents.json``: every passport and report, the API's contract.

The submission service accepts a vote or proposal only for a document, part and date that
this file allows (DESIGN.md, boundary 2). Field names are the contract.
"""
from __future__ import annotations

import datetime as dt
import json

from ashyq.clock import ALMATY
from ashyq.doctypes import LANGUAGES
from ashyq.manifest import DOCUMENT_FIELDS, MANIFEST_PATH
from generator.content import Document, SiteIndex
from generator.rows import Rows, row_key

__all__ = ["MANIFEST_PATH", "manifest", "manifest_entry", "manifest_json"]


def manifest(index: SiteIndex, generated: dt.datetime) -> dict:
    """The manifest as a dict: documents newest first, then by uid."""
    return {"generated": generated.isoformat(timespec="seconds"),
            "documents": [manifest_entry(doc, index) for doc in index.discussions]}


def manifest_entry(doc: Document, index: SiteIndex) -> dict:
    """One document's entry (what ``generator.rows.row_key`` says a list shows of it)."""
    admin = index.administrators[doc.administrator]
    meta = doc.meta[LANGUAGES[0]]
    entry = {
        "uid": doc.uid,
        "type": doc.type,
        "title": {lang: doc.title(lang) for lang in LANGUAGES},
        "administrator": {"code": admin.code, "name": dict(admin.name)},
        "program": meta["program"],
        "budget_type": meta["budget_type"],
        "period": meta["period"],
        "head": {lang: doc.meta[lang]["head"] for lang in LANGUAGES},
        "posted": doc.posted.isoformat(),
        "discussion_end": doc.discussion_end.isoformat(),
        "status": doc.status,
        "parts": [{"id": p.id, "title": dict(p.title)} for p in doc.parts],
        "attachments": [{"name": a.name, "caption": dict(a.caption),
                         "url": f"/files/{doc.uid}/{a.name}"} for a in doc.attachments],
        "url": doc.urls,
    }
    assert tuple(entry) == DOCUMENT_FIELDS  # the contract (ashyq.manifest)
    return entry


def manifest_json(index: SiteIndex, generated: dt.datetime | None = None,
                  rows: Rows | None = None) -> bytes:
    """The manifest's bytes (UTF-8); ``generated`` is the start of the build's day (statuses
    are computed for it) unless given, so the same content on the same day gives the same
    bytes. ``rows``: each entry kept from the previous build when unchanged (binary rows)."""
    generated = generated or dt.datetime.combine(index.today, dt.time(), ALMATY)
    if rows is None:  # (the C encoder)
        return (json.dumps(manifest(index, generated), ensure_ascii=False) + "\n").encode()
    # the same bytes, each entry kept from the previous build when unchanged (issue 10)
    head = json.dumps({"generated": generated.isoformat(timespec="seconds")}, ensure_ascii=False)
    entries = rows.each(index.discussions, lambda doc: row_key(doc, index), lambda doc: b", "
                        + json.dumps(manifest_entry(doc, index), ensure_ascii=False).encode())
    # (one copy of the 46 MB at 20,000, not four: joined, the first ", " skipped in place)
    return b"".join([head[:-1].encode(), b', "documents": [', memoryview(entries)[2:], b"]}\n"])
