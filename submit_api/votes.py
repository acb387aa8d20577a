"""Votes "for" and "against" (R11): one per signed-in person - or organisation, for a legal
entity's key (¶2(1)) - per document or published proposal, changeable while the discussion is open, refused before it opens and after it closes.
"""
from __future__ import annotations

import functools

from flask import Blueprint, current_app, request, session
from flask_wtf.csrf import CSRFError, validate_csrf
from limits import parse_many
from wtforms import ValidationError

from ashyq import clock
from submit_api import vote_writer
from submit_api.auth import SIGN_IN_REQUIRED, current_party
from submit_api.db import get_db
from submit_api.errors import N_, ApiError
from submit_api.inputs import json_body
from submit_api.limits import limiter
from submit_api.manifest import ManifestDocument, manifest
from submit_api.public import PUBLIC_STATUSES
from submit_api.store import proposals as proposal_store
from submit_api.store import votes as store

bp = Blueprint("votes", __name__)

VOTE_VALUES = ("for", "against")


def document_or_404(uid: str) -> ManifestDocument:
    doc = manifest().get(uid)
    if doc is None:
        raise ApiError(404, "unknown_document",
                       N_("There is no passport or report %(uid)s under discussion."), uid=uid)
    return doc


def require_open(doc: ManifestDocument, rule: str = "R11") -> None:
    """Refuse with 409 and the reason unless the discussion is open today."""
    status = doc.status()
    if status == "scheduled":
        raise ApiError(409, "discussion_not_open",
                       N_("The discussion opens on %(start)s; it is not possible to take part before then."),
                       rule=rule, start=doc.posted)
    if status == "closed":
        raise ApiError(409, "discussion_closed",
                       N_("The discussion ended on %(end)s; votes and proposals are no longer accepted."),
                       rule=rule, end=doc.discussion_end)


def vote_value() -> str:
    value = json_body().get("value")
    if value not in VOTE_VALUES:
        raise ApiError(422, "bad_vote", N_('A vote is "for" or "against".'), field="value", rule="R11")
    return value


@functools.lru_cache(maxsize=16)
def vote_limits(setting: str) -> tuple[tuple[int, int], ...]:
    """``RATELIMIT_VOTES`` ("60 per minute; 1000 per day") as (votes, seconds) pairs."""
    return tuple((item.amount, item.get_expiry()) for item in parse_many(setting))


#: (token sent, raw token of the session, secret) already found valid: a citizen voting again
#: with the same token is not checked by itsdangerous again (tokens do not expire here:
#: WTF_CSRF_TIME_LIMIT is None; with a time limit every vote is checked in full).
_valid_csrf: dict[tuple[str, str, str], bool] = {}
CSRF_CACHE_SIZE = 20_000


def _csrf_key(config, token: str, session_token: object) -> tuple[str, str, str]:
    return token, str(session_token or ""), str(config["SECRET_KEY"])


def csrf_known_valid(config, token: str, session_token: object) -> bool:
    """Whether ``token`` was already found valid for this session's CSRF secret."""
    return (config["WTF_CSRF_TIME_LIMIT"] is None
            and _csrf_key(config, token, session_token) in _valid_csrf)


def check_csrf() -> None:
    """Flask-WTF's CSRF check for the vote routes, remembered per token (the vote path is hot:
    bench/api_load.py); the same refusal as CSRFProtect's."""
    config = current_app.config
    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token") or ""
    if csrf_known_valid(config, token, session.get("csrf_token")):
        return
    key = _csrf_key(config, token, session.get("csrf_token"))
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from exc
    if len(_valid_csrf) >= CSRF_CACHE_SIZE:
        _valid_csrf.clear()
    _valid_csrf[key] = True


def session_id() -> str:
    """The session named by the cookie; whether it is live is checked by the vote writer."""
    check_csrf()
    sid = session.get("sid")
    if not sid:
        raise ApiError(401, "sign_in_required", SIGN_IN_REQUIRED, rule="R13")
    return sid


def write_vote(config, target_type: str, target_id: str, sid: str,
               value: str) -> vote_writer.Outcome:
    """Hand the vote to this process's vote writer and wait for its batch's commit (the one
    way a vote is written: the Flask views and the vote lane both call this)."""
    vote = vote_writer.Vote(sid, target_type, target_id, value,
                            clock.now().isoformat(timespec="seconds"),
                            vote_limits(config["RATELIMIT_VOTES"]))
    return vote_writer.submit(config["DATABASE"], config["SQLITE_SYNCHRONOUS"], vote)


def accepted(value: str) -> dict:
    """The answer to a vote that was written."""
    return {"ok": True, "value": value}


def cast_vote(target_type: str, target_id: str, sid: str, value: str) -> None:
    """Insert or change the signed-in person's vote (one per person per target, R11) through
    this process's vote writer: returns once the vote is committed; refuses a dead session
    (401, R13) and a person over ``RATELIMIT_VOTES`` (429, counted in the same transaction)."""
    try:
        outcome = write_vote(current_app.config, target_type, target_id, sid, value)
    except (vote_writer.WriterUnavailable, TimeoutError) as exc:
        raise ApiError(503, "vote_not_saved",
                       N_("Your vote could not be saved just now. Try again in a moment."),
                       rule="R11") from exc
    if outcome.status == "signed_out":
        raise ApiError(401, "sign_in_required", SIGN_IN_REQUIRED, rule="R13")
    if outcome.status == "limited":
        raise ApiError(429, "too_many_votes",
                       N_("Too many requests: wait a little and try again."),
                       headers={"Retry-After": str(outcome.retry_after)})


def totals(target_type: str, target_id: str) -> dict[str, int]:
    counts = {value: 0 for value in VOTE_VALUES}
    counts.update(store.counts(get_db(), target_type, target_id))
    return counts


def my_vote(target_type: str, target_id: str, person: str | None) -> str | None:
    if person is None:
        return None
    return store.value_of(get_db(), target_type, target_id, person)


# Votes skip Flask-Limiter (limits.py filters them out before any work): the per-person limit
# is counted by the vote writer, and the per-address flood guard for /api/ is the reverse
# proxy's (deploy/nginx). Their CSRF check is check_csrf (create_app exempts them from
# CSRFProtect's).
VOTE_VIEWS = ("vote_on_document", "vote_on_proposal")
@bp.post("/api/documents/<uid>/votes")
@limiter.exempt
def vote_on_document(uid: str):
    sid = session_id()
    doc = document_or_404(uid)
    value = vote_value()
    require_open(doc)
    cast_vote("document", uid, sid, value)
    return accepted(value)


@bp.post("/api/proposals/<int:proposal_id>/votes")
@limiter.exempt
def vote_on_proposal(proposal_id: int):
    sid = session_id()
    row = proposal_store.document_and_status(get_db(), proposal_id)
    if row is None or row[1] not in PUBLIC_STATUSES:
        raise ApiError(404, "unknown_proposal",
                       N_("There is no published proposal number %(id)s."), id=proposal_id)
    value = vote_value()
    require_open(document_or_404(row[0]))
    cast_vote("proposal", str(proposal_id), sid, value)
    return accepted(value)


@bp.get("/api/documents/<uid>/totals")
def document_totals(uid: str):
    """Live totals for the document and its published proposals, and the caller's own votes."""
    doc = document_or_404(uid)
    person = current_party()
    proposals: dict[str, dict[str, int]] = {}
    for pid, value, n in store.proposal_counts(get_db(), uid):
        entry = proposals.setdefault(str(pid), {v: 0 for v in VOTE_VALUES})
        if value:
            entry[value] = n
    return {"uid": uid, "status": doc.status(), "votes": totals("document", uid),
            "my_vote": my_vote("document", uid, person), "proposals": proposals}
