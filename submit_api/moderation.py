"""The proposal workflow after submission: the operator publishes or refuses (R15, within 2
working days, always with a reason); the administrator's staff accept or reject a published
proposal (R16, within the discussion period, always with a justification).

Each decision is one transaction that changes the proposal, appends to the audit log and
tells the rebuild worker which document page to refresh (``site_changes``).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ashyq import clock
from submit_api import audit
from submit_api.db import transaction
from submit_api.manifest import Manifest
from submit_api.public import PUBLIC_STATUSES
from submit_api.screening import bad_characters
from submit_api.staff import NotAllowed, Role, answering_codes, is_operator
from submit_api.store import changes
from submit_api.store import proposals as store

REASONS_FILE = Path(__file__).parent / "data" / "reasons.toml"
MAX_REASON_CHARS = 2000
MAX_ANSWER_CHARS = 5000
DECISIONS = {"publish": "published", "refuse": "refused"}
ANSWERS = {"accept": "accepted", "reject": "rejected"}


class ProposalNotFound(Exception):
    "No such proposal (or not one this person may see)"


class AlreadyDecided(Exception):
    "The proposal is no longer in the state this decision needs"


class ReasonRequired(Exception):
    "A decision needs a reason from the catalogue, or words of one's own (R15, R16)"


class BadCharacters(ReasonRequired):
    "The justification holds characters no text may hold (R14): control, bidi, lone surrogate"

    def __init__(self, chars: list[str]):
        super().__init__(", ".join(chars))
        self.chars = chars


def check_text(text: str) -> None:
    if found := bad_characters(text):
        raise BadCharacters(found)


class AnswerWindowClosed(Exception):
    "The discussion has ended: answers are no longer taken (R16)"


@dataclass(frozen=True)
class Reason:
    code: str
    decision: str  # publish | refuse | both
    label: dict[str, str]


@lru_cache(maxsize=1)
def reasons() -> dict[str, Reason]:
    data = tomllib.loads(REASONS_FILE.read_text(encoding="utf-8"))
    return {r["code"]: Reason(r["code"], r["decision"], {"kk": r["kk"], "ru": r["ru"]})
            for r in data["reason"]}


def _stamp() -> str:
    return clock.now().isoformat(timespec="seconds")


def moderate(conn: sqlite3.Connection, proposal_id: int, actor: str, roles: list[Role],
             decision: str, code: str, text: str = "") -> dict:
    """R15: publish or refuse a pending proposal, with a catalogue reason (and text for 'other')."""
    if not is_operator(roles):
        raise NotAllowed("only the operator moderates proposals (R15)")
    if decision not in DECISIONS:
        raise ReasonRequired('decision must be "publish" or "refuse"')
    reason = reasons().get(code or "")
    text = (text or "").strip()
    if reason is None or reason.decision not in (decision, "both"):
        raise ReasonRequired(f"choose a reason for '{decision}' from the catalogue (R15)")
    if code == "other" and not text:
        raise ReasonRequired("explain the decision in your own words (R15)")
    if len(text) > MAX_REASON_CHARS:
        raise ReasonRequired(f"the reason is at most {MAX_REASON_CHARS} characters")
    check_text(text)

    with transaction(conn):
        row = store.document_and_status(conn, proposal_id)
        if row is None:
            raise ProposalNotFound(proposal_id)
        if row[1] != "pending":
            raise AlreadyDecided(f"proposal {proposal_id} is already {row[1]}")
        status, stamp = DECISIONS[decision], _stamp()
        store.set_moderation(conn, proposal_id, status, stamp, code, text or None, actor)
        after = {"status": status, "code": code, "reason": text or None}
        audit.record(conn, actor, "moderate", f"proposal:{proposal_id}", {"status": "pending"}, after)
        if status == "published":
            changes.record(conn, row[0], "moderation")
        return {"id": proposal_id, "document": row[0], **after, "moderated_at": stamp}


def answer(conn: sqlite3.Connection, proposal_id: int, actor: str, roles: list[Role],
           decision: str, text: str, manifest: Manifest, today: dt.date | None = None) -> dict:
    """R16: accept or reject a published proposal on one's own administrator's document,
    with a justification, until the discussion ends (an answer may be revised until then)."""
    if decision not in ANSWERS:
        raise ReasonRequired('decision must be "accept" or "reject"')
    text = (text or "").strip()
    if not text:
        raise ReasonRequired("a justification is required (R16)")
    if len(text) > MAX_ANSWER_CHARS:
        raise ReasonRequired(f"the justification is at most {MAX_ANSWER_CHARS} characters")
    check_text(text)
    codes = answering_codes(roles)
    if not codes:
        raise NotAllowed("only the administrator's staff answer proposals (R16)")
    today = today or clock.today()

    with transaction(conn):
        row = store.answer_state(conn, proposal_id)
        if row is None or row[1] not in PUBLIC_STATUSES:
            raise ProposalNotFound(proposal_id)
        doc = manifest.get(row[0])
        if doc is None or doc.administrator not in codes:
            raise NotAllowed(f"proposal {proposal_id} is on another administrator's document (R16)")
        if today > doc.discussion_end:
            raise AnswerWindowClosed(doc.discussion_end.isoformat())
        status, stamp = ANSWERS[decision], _stamp()
        store.set_answer(conn, proposal_id, status, text, stamp, actor)
        audit.record(conn, actor, "answer", f"proposal:{proposal_id}",
                     {"status": row[1], "answer": row[2]}, {"status": status, "answer": text})
        changes.record(conn, row[0], "answer")
        return {"id": proposal_id, "document": row[0], "status": status, "answer": text,
                "answered_at": stamp}


def moderation_queue(conn: sqlite3.Connection, today: dt.date, limit: int = 200) -> list[dict]:
    """R15: pending proposals, the most urgent first, each marked overdue when past its due day."""
    items = store.pending(conn, limit)
    for item in items:
        item["due"] = item["moderation_due"]
        item["overdue"] = dt.date.fromisoformat(item["due"]) < today
    return items


def answer_queue(conn: sqlite3.Connection, codes: set[str], manifest: Manifest,
                 today: dt.date, include_answered: bool = False) -> list[dict]:
    """R16: published proposals on these administrators' documents, due by each discussion's end."""
    docs = {uid: d for uid, d in manifest.documents().items() if d.administrator in codes}
    if not docs:
        return []
    statuses = PUBLIC_STATUSES if include_answered else ("published",)
    items = store.on_documents(conn, list(docs), statuses)
    for item in items:
        doc = docs[item["document"]]
        item["due"] = doc.discussion_end.isoformat()
        item["administrator"] = doc.administrator
        item["overdue"] = item["status"] == "published" and doc.discussion_end < today
    return sorted(items, key=lambda i: (i["due"], i["id"]))
