"""Proposals (R14): at most 1000 characters, on a chosen structural part, during the
discussion, from a signed-in person (R13). Each is screened for the operator and waits for
moderation, due within 2 working days (R15).
"""
from __future__ import annotations

import sqlite3
import unicodedata
from functools import lru_cache

from flask import Blueprint, current_app

from ashyq import clock
from ashyq.workdays import WorkingCalendar, load_calendar
from submit_api.auth import signed_in
from submit_api.db import get_db, transaction
from submit_api.errors import N_, ApiError, request_language
from submit_api.inputs import json_body, text_field
from submit_api.limits import limiter, person_or_address, setting
from submit_api.moderation import reasons
from submit_api.screening import bad_characters, screen, text_key
from submit_api.store import proposals as store
from submit_api.votes import document_or_404, require_open

bp = Blueprint("proposals", __name__)

MAX_PROPOSAL_CHARS = 1000  # R14
CONTROL_MESSAGE = N_("The text contains control characters (%(chars)s); remove them.")


@lru_cache(maxsize=4)
def calendar(decrees: str) -> WorkingCalendar:
    return load_calendar(decrees)


def proposal_text(raw: object) -> str:
    """The text as stored: NFC-normalised, trimmed; refused when empty, too long or with
    control characters (R14)."""
    if not isinstance(raw, str):
        raise ApiError(422, "text_required", N_("Write the text of your proposal."), field="text", rule="R14")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise ApiError(422, "text_required", N_("Write the text of your proposal."), field="text", rule="R14")
    if len(text) > MAX_PROPOSAL_CHARS:
        raise ApiError(422, "text_too_long",
                       N_("A proposal is at most %(max)s characters; this one has %(n)s."),
                       field="text", rule="R14", max=MAX_PROPOSAL_CHARS, n=len(text))
    if found := bad_characters(text):
        raise ApiError(422, "control_characters", CONTROL_MESSAGE,
                       field="text", rule="R14", chars=", ".join(found))
    return text


@bp.post("/api/documents/<uid>/proposals")
@limiter.limit(setting("RATELIMIT_PROPOSALS"), key_func=person_or_address)
@signed_in
def submit_proposal(uid: str, person: str):
    doc = document_or_404(uid)
    body = json_body()
    require_open(doc, rule="R14")
    part = body.get("part")
    if part not in doc.parts:
        raise ApiError(422, "unknown_part",
                       N_("Choose a part of the document: %(part)s is not one of its parts."),
                       field="part", rule="R14", part=str(part))
    lang = body.get("lang")
    if lang not in ("kk", "ru"):
        raise ApiError(422, "bad_lang", N_('The language of a proposal is "kk" or "ru".'),
                       field="lang", rule="R3")
    text = proposal_text(text_field(body, "text"))
    key = text_key(text)
    conn = get_db()
    now = clock.now()
    due = calendar(current_app.config["DECREES"]).moderation_due(now.date())  # R15
    try:
        with transaction(conn):
            flags = screen(text, conn, person)
            proposal_id = store.insert(conn, uid, part, person, lang, text, key, flags,
                                       now.isoformat(timespec="seconds"), due.isoformat())
    except sqlite3.IntegrityError as exc:
        raise ApiError(409, "duplicate", N_("You have already sent this proposal."),
                       field="text", rule="R14") from exc
    return {"ok": True, "id": proposal_id, "status": "pending",
            "moderation_due": due.isoformat()}, 201


@bp.get("/api/me/proposals")
@signed_in
def my_proposals(person: str):
    """The person's own proposals, with what became of them (R15, R16)."""
    lang = request_language()
    catalogue = reasons()
    items = []
    for item in store.of_person(get_db(), person):
        reason = catalogue.get(item["moderation_code"] or "")
        item["moderation_reason_label"] = reason.label[lang] if reason else None
        items.append(item)
    return {"proposals": items}
