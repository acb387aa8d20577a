"""What a person does with final reports (R17), behind ``ashyq reports``: list them with their
delivery, regenerate one (a new version with a reason), resend one, verify a downloaded file.

Plain functions over the settings (:func:`ashyq.settings.load`); the commands in
``portal/cli.py`` only parse options and print.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from ashyq import clock
from ashyq.administrators import FILE_NAME as ADMINISTRATORS_FILE
from ashyq.manifest import read_manifest
from submit_api import portal_key
from submit_api.db import connect
from submit_api.reports import sign
from submit_api.reports.mail import load_administrator_emails, requeue, stuck_deliveries
from submit_api.reports.store import NoReport, ReportError, current_report, regenerate
from submit_api.store import reports as rows


def _emails(settings: Mapping) -> dict[str, str]:
    path = Path(settings["CONTENT"]) / ADMINISTRATORS_FILE
    return load_administrator_emails(path) if path.exists() else {}


def list_reports(settings: Mapping, limit: int = 500) -> list[dict]:
    """Every report version, newest first, with its delivery's state; ``stuck`` marks a
    delivery left in ``sending`` by a crash (check the mail log, then resend)."""
    conn = connect(settings["DATABASE"])
    try:
        stuck = {(s["document"], s["version"]) for s in stuck_deliveries(conn)}
        return [dict(r, stuck=(r["document"], r["version"]) in stuck)
                for r in rows.with_deliveries(conn, limit)]
    finally:
        conn.close()


def regenerate_report(settings: Mapping, uid: str, reason: str, deliver: bool = True,
                      today: dt.date | None = None) -> int:
    """Version N+1 of ``uid``'s report from the database as it is now, signed, with ``reason``
    on the report page; the earlier versions stay. Returns the new version number."""
    if not reason.strip():
        raise ReportError("say why the report is made again (--reason)")
    documents = [d.entry for d in read_manifest(settings["OUTPUT"]).values()]
    conn = connect(settings["DATABASE"])
    try:
        regenerate(conn, uid, documents, today or clock.today(), Path(settings["REPORTS_DIR"]),
                   _emails(settings), deliver=deliver, reason=reason.strip(),
                   key=portal_key.from_settings(settings))
        return current_report(conn, uid).version
    finally:
        conn.close()


def resend_report(settings: Mapping, uid: str) -> int:
    """Send the current version of ``uid``'s report again: its failed or stuck delivery goes
    back to the queue (the worker sends it). Returns the delivery's id."""
    conn = connect(settings["DATABASE"])
    try:
        report = current_report(conn, uid)
        if report is None:
            raise NoReport(f"{uid} has no final report")
        found = rows.delivery_of(conn, report.id)
        if found is None:
            raise ReportError(f"{uid} v{report.version} was not queued for delivery")
        delivery_id, status = found
        if status == "sent":
            raise ReportError(f"{uid} v{report.version} was already delivered; to send a "
                              "corrected report, regenerate it")
        if status == "pending":
            return delivery_id
        requeue(conn, delivery_id)
        return delivery_id
    finally:
        conn.close()


def verify_download(path: Path, certificate: Path | None, settings: Mapping) -> list[sign.Verdict]:
    """Check a downloaded report file against ``certificate`` (a PEM, e.g. the site's
    ``/opendata/portal-certificate.pem``), or this portal's own certificate."""
    trusted = (sign.load_certificates(certificate) if certificate
               else [portal_key.from_settings(settings).root])
    return sign.verify_file(path, trusted)
