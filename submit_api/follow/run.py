"""One pass of e-mail follow, driven by the rebuild worker (:func:`run`):

1. notice events - a discussion opened or closed (from the build's manifest and today), a
   proposal published or answered (R15, R16), a final report generated (R17) - once each;
2. queue one mail per event and confirmed follow of its document or state body;
3. once a day, queue the staff digest: proposals new and overdue for the operators (R15), and
   published ones waiting for each state body's answer (R16);
4. send what is due through the reports' mail path (SMTP or ``var/outbox``), at most once.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from ashyq import clock
from ashyq.doctypes import LANGUAGES
from ashyq.i18n import compile_catalogs, translations
from submit_api.db import transaction
from submit_api.follow import mails
from submit_api.store import follows as store
from submit_api.reports.mail import DEFAULT_FROM, DeliveryError, backoff, send_message

log = logging.getLogger(__name__)


def _midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(0), clock.ALMATY).isoformat(timespec="seconds")


def discussion_events(documents: list[Mapping], today: dt.date) -> list[dict]:
    events = []
    for d in documents:
        posted, end = dt.date.fromisoformat(d["posted"]), dt.date.fromisoformat(d["discussion_end"])
        if posted <= today:
            events.append({"key": f"open:{d['uid']}", "kind": "open", "document": d["uid"],
                           "at": _midnight(posted)})
        if end < today:
            events.append({"key": f"close:{d['uid']}", "kind": "close", "document": d["uid"],
                           "at": _midnight(end + dt.timedelta(days=1))})
    return events


def collect(conn: sqlite3.Connection, documents: list[Mapping], today: dt.date) -> int:
    """Record the events of documents in the manifest; returns how many are new."""
    admin_of = {d["uid"]: d["administrator"]["code"] for d in documents}
    events = [dict(e, administrator=admin_of[e["document"]])
              for e in (discussion_events(documents, today) + store.proposal_events(conn)
                        + store.report_events(conn))
              if e["document"] in admin_of]
    return store.record_events(conn, events)


def queue_digests(conn: sqlite3.Connection, documents: list[Mapping], today: dt.date,
                  administrators: Mapping[str, str], operators: list[str]) -> int:
    """Once a day: the operators' digest (R15) and each state body's (R16), when not empty."""
    admin_of = {d["uid"]: d["administrator"]["code"] for d in documents}
    ends = {d["uid"]: d["discussion_end"] for d in documents}
    queued = 0
    new, overdue = [], []
    for pid, document, _created, due in store.pending_proposals(conn):
        (overdue if due < today.isoformat() else new).append(
            {"id": pid, "document": document, "due": due})
    if operators and (new or overdue):
        queued += store.queue_digest(conn, f"digest:operators:{today}", ", ".join(operators),
                                     {"new": new, "overdue": overdue})
    waiting: dict[str, dict] = {}
    for pid, document, _moderated in store.unanswered_proposals(conn):
        code = admin_of.get(document)
        if code is None or not administrators.get(code):
            continue
        late = ends.get(document, "9999") < today.isoformat()  # R16: within the discussion
        group = waiting.setdefault(code, {"new": [], "overdue": [], "unanswered": []})
        group["overdue" if late else "unanswered"].append(
            {"id": pid, "document": document, "due": ends.get(document)})
    for code, data in sorted(waiting.items()):
        queued += store.queue_digest(conn, f"digest:{code}:{today}", administrators[code], data)
    return queued


def deliver(conn: sqlite3.Connection, documents: list[Mapping], mail_config: Mapping,
            base_url: str, locale_dir: Path, admin_names: Mapping[str, Mapping[str, str]],
            now: float | None = None) -> dict[str, int]:
    """Send every due mail once; returns ``{"sent", "failed", "dropped"}``. Addresses are never
    logged (errors are recorded by type only)."""
    compile_catalogs(locale_dir)
    texts = {lang: translations(str(locale_dir), lang).gettext for lang in LANGUAGES}
    by_uid = {d["uid"]: d for d in documents}
    sender = mail_config.get("MAIL_FROM") or DEFAULT_FROM
    counts = {"sent": 0, "failed": 0, "dropped": 0}
    tried: set[int] = set()
    while True:
        moment = time.time() if now is None else now
        row = store.claim(conn, moment, tried)
        if row is None:
            return counts
        tried.add(row["id"])
        if row["kind"] != "digest" and (row["unsubscribed_at"] or
                                         (row["kind"] == "event" and not row["confirmed_at"])):
            store.finish(conn, row["id"], "dropped")
            counts["dropped"] += 1
            continue
        try:
            msg = _message(row, texts, by_uid, admin_names, sender, base_url)
            send_message(msg, mail_config)
        except (OSError, smtplib.SMTPException, DeliveryError, ValueError, KeyError) as exc:
            wait = backoff(row["attempts"] + 1)
            store.finish(conn, row["id"], "failed", error=type(exc).__name__,
                         next_attempt_at=moment + wait)
            log.warning("follow mail %d not sent (attempt %d, next in %d s): %s", row["id"],
                        row["attempts"] + 1, wait, type(exc).__name__)
            counts["failed"] += 1
            continue
        store.finish(conn, row["id"], "sent", sent_at=clock.now().isoformat(timespec="seconds"))
        counts["sent"] += 1


def _message(row: dict, texts: dict, by_uid: Mapping, admin_names: Mapping, sender: str,
             base_url: str):
    if row["kind"] == "digest":
        return mails.digest_mail(gettexts=texts, message_id=row["message_id"], sender=sender,
                                 recipient=row["recipient"], data=json.loads(row["data"]),
                                 base_url=base_url)
    lang = row["lang"]
    if row["target_type"] == "document":
        doc = by_uid[row["target_id"]]
        title = doc["title"][lang]
    else:
        title = admin_names[row["target_id"]][lang]
    event_doc = by_uid.get(row["document"]) if row["document"] else None
    page = event_doc or (by_uid.get(row["target_id"]) if row["target_type"] == "document" else None)
    page_url = base_url + (page["url"][lang] if page else f"/{lang}/administrators/{row['target_id']}/")
    if event_doc is not None and row["target_type"] == "administrator":
        title = f"{event_doc['title'][lang]} ({title})"
    if row["event_kind"] == "report":
        page_url = page_url.rstrip("/") + "/report/"
    data = json.loads(row["event_data"]) if row["event_data"] else None
    if data and event_doc is not None and "part" in data:  # the part's title, not its id
        titles = {part["id"]: part["title"] for part in event_doc.get("parts", [])}
        data["part"] = titles.get(data["part"], {}).get(lang, data["part"])
    return mails.follower_mail(
        "confirm" if row["kind"] == "confirm" else row["event_kind"], gettext=texts[lang],
        lang=lang, message_id=row["message_id"], sender=sender, recipient=row["email"],
        title=title, page_url=page_url, base_url=base_url, token=row["token"],
        event_data=data)


def run(conn: sqlite3.Connection, documents: list[Mapping], *, mail_config: Mapping,
        base_url: str, locale_dir: Path, administrators_file: Path,
        today: dt.date | None = None, now: float | None = None) -> dict[str, int]:
    """The worker's hook: collect, queue, digest, deliver (see the module docstring)."""
    import tomllib

    from submit_api.reports.mail import load_administrator_emails

    today = today or clock.today()
    with open(administrators_file, "rb") as src:
        admins = tomllib.load(src).get("administrator", [])
    names = {str(a["code"]): dict(a.get("name", {})) for a in admins}
    emails = load_administrator_emails(administrators_file)
    operators = [a.strip() for a in str(mail_config.get("MAIL_OPERATORS") or "").split(",") if a.strip()]
    with transaction(conn):
        new_events = collect(conn, documents, today)
        queued = store.queue_event_mails(conn)
        digests = queue_digests(conn, documents, today, emails, operators)
    counts = deliver(conn, documents, mail_config, base_url.rstrip("/"), locale_dir, names, now)
    return {"events": new_events, "queued": queued, "digests": digests, **counts}
