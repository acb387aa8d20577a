"""The back office as JSON, for integration with state bodies' systems (the same actions as the
server-rendered office at /office/): queues, moderation (R15), answers (R16), staff (R8), audit.
"""
from __future__ import annotations

import functools

from flask import Blueprint, Response, current_app, request

from ashyq import clock
from submit_api import audit
from submit_api.auth import current_person, signed_in
from submit_api.db import get_db
from submit_api.eds import iin_is_valid
from submit_api.errors import N_, ApiError
from submit_api.identity import person_id
from submit_api.inputs import field, json_body, query_int, text_field
from submit_api.moderation import (
    AlreadyDecided, AnswerWindowClosed, BadCharacters, ProposalNotFound, ReasonRequired,
    UnknownGround, answer, answer_queue, moderate, moderation_queue, reasons, refusal_grounds,
)
from submit_api.proposals import CONTROL_MESSAGE
from submit_api.staff import (
    NotAllowed, StaffError, answering_codes, grant, is_operator, lead_codes, revoke, roles_of,
    staff_list,
)
from submit_api.manifest import manifest

bp = Blueprint("office_api", __name__)


def staff_only(view):
    """Signed in (R13) and holding at least one staff role (R8); passes person and roles.
    Roles belong to the signer as a person, also when they sign with their organisation's key."""
    @functools.wraps(view)
    @signed_in
    def wrapper(*args, person: str, **kwargs):
        person = current_person()
        roles = roles_of(get_db(), person)
        if not roles:
            raise ApiError(403, "not_staff", N_("This is for the staff of the operator and of state bodies."), rule="R8")
        return view(*args, person=person, roles=roles, **kwargs)
    return wrapper


def decision_errors(exc: Exception) -> ApiError:
    """Turn the workflow's small exceptions into refusals that name the rule."""
    if isinstance(exc, NotAllowed):
        return ApiError(403, "not_allowed",
                        N_("Your role or administrator code does not allow this (R8)."), rule="R8")
    if isinstance(exc, ProposalNotFound):
        return ApiError(404, "unknown_proposal", N_("There is no such proposal in your queue."))
    if isinstance(exc, AlreadyDecided):
        return ApiError(409, "already_decided", N_("This proposal has already been decided."), rule="R15")
    if isinstance(exc, BadCharacters):
        return ApiError(422, "control_characters", CONTROL_MESSAGE, field="text", rule="R14",
                        chars=", ".join(exc.chars))
    if isinstance(exc, AnswerWindowClosed):
        return ApiError(409, "discussion_closed",
                        N_("The discussion has ended: answers are no longer taken (R16)."), rule="R16")
    if isinstance(exc, UnknownGround):
        return ApiError(400, "unknown_ground",
                        N_("Publication can be refused only on the grounds of paragraph 14 (paragraph 15): %(grounds)s; not %(unknown)s."),
                        rule="R15", grounds=", ".join(refusal_grounds()), unknown=str(exc))
    return ApiError(422, "reason_required",
                    N_("A decision needs a justification: a refusal names one or more grounds of paragraph 14 and explains the decision in words; an answer gives its justification (R15, R16)."),
                    rule="R15")


@bp.get("/api/office/queue")
@staff_only
def queue(person: str, roles):
    conn, today = get_db(), clock.today()
    body = {"roles": [{"role": r.role, "administrator": r.administrator} for r in roles],
            "today": today.isoformat()}
    if is_operator(roles):
        body["moderation"] = moderation_queue(conn, today)
    codes = answering_codes(roles)
    if codes:
        body["answers"] = answer_queue(conn, codes, manifest(), today,
                                       include_answered=request.args.get("answered") == "1")
    return body


@bp.get("/api/office/reasons")
def reason_catalogue():
    return {"reasons": [{"code": r.code, "decision": r.decision, "label": r.label,
                         "paragraph": r.paragraph} for r in reasons().values()]}


@bp.post("/api/office/proposals/<int:proposal_id>/moderation")
@staff_only
def moderation(proposal_id: int, person: str, roles):
    body = json_body()
    # R15: {"decision": "refuse", "grounds": ["spam", ...], "text": "why, in words"};
    # "reason" (one ground) is read too. Only paragraph 14's grounds exist.
    decision = field(body, "decision", default="")
    reason = field(body, "reason", default="")
    grounds = field(body, "grounds", list, None)
    grounds = grounds if grounds is not None else ([reason] if reason.strip() else [])
    try:
        return moderate(get_db(), proposal_id, person, roles, decision, grounds,
                        text_field(body, "text"))
    except (NotAllowed, ProposalNotFound, AlreadyDecided, ReasonRequired, UnknownGround) as exc:
        raise decision_errors(exc) from exc


@bp.post("/api/office/proposals/<int:proposal_id>/answer")
@staff_only
def answer_proposal(proposal_id: int, person: str, roles):
    body = json_body()
    try:
        return answer(get_db(), proposal_id, person, roles, field(body, "decision", default=""),
                      text_field(body, "text"), manifest())
    except (NotAllowed, ProposalNotFound, AnswerWindowClosed, ReasonRequired) as exc:
        raise decision_errors(exc) from exc


@bp.get("/api/office/staff")
@staff_only
def staff(person: str, roles):
    codes = lead_codes(roles)
    if not codes and not is_operator(roles):
        raise decision_errors(NotAllowed("only leads see their staff"))
    conn = get_db()
    rows = staff_list(conn) if is_operator(roles) else [
        r for code in sorted(codes) for r in staff_list(conn, code)]
    return {"staff": rows}


def _staff_change(person: str, body: dict, change) -> tuple[str, str, str | None]:
    iin, role = field(body, "iin", default=""), field(body, "role", default="")
    code = field(body, "administrator") or None
    if not iin_is_valid(iin):
        raise ApiError(422, "bad_iin", N_("Enter a valid 12-digit IIN."), field="iin", rule="R8")
    target = person_id(iin, current_app.config["IDENTITY_KEY"])
    try:
        change(get_db(), person, target, role, code)
    except StaffError as exc:
        raise decision_errors(NotAllowed(str(exc))) from exc
    return target, role, code


@bp.post("/api/office/staff")
@staff_only
def grant_role(person: str, roles):
    target, role, code = _staff_change(person, json_body(), grant)
    return {"ok": True, "person": target, "role": role, "administrator": code}, 201


@bp.post("/api/office/staff/revoke")
@staff_only
def revoke_role(person: str, roles):
    target, role, code = _staff_change(person, json_body(), revoke)
    return {"ok": True, "person": target, "role": role, "administrator": code}


@bp.get("/api/office/audit")
@staff_only
def audit_entries(person: str, roles):
    limit = query_int("limit", 100, 1, 500)
    offset = query_int("offset", 0, 0, 10**9)
    conn = get_db()
    return {"entries": audit.entries(conn, limit, offset, request.args.get("action") or None),
            "chain": audit.verify(conn).__dict__}


@bp.get("/api/office/audit.csv")
@staff_only
def audit_export(person: str, roles):
    return Response(audit.export_csv(get_db()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ashyq-audit.csv"})
