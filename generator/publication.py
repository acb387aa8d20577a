"""The publication record, as the build sees it (R9, R10, R12: "the posting date is when the
portal first showed it, not a date typed in").

The build cannot know when a page is first served, and never opens the database (DESIGN.md,
boundary 1). So the record goes round the boundary:

1. every build writes ``.ashyq-served.json`` beside its build state: each document it serves, with the content hash
   of this version of it (both language files and the attachments) and its declared ``posted``;
2. the service (the rebuild worker, ``submit_api.publication``) records each (uid, version) the
   first time it sees it, in the hash-chained audit log, with the time it was swapped in;
3. the recorded first-serving times come back in the public snapshot (``publication``); the
   next build reads them here: a document's posting date is the later of its declared
   ``posted`` and its first serving, the discussion end is counted from that, and the
   compliance check judges R9, R10 and R12 from it (a declared date earlier than the first
   serving is "back-dated").

Entries recorded when the record began (``baseline``: served before the portal kept a record)
are shown but not used to move dates.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write

SERVED_PATH = ".ashyq-served.json"  # beside .ashyq-build.json, public facts only


@dataclass(frozen=True)
class Served:
    """What the record says about one document (from the public snapshot)."""

    uid: str
    first: dt.datetime            # first serving of any version
    baseline: bool                # served before the record began: not judged
    versions: dict[str, str]      # version hash -> first serving (ISO)
    type: str | None = None
    administrator: str | None = None
    posted: str | None = None     # the declared date of the first version served


def version_of(doc) -> str:
    """The content hash of this version of a document: both language files and attachments."""
    digest = hashlib.sha256()
    for lang in LANGUAGES:  # (names, not paths: 60,000 paths were made for it at 20,000)
        with open(doc.source_names[lang], "rb") as f:
            digest.update(lang.encode() + b"\0" + f.read() + b"\0")
    for attachment in doc.attachments:
        with open(os.path.join(doc.attachments_dir, attachment.name), "rb") as f:
            digest.update(attachment.name.encode() + b"\0" + f.read())
    return digest.hexdigest()


def record_from_snapshot(snapshot: dict | None) -> dict[str, Served]:
    """The publication record in a public snapshot (``submit_api.public``), by uid."""
    record = {}
    for uid, entry in ((snapshot or {}).get("publication") or {}).items():
        record[uid] = Served(uid, dt.datetime.fromisoformat(entry["first_served"]),
                             bool(entry.get("baseline")), dict(entry.get("versions") or {}),
                             entry.get("type"), entry.get("administrator"), entry.get("posted"))
    return record


def first_served_dates(record: dict[str, Served]) -> dict[str, dt.date]:
    """The first-serving day of each document that the record judges (baseline ones left out)."""
    return {uid: s.first.date() for uid, s in record.items() if not s.baseline}


def served_list(index, generated: dt.datetime, used: dict[str, dt.date]) -> dict:
    """``.ashyq-served.json``: what this build serves, for the service to record; and the
    first-serving dates this build used (so an incremental re-render uses the same)."""
    documents = []
    for doc in sorted(index.documents.values(), key=lambda d: d.uid):
        if doc.generated:
            continue
        documents.append({"uid": doc.uid, "type": doc.type, "administrator": doc.administrator,
                          "version": doc.version or version_of(doc),  # cached when read
                          "posted": (doc.declared_posted or doc.date).isoformat()})
    return {"generated": generated.isoformat(timespec="seconds"),
            "first_served_used": {uid: day.isoformat() for uid, day in sorted(used.items())},
            "documents": documents}


def write_served(build_dir: Path, index, generated: dt.datetime, used: dict[str, dt.date]) -> None:
    atomic_write(Path(build_dir) / SERVED_PATH, json.dumps(
        served_list(index, generated, used), ensure_ascii=False) + "\n")  # C encoder


def used_dates(build_dir: Path) -> dict[str, dt.date]:
    """The first-serving dates a build used (read back by the incremental re-render)."""
    path = Path(build_dir) / SERVED_PATH
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {uid: dt.date.fromisoformat(day) for uid, day in data.get("first_served_used", {}).items()}
