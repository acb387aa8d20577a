"""Final reports frozen in the database and on disk, with versions (R17).

When a discussion has ended (``discussion_end < today``) its report is generated once: the data
(:func:`submit_api.reports.data.report_data`) is stored as canonical JSON with its SHA-256 in
``reports``, the files are written to ``<reports_dir>/<uid>/v<version>/<lang>/report.*`` with a
SHA-256 each, and in the same transaction a ``site_changes`` row tells the rebuild worker and a
``deliveries`` row queues the e-mail to the administrator (:mod:`submit_api.reports.mail`).

A stored report never changes: later votes or answers do not touch it. A person may
:func:`regenerate` it, which makes version N+1, marks the old one superseded and keeps its files.
:func:`verify_report` recomputes the hashes.

Files are rendered into a temporary folder outside any write transaction (a big report takes
seconds and must not hold the database's write lock); the row is then inserted and the folder
renamed into place under ``BEGIN IMMEDIATE``. Two workers racing on one document both render,
and the second finds the row and throws its folder away.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ashyq import clock
from ashyq.annex import ANNEX_TYPES
from ashyq.doctypes import LANGUAGES
from ashyq.workdays import WorkingCalendar, load_calendar
from submit_api import portal_key
from submit_api.db import transaction
from submit_api.reports import sign
from submit_api.reports.data import canonical_json, report_data
from submit_api.reports.render import render_report
from submit_api.store import changes
from submit_api.store import proposals as proposal_rows
from submit_api.store import reports as rows

log = logging.getLogger(__name__)

MESSAGE_DOMAIN = "ashyq.portal"
VERSIONS_FILE = "versions.json"


class ReportError(Exception):
    "A final report cannot be made or found"


class NoReport(ReportError):
    "The document has no final report yet"


@dataclass(frozen=True)
class StoredReport:
    """One row of ``reports``, its JSON decoded."""

    id: int
    document: str
    version: int
    generated_at: str
    data: dict
    files: dict[str, str]
    sha256: str
    superseded_at: str | None

    def folder(self, reports_dir: Path) -> Path:
        return version_folder(reports_dir, self.document, self.version)


@dataclass(frozen=True)
class Mismatch:
    """A difference between a frozen report and what is on disk or in the row."""

    path: str          # file path relative to the version folder, or "data"
    problem: str       # missing | changed | unexpected | data changed
    expected: str | None = None
    actual: str | None = None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def message_id(uid: str, version: int) -> str:
    """The e-mail Message-ID of a report's delivery: the same for every attempt."""
    return f"<report-{uid}-v{version}@{MESSAGE_DOMAIN}>"


def version_folder(reports_dir: Path, uid: str, version: int) -> Path:
    return Path(reports_dir) / uid / f"v{version}"


def is_due(document: Mapping, today: dt.date) -> bool:
    """R17: a passport or implementation report whose discussion ended before today."""
    return (document.get("type") in ANNEX_TYPES
            and dt.date.fromisoformat(str(document["discussion_end"])) < today)


def _stored(row: tuple) -> StoredReport:
    rid, document, version, generated_at, data, files, sha, superseded = row
    return StoredReport(rid, document, version, generated_at, json.loads(data), json.loads(files),
                        sha, superseded)


def current_report(conn: sqlite3.Connection, uid: str) -> StoredReport | None:
    """The newest version not superseded, or None when the document has no report."""
    row = rows.current(conn, uid)
    return _stored(row) if row else None


def report_versions(conn: sqlite3.Connection, uid: str) -> list[StoredReport]:
    return [_stored(r) for r in rows.versions(conn, uid)]


def report_files(conn: sqlite3.Connection, reports_dir: Path,
                 uid: str) -> dict[str, dict[str, Path]]:
    """The current version's files: ``{lang: {"report.pdf": path, ...}}``."""
    report = current_report(conn, uid)
    if report is None:
        raise NoReport(f"{uid} has no final report yet")
    folder = report.folder(reports_dir)
    files: dict[str, dict[str, Path]] = {lang: {} for lang in LANGUAGES}
    for relpath in sorted(report.files):
        lang, name = relpath.split("/", 1)
        files.setdefault(lang, {})[name] = folder / relpath
    return files


def _find(documents: Iterable[Mapping], uid: str) -> Mapping:
    for document in documents:
        if document.get("uid") == uid:
            return document
    raise ReportError(f"{uid} is not in the manifest")


def signing_key(reports_dir: Path, key: portal_key.PortalKey | None = None) -> portal_key.PortalKey:
    """``key``, or the portal's key from the settings (the demo's own beside ``reports_dir``
    when none is configured)."""
    if key is not None:
        return key
    from ashyq.settings import load as load_settings
    return portal_key.from_settings(load_settings({"REPORTS_DIR": str(reports_dir)}))


def _create(conn: sqlite3.Connection, document: Mapping, today: dt.date, reports_dir: Path,
            version: int, administrators: Mapping[str, str] | None, deliver: bool,
            reason: str | None = None, key: portal_key.PortalKey | None = None) -> int | None:
    """Render version ``version``, sign it and record it; None when another worker recorded it
    first."""
    uid = document["uid"]
    if conn.in_transaction:
        raise ReportError("generate reports outside of an open transaction")
    data = report_data(conn, document, today, version)
    data["reason"] = reason      # why this version was made (None: the discussion ended)
    data_text = canonical_json(data)
    key = signing_key(reports_dir, key)
    base = Path(reports_dir) / uid
    tmp = base / f".tmp-v{version}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        # R17, issue 15: the PDFs signed by the portal (PAdES), the other files by the signed
        # manifest of their SHA-256 beside them
        written = render_report(data, tmp, sign_pdf=sign.pdf_signer(
            key, reason=f"R17: {uid} v{version}"))
        for lang in LANGUAGES:
            for path in sign.write_manifest(tmp / lang, uid, version, lang, key):
                written[f"{lang}/{path.name}"] = path
        files = {rel: sign.sha256_file(path) for rel, path in sorted(written.items())}
        final = version_folder(reports_dir, uid, version)
        try:
            with transaction(conn):
                if rows.latest_version(conn, uid) != version - 1:
                    return None
                if final.exists():   # left by a crash before a commit: no row refers to it
                    shutil.rmtree(final)
                tmp.rename(final)
                stamp = clock.now().isoformat(timespec="seconds")
                if version > 1:
                    rows.supersede(conn, uid, stamp)
                report_id = rows.insert(conn, uid, version, stamp, data_text,
                                        json.dumps(files, sort_keys=True), sha256_text(data_text))
                changes.record(conn, uid, "report")
                if deliver:
                    code = str(document["administrator"]["code"])
                    rows.queue_delivery(conn, report_id, (administrators or {}).get(code, ""),
                                        message_id(uid, version))
        except BaseException:
            if final.exists() and not tmp.exists():
                final.rename(tmp)
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    write_versions(conn, reports_dir, uid)
    log.info("R17: report on %s generated, version %d", uid, version)
    return report_id


def write_versions(conn: sqlite3.Connection, reports_dir: Path, uid: str) -> Path:
    """``<reports_dir>/<uid>/versions.json``: every version with its dates and reason, for the
    site's report page (which reads public files only, never the database)."""
    versions = [{"version": r.version, "generated_at": r.generated_at,
                 "superseded_at": r.superseded_at, "reason": r.data.get("reason"),
                 "sha256": r.sha256} for r in report_versions(conn, uid)]
    path = Path(reports_dir) / uid / VERSIONS_FILE
    tmp = path.with_name(f".{VERSIONS_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"document": uid, "versions": versions}, ensure_ascii=False,
                              indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def clean_temporary(reports_dir: Path) -> list[Path]:
    """Remove the temporary folders of renders whose process died mid-way (killed, host
    restarted): ``<uid>/.tmp-v<N>-<pid>-<hex>``. A live process's folder is left alone."""
    removed = []
    for tmp in Path(reports_dir).glob("*/.tmp-v*"):
        pid = tmp.name.split("-")[2] if tmp.name.count("-") >= 3 else ""
        if pid.isdigit() and (int(pid) == os.getpid() or _process_alive(int(pid))):
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
        log.warning("R17: removed %s, left by an interrupted render", tmp)
    return removed


#: RULES.md interpretation (¶15-¶17): a proposal the operator published after the end gets
#: this many working days for the administrator's answer before the report is formed.
LATE_ANSWER_WORKING_DAYS = 2


def waiting_for(conn: sqlite3.Connection, document: Mapping, today: dt.date,
                calendar: WorkingCalendar) -> str | None:
    """Why the report on an ended discussion is not formed yet, or None (RULES.md, ¶15-¶17).

    ``"moderation"``: a proposal received before the end still waits for the operator (its 2
    working days may run past the end); ``"late_answer"``: one published after the end is
    unanswered and its administrator's 2 working days since publication have not passed."""
    end = dt.date.fromisoformat(str(document["discussion_end"]))
    pending, published = proposal_rows.waiting_on(conn, document["uid"])
    if pending:
        return "moderation"
    for moderated_at in published:
        day = dt.date.fromisoformat(moderated_at[:10]) if moderated_at else end
        if day > end and today <= calendar.working_days_after(day, LATE_ANSWER_WORKING_DAYS):
            return "late_answer"
    return None


def generate_due_reports(conn: sqlite3.Connection, manifest_documents: Iterable[Mapping],
                         today: dt.date, reports_dir: Path,
                         administrators: Mapping[str, str] | None = None,
                         calendar: WorkingCalendar | None = None,
                         key: portal_key.PortalKey | None = None) -> list[int]:
    """R17: generate the report of every discussion that ended before ``today`` and has none,
    once no proposal received in time waits for moderation or for a late answer
    (:func:`waiting_for`): no proposal is lost to the calendar.

    Idempotent: a document with a report (of any version) is skipped. ``administrators`` maps
    administrator codes to e-mail addresses for the delivery rows; without it the address is
    resolved when the report is sent. A document whose report fails is logged and skipped, so
    the others still get theirs; with no row recorded it is tried again on the next run, and
    the temporary folders of renders that were killed are removed first.
    """
    clean_temporary(reports_dir)
    done = rows.documents_with_reports(conn)
    created = []
    for document in manifest_documents:
        if document["uid"] in done or not is_due(document, today):
            continue
        if waiting_for(conn, document, today, calendar or load_calendar()):
            continue
        try:
            report_id = _create(conn, document, today, reports_dir, 1, administrators, True,
                                key=key)
        except (OSError, ValueError, KeyError, sqlite3.Error, ReportError,
                portal_key.PortalKeyError):
            log.exception("R17: the report on %s could not be generated", document["uid"])
            continue
        if report_id is not None:
            created.append(report_id)
    return created


def regenerate(conn: sqlite3.Connection, uid: str, manifest_documents: Iterable[Mapping],
               today: dt.date, reports_dir: Path, administrators: Mapping[str, str] | None = None,
               deliver: bool = True, reason: str | None = None,
               key: portal_key.PortalKey | None = None) -> int:
    """Make version N+1 of a report from the database as it is now; the old version is marked
    superseded and its files are kept. The new version is delivered again unless ``deliver`` is
    false. For a person's decision (a wrong manifest, a correction), never automatic; ``reason``
    says why, and the report page lists it beside the version."""
    document = _find(manifest_documents, uid)
    if document.get("type") not in ANNEX_TYPES:
        raise ReportError(f"{uid}: a {document.get('type')} has no final report (R17)")
    latest = rows.latest_version(conn, uid)
    if not latest:
        raise NoReport(f"{uid} has no report to regenerate; "
                       "it is generated when its discussion ends")
    report_id = _create(conn, document, today, reports_dir, latest + 1, administrators, deliver,
                        reason, key)
    if report_id is None:
        raise ReportError(f"{uid}: another version was recorded at the same time; try again")
    return report_id


def verify_report(conn: sqlite3.Connection, reports_dir: Path, uid: str,
                  version: int | None = None) -> list[Mismatch]:
    """Recompute the hashes of a stored report (the current one unless ``version``): the data
    against its SHA-256, each file against the recorded one. An empty list means intact."""
    if version is None:
        report = current_report(conn, uid)
    else:
        row = rows.version(conn, uid, version)
        report = _stored(row) if row else None
    if report is None:
        raise NoReport(f"{uid} has no final report" + (f" version {version}" if version else ""))
    problems = []
    stored_text = rows.data_text(conn, report.id)
    if sha256_text(stored_text) != report.sha256 or canonical_json(report.data) != stored_text:
        problems.append(Mismatch("data", "data changed", report.sha256, sha256_text(stored_text)))
    folder = report.folder(reports_dir)
    for relpath, expected in sorted(report.files.items()):
        path = folder / relpath
        if not path.is_file():
            problems.append(Mismatch(relpath, "missing", expected))
            continue
        actual = sign.sha256_file(path)
        if actual != expected:
            problems.append(Mismatch(relpath, "changed", expected, actual))
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relpath = path.relative_to(folder).as_posix()
            if relpath not in report.files:
                problems.append(Mismatch(relpath, "unexpected", None, sign.sha256_file(path)))
    return problems
