"""The proposal workflow after submission: the operator publishes or refuses (R15, within 2
working days, always with a justification; a refusal only on the grounds of paragraph 14); the administrator's staff accept or reject a published
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
from submit_api.store import reports as report_store

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
    "A decision needs its grounds and a justification in words (R15, R16)"


class UnknownGround(ValueError):
    "A refusal may only name the grounds of paragraph 14 (R15)"


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


def _day_of(stamp: str | None) -> dt.date | None:
    return dt.date.fromisoformat(stamp[:10]) if stamp else None


def published_after_end(moderated_at: str | None, discussion_end: dt.date) -> bool:
    """A proposal received in time but published by the operator after the discussion ended
    (the operator's 2 working days, R15, ran past the end)."""
    day = _day_of(moderated_at)
    return day is not None and day > discussion_end


def report_formed(conn: sqlite3.Connection, uid: str) -> bool:
    return report_store.has_report(conn, uid)


def may_answer(conn: sqlite3.Connection, uid: str, discussion_end: dt.date,
               moderated_at: str | None, today: dt.date) -> bool:
    """R16 within the discussion period; and, by RULES.md's interpretation (paragraphs 15-17),
    a proposal the operator published after the end may be answered until the final report
    is formed - it must not lose its chance of an answer to the calendar."""
    if today <= discussion_end:
        return True
    return published_after_end(moderated_at, discussion_end) and not report_formed(conn, uid)


@dataclass(frozen=True)
class Reason:
    code: str
    decision: str  # publish | refuse
    label: dict[str, str]
    paragraph: str = "14"


@lru_cache(maxsize=1)
def reasons() -> dict[str, Reason]:
    data = tomllib.loads(REASONS_FILE.read_text(encoding="utf-8"))
    return {r["code"]: Reason(r["code"], r["decision"], {"kk": r["kk"], "ru": r["ru"]},
                              str(r.get("paragraph", "14")))
            for r in data["reason"]}


def refusal_grounds() -> list[str]:
    """R15: the grounds of paragraph 14, the only ones a refusal may name."""
    return [r.code for r in reasons().values() if r.decision == "refuse"]


PUBLISH_REASON = "complies"


def decision_grounds(decision: str, grounds: object) -> list[str]:
    """The grounds of a decision, checked (R15): a refusal names one or more grounds of
    paragraph 14 (an unknown one raises :class:`UnknownGround`); a publication's is
    "complies with paragraph 14"."""
    if isinstance(grounds, str):
        grounds = [grounds] if grounds.strip() else []
    if not isinstance(grounds, (list, tuple)):
        raise UnknownGround(f"grounds must be a list, not {grounds!r}")
    chosen = list(dict.fromkeys(str(g).strip() for g in grounds if str(g).strip()))
    allowed = refusal_grounds() if decision == "refuse" else [PUBLISH_REASON]
    unknown = [g for g in chosen if g not in allowed]
    if unknown:
        raise UnknownGround(", ".join(unknown))
    if decision == "publish":
        return [PUBLISH_REASON]
    if not chosen:
        raise ReasonRequired("a refusal names one or more grounds of paragraph 14 (R15)")
    return chosen


def grounds_labels(grounds: list[str] | None, lang: str) -> list[str]:
    catalogue = reasons()
    return [catalogue[g].label[lang] for g in grounds or [] if g in catalogue]


def _stamp() -> str:
    return clock.now().isoformat(timespec="seconds")


def moderate(conn: sqlite3.Connection, proposal_id: int, actor: str, roles: list[Role],
             decision: str, grounds: list[str] | str, text: str = "") -> dict:
    """R15: publish or refuse a pending proposal. A refusal names one or more grounds of
    paragraph 14 and the operator's justification in words; a publication records "complies
    with paragraph 14" and the operator's words, if any."""
    if not is_operator(roles):
        raise NotAllowed("only the operator moderates proposals (R15)")
    if decision not in DECISIONS:
        raise ReasonRequired('decision must be "publish" or "refuse"')
    text = (text or "").strip()
    check_text(text)  # R14: characters no text may hold, whatever the grounds
    chosen = decision_grounds(decision, grounds)
    code = chosen[0]
    if decision == "refuse" and not text:
        raise ReasonRequired("justify the refusal in your own words (R15)")
    if len(text) > MAX_REASON_CHARS:
        raise ReasonRequired(f"the reason is at most {MAX_REASON_CHARS} characters")

    with transaction(conn):
        row = store.document_and_status(conn, proposal_id)
        if row is None:
            raise ProposalNotFound(proposal_id)
        if row[1] != "pending":
            raise AlreadyDecided(f"proposal {proposal_id} is already {row[1]}")
        status, stamp = DECISIONS[decision], _stamp()
        store.set_moderation(conn, proposal_id, status, stamp, code, text or None, actor, chosen)
        after = {"status": status, "code": code, "grounds": chosen, "reason": text or None}
        audit.record(conn, actor, "moderate", f"proposal:{proposal_id}", {"status": "pending"}, after)
        if status == "published":
            changes.record(conn, row[0], "moderation")
        return {"id": proposal_id, "document": row[0], **after, "moderated_at": stamp}


def answer(conn: sqlite3.Connection, proposal_id: int, actor: str, roles: list[Role],
           decision: str, text: str, manifest: Manifest, today: dt.date | None = None) -> dict:
    """R16: accept or reject a published proposal on one's own administrator's document,
    with a justification, until the discussion ends (an answer may be revised until then);
    one published after the end, until the final report is formed (:func:`may_answer`)."""
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
        if not may_answer(conn, row[0], doc.discussion_end, row[3], today):
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
        # published after the end: answerable until the final report is formed (RULES.md)
        item["after_end"] = published_after_end(item["moderated_at"], doc.discussion_end)
        item["overdue"] = (item["status"] == "published" and doc.discussion_end < today
                           and not item["after_end"])
        item["answerable"] = may_answer(conn, item["document"], doc.discussion_end,
                                        item["moderated_at"], today)
    return sorted(items, key=lambda i: (i["due"], i["id"]))
