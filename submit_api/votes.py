"""Votes "for" and "against" (R11): one per signed-in person - or organisation, for a legal
entity's key (¶2(1)) - per document or published proposal, changeable while the discussion is open, refused before it opens and after it closes.
"""
from __future__ import annotations

from flask import Blueprint

from ashyq import clock
from submit_api.auth import current_party, signed_in
from submit_api.db import get_db
from submit_api.errors import N_, ApiError
from submit_api.inputs import json_body
from submit_api.limits import limiter, person_or_address, setting
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


def cast_vote(target_type: str, target_id: str, person: str, value: str) -> None:
    """Insert or change the person's vote (one per person per target, R11)."""
    store.cast(get_db(), target_type, target_id, person, value,
               clock.now().isoformat(timespec="seconds"))


def totals(target_type: str, target_id: str) -> dict[str, int]:
    counts = {value: 0 for value in VOTE_VALUES}
    counts.update(store.counts(get_db(), target_type, target_id))
    return counts


def my_vote(target_type: str, target_id: str, person: str | None) -> str | None:
    if person is None:
        return None
    return store.value_of(get_db(), target_type, target_id, person)


@bp.post("/api/documents/<uid>/votes")
@limiter.limit(setting("RATELIMIT_VOTES"), key_func=person_or_address)
@signed_in
def vote_on_document(uid: str, person: str):
    doc = document_or_404(uid)
    value = vote_value()
    require_open(doc)
    cast_vote("document", uid, person, value)
    return {"ok": True, "value": value}


@bp.post("/api/proposals/<int:proposal_id>/votes")
@limiter.limit(setting("RATELIMIT_VOTES"), key_func=person_or_address)
@signed_in
def vote_on_proposal(proposal_id: int, person: str):
    row = proposal_store.document_and_status(get_db(), proposal_id)
    if row is None or row[1] not in PUBLIC_STATUSES:
        raise ApiError(404, "unknown_proposal",
                       N_("There is no published proposal number %(id)s."), id=proposal_id)
    value = vote_value()
    require_open(document_or_404(row[0]))
    cast_vote("proposal", str(proposal_id), person, value)
    return {"ok": True, "value": value}


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
