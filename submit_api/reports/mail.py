"""Delivery of final reports to the administrators by e-mail (R17: "sent to the administrator").

Each report is e-mailed once to its administrator's address, with the PDF and XLSX in Kazakh
and Russian attached and a subject and body in both languages. SMTP settings come from
``MAIL_HOST``, ``MAIL_PORT``, ``MAIL_USER``, ``MAIL_PASSWORD``, ``MAIL_FROM``, ``MAIL_STARTTLS``,
``MAIL_SSL`` (and ``MAIL_TIMEOUT``); with no ``MAIL_HOST`` each message is written as an
``.eml`` file into ``MAIL_OUTBOX`` (default ``var/outbox/``) instead.

The ``deliveries`` row of a report is a small state machine::

    pending ──claim──▶ sending ──ok──▶ sent            (never picked again)
    failed  ──claim──▶ sending ──error──▶ failed        (next_attempt_at = now + backoff)

A row is claimed atomically (``BEGIN IMMEDIATE``: status ``pending`` or ``failed`` with
``next_attempt_at <= now`` becomes ``sending``, ``attempts + 1``), so two workers never send the
same row. A failure waits 1 min, 2, 4 ... capped at 1 h before the next attempt.

A row left in ``sending`` (the process died between claiming and recording the result) is *not*
resent automatically: the SMTP server may well have accepted the message before the crash, and
resending could deliver the report twice. :func:`stuck_deliveries` lists such rows for a person,
who checks the mail server's log for the row's Message-ID and then either marks it sent or
:func:`requeue` s it.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from ashyq import annex as annex_labels
from ashyq.administrators import emails, read_administrators_file
from ashyq.clock import ALMATY
from ashyq.doctypes import LANGUAGES
from submit_api.db import transaction
from submit_api.reports.render import header_value
from submit_api.reports.sign import MANIFEST, SIGNATURE, attached_name
from submit_api.reports.store import verify_report, version_folder
from submit_api.store import reports as rows

log = logging.getLogger(__name__)

DEFAULT_OUTBOX = "var/outbox"
DEFAULT_FROM = "ashyq@localhost"
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
#: Attached per language: the PDF (signed inside), the XLSX, and the portal's signed manifest of
#: every file's SHA-256 with its CMS signature, so the XLSX can be checked too (issue 15).
ATTACHED = (("report.pdf", "application", "pdf"),
            ("report.xlsx", "application",
             "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (MANIFEST, "application", "json"),
            (SIGNATURE, "application", "pkcs7-signature"))


class DeliveryError(Exception):
    "A report could not be handed to the mail server"


def load_administrator_emails(path: Path) -> dict[str, str]:
    """``{code: email}`` from ``content/administrators.toml``; an administrator without an
    address is left out."""
    return emails(read_administrators_file(path))


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: 60, 120, 240 ... at most 3600."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def build_message(message_id: str, data: dict, reports_dir: Path, sender: str,
                  recipient: str) -> EmailMessage:
    """The e-mail of one report: kk and ru subject and body; PDF, XLSX and the signed manifest
    in both languages."""
    uid, version = data["uid"], data["version"]
    msg = EmailMessage()
    msg["Subject"] = " / ".join(annex_labels.label("mail", "subject", lang).format(uid=uid)
                                for lang in LANGUAGES)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = ", ".join(LANGUAGES)
    header = data["header"]
    bodies = []
    for lang in LANGUAGES:
        bodies.append(annex_labels.label("mail", "body", lang).format(
            uid=uid, version=version, title=data["title"][lang],
            discussion_end=header_value("discussion_end", header, lang),
            proposals_total=header["proposals_total"], document_for=header["document_for"],
            document_against=header["document_against"]))
    msg.set_content("\n\n— — —\n\n".join(bodies) + "\n")
    folder = version_folder(reports_dir, uid, version)
    for lang in LANGUAGES:
        for name, maintype, subtype in ATTACHED:
            msg.add_attachment((folder / lang / name).read_bytes(), maintype=maintype,
                               subtype=subtype,
                               filename=attached_name(uid, version, lang, name))
    return msg


def _send_smtp(msg: EmailMessage, config: Mapping) -> None:
    host = config["MAIL_HOST"]
    use_ssl = _flag(config.get("MAIL_SSL", False))
    port = int(config.get("MAIL_PORT") or (465 if use_ssl else 25))
    timeout = float(config.get("MAIL_TIMEOUT", 30))
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    kwargs = {"context": context} if use_ssl else {}
    with smtp_class(host, port, timeout=timeout, **kwargs) as smtp:
        if _flag(config.get("MAIL_STARTTLS", False)) and not use_ssl:
            smtp.starttls(context=context)
        if config.get("MAIL_USER"):
            smtp.login(config["MAIL_USER"], config.get("MAIL_PASSWORD") or "")
        refused = smtp.send_message(msg)
        if refused:
            raise DeliveryError(f"recipients refused: {refused}")


def _write_eml(msg: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]", "", msg["Message-ID"].split("@")[0]) + ".eml"
    path = outbox / name
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    return path


def send_message(msg: EmailMessage, mail_config: Mapping) -> None:
    """The one mail path: SMTP when ``MAIL_HOST`` is set, else an ``.eml`` in ``MAIL_OUTBOX``
    (the reports here, e-mail follow in submit_api/follow)."""
    if mail_config.get("MAIL_HOST"):
        _send_smtp(msg, mail_config)
    else:
        _write_eml(msg, Path(mail_config.get("MAIL_OUTBOX") or DEFAULT_OUTBOX))


def _claim(conn: sqlite3.Connection, now: float, skip: set[int]) -> tuple | None:
    """Atomically move one due row to ``sending`` (attempts + 1); None when none is due."""
    with transaction(conn):
        return rows.claim(conn, now, skip)


def deliver_pending(conn: sqlite3.Connection, reports_dir: Path, mail_config: Mapping,
                    administrators: Mapping[str, str], now: float | None = None) -> dict[str, int]:
    """Send every due delivery once; returns ``{"sent": n, "failed": n}``.

    The recipient is the administrator's current address in ``administrators`` (falling back to
    the one recorded when the report was generated). Before sending, the frozen files are checked
    against their hashes: a report whose files changed is not sent (failed, for a person to see).
    ``now`` (a Unix time) is for tests.
    """
    if conn.in_transaction:
        raise DeliveryError("deliver reports outside of an open transaction")
    counts = {"sent": 0, "failed": 0}
    tried: set[int] = set()
    while True:
        moment = time.time() if now is None else now
        row = _claim(conn, moment, tried)
        if row is None:
            return counts
        delivery_id, _report, recorded, attempts, mid, uid, data_text = tuple(row)
        tried.add(delivery_id)
        data = json.loads(data_text)
        code = data["header"]["administrator"]["code"]
        recipient = administrators.get(code) or recorded
        try:
            if not recipient:
                raise DeliveryError(f"no e-mail address for administrator {code}")
            broken = verify_report(conn, reports_dir, uid, data["version"])
            if broken:
                raise DeliveryError("report files do not match their hashes: "
                                    + ", ".join(f"{m.path} {m.problem}" for m in broken))
            msg = build_message(mid, data, reports_dir,
                                mail_config.get("MAIL_FROM") or DEFAULT_FROM, recipient)
            send_message(msg, mail_config)
        except (OSError, smtplib.SMTPException, DeliveryError, ValueError) as exc:
            wait = backoff(attempts + 1)
            rows.mark_failed(conn, delivery_id, f"{type(exc).__name__}: {exc}"[:1000],
                             moment + wait, recipient or "")
            log.warning("R17: report %s not delivered (attempt %d, next in %d s): %s",
                        uid, attempts + 1, wait, exc)
            counts["failed"] += 1
            continue
        rows.mark_sent(conn, delivery_id,
                       dt.datetime.fromtimestamp(moment, ALMATY).isoformat(timespec="seconds"),
                       recipient)
        log.info("R17: report %s delivered to %s", uid, recipient)
        counts["sent"] += 1


def stuck_deliveries(conn: sqlite3.Connection) -> list[dict]:
    """Rows left in ``sending`` by a crash: maybe sent, maybe not. For a person to check (see the
    module docstring); never resent automatically."""
    return rows.stuck(conn)


def requeue(conn: sqlite3.Connection, delivery_id: int) -> bool:
    """A person's decision after checking a stuck row: send it again (back to ``pending``)."""
    return rows.requeue(conn, delivery_id)
