"""Proposals (R14): at most 1000 characters, on a chosen structural part, during the
discussion, from a signed-in person (R13). Each is screened for the operator and waits for
moderation, due within 2 working days (R15).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import unicodedata
from functools import lru_cache

import regex
from flask import Blueprint, current_app

from ashyq import clock
from ashyq.workdays import WorkingCalendar, load_calendar
from submit_api.auth import current_person, signed_in
from submit_api.db import get_db, transaction
from ashyq.i18n import date_long
from submit_api.errors import N_, ApiError, request_language
from submit_api.inputs import field, json_body, text_field
from submit_api.limits import limiter, person_or_address, setting
from submit_api.moderation import grounds_labels, reasons
from submit_api.receipts import receipt_for
from submit_api.screening import bad_characters, screen, text_key
from submit_api.manifest import ManifestUnavailable, manifest
from submit_api.store import proposals as store
from submit_api.votes import document_or_404, require_open

bp = Blueprint("proposals", __name__)

MAX_PROPOSAL_CHARS = 1000  # R14
REPEAT_WINDOW = dt.timedelta(minutes=10)  # the same text on the same part again: a repeat
CONTROL_MESSAGE = N_("The text contains control characters (%(chars)s); remove them.")
#: R14 counts user-perceived characters (extended grapheme clusters, UAX #29): "қ", "é" and a
#: family emoji are one character each, as ``Intl.Segmenter`` counts them in participate.js.
_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """How many user-perceived characters (graphemes) ``text`` has (R14, RULES.md)."""
    return len(_GRAPHEME.findall(text))


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
    count = grapheme_count(text)
    if count > MAX_PROPOSAL_CHARS:
        raise ApiError(422, "text_too_long",
                       N_("A proposal is at most %(max)s characters; this one has %(n)s."),
                       field="text", rule="R14", max=MAX_PROPOSAL_CHARS, n=count)
    if found := bad_characters(text):
        raise ApiError(422, "control_characters", CONTROL_MESSAGE,
                       field="text", rule="R14", chars=", ".join(found))
    return text


@bp.post("/api/documents/<uid>/proposals")
# Issue 14: only a proposal actually accepted for moderation (201) counts against the limit;
# a refused attempt (R14 too long, closed discussion...) or a repeated tap does not.
@limiter.limit(setting("RATELIMIT_PROPOSALS"), key_func=person_or_address,
               deduct_when=lambda response: response.status_code == 201)
@signed_in
def submit_proposal(uid: str, person: str):
    doc = document_or_404(uid)
    body = json_body()
    require_open(doc, rule="R14")
    part = field(body, "part")
    if part not in doc.parts:
        raise ApiError(422, "unknown_part",
                       N_("Choose a part of the document: %(part)s is not one of its parts."),
                       field="part", rule="R14", part=str(part))
    lang = field(body, "lang")
    if lang not in ("kk", "ru"):
        raise ApiError(422, "bad_lang", N_('The language of a proposal is "kk" or "ru".'),
                       field="lang", rule="R3")
    text = proposal_text(text_field(body, "text"))
    due = calendar(current_app.config["DECREES"]).moderation_due(clock.today())  # R15
    # ¶2(1), R13: an organisation's proposal is recorded for the organisation (``person``, its
    # keyed BIN) with the keyed IIN of the person who signed it.
    signer = current_person()
    body, status = create_proposal(get_db(), person, uid, part, lang, text, due,
                                   signer=signer if signer != person else None)
    body["moderation_due_on"] = date_long(dt.date.fromisoformat(body["moderation_due"]),
                                          request_language())
    return body, status


def create_proposal(conn, person: str, uid: str, part: str, lang: str, text: str,
                    due: dt.date, signer: str | None = None) -> tuple[dict, int]:
    """Store a checked proposal for moderation (R14, R15): ``(response body, status)``.
    201 for a new one; 200 for the same text on the same part again within REPEAT_WINDOW
    (a double tap); 409 (ApiError) for the person's same text elsewhere."""
    key = text_key(text)
    now = clock.now()
    try:
        with transaction(conn):
            flags = screen(text, conn, person)
            proposal_id = store.insert(conn, uid, part, person, lang, text, key, flags,
                                       now.isoformat(timespec="seconds"), due.isoformat(), signer)
    except sqlite3.IntegrityError as exc:
        repeat = store.same_text_on_part(conn, person, key, uid, part)
        if repeat and now - dt.datetime.fromisoformat(repeat["created_at"]) <= REPEAT_WINDOW:
            # A double tap or a resent request: the same proposal again, answered as sent.
            return {"ok": True, "id": repeat["id"], "status": repeat["status"],
                    "moderation_due": repeat["moderation_due"], "repeated": True}, 200
        raise ApiError(409, "duplicate", N_("You have already sent this proposal."),
                       field="text", rule="R14") from exc
    # issue 15: a receipt signed by the portal - what was sent, where and when; no person in it
    receipt = receipt_for({"id": proposal_id, "document": uid, "part": part, "lang": lang,
                           "text": text, "created_at": now.isoformat(timespec="seconds")})
    return {"ok": True, "id": proposal_id, "status": "pending",
            "moderation_due": due.isoformat(), "receipt": receipt}, 201


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
        # R15: the citizen sees every ground of paragraph 14 named, and the operator's words
        item["moderation_grounds"] = json.loads(item["moderation_grounds"] or "null") or (
            [item["moderation_code"]] if item["moderation_code"] else [])
        item["moderation_grounds_labels"] = grounds_labels(item["moderation_grounds"], lang)
        item["receipt"] = receipt_for(item)
        item.update(readable(item, lang))
        items.append(item)
    return {"proposals": items}


def readable(item: dict, lang: str) -> dict:
    """Issue 14: titles instead of raw ids (from the manifest) and dates as people write them
    in ``lang``, so "my proposals" reads without knowing the portal's codes."""
    try:
        doc = manifest().get(item["document"])
    except ManifestUnavailable:
        doc = None

    def day(value: str | None) -> str | None:
        return date_long(dt.date.fromisoformat(value[:10]), lang) if value else None
    return {"document_title": doc.title.get(lang) if doc else item["document"],
            "part_title": (doc.parts.get(item["part"], {}).get(lang) if doc else None)
            or item["part"],
            "document_status": doc.status() if doc else None,
            "sent_on": day(item["created_at"]), "moderation_due_on": day(item["moderation_due"]),
            "moderated_on": day(item["moderated_at"]), "answered_on": day(item["answered_at"])}
