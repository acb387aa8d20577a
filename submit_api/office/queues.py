"""The work queues: the operator moderates pending proposals (R15: within 2 working days; a
refusal names grounds of paragraph 14 and the justification in words); the administrator's staff answer published ones on their own
documents (R16: until the discussion ends, with a justification)."""
from __future__ import annotations


from flask import flash, redirect, request, url_for

from ashyq import clock
from submit_api.db import get_db
from submit_api.errors import N_
from submit_api.manifest import ManifestUnavailable, manifest
from submit_api.moderation import (
    DECISIONS, MAX_ANSWER_CHARS, MAX_REASON_CHARS, AlreadyDecided, AnswerWindowClosed,
    BadCharacters, ProposalNotFound, ReasonRequired, UnknownGround, answer, answer_queue, moderate,
    moderation_queue, reasons,
)
from submit_api.office import bp
from submit_api.office.base import _, lang, render_page, staff_page
from submit_api.proposals import CONTROL_MESSAGE
from submit_api.staff import NotAllowed, answering_codes, is_operator

QUEUE_LIMIT = 1000
FLAG_LABELS = {  # the screening flags (submit_api.screening), as badges
    "obscene": N_("Obscene words or insults"),
    "link": N_("Link"),
    "phone": N_("Phone number"),
    "repeated": N_("Repeated text"),
}
FILTERS = ("document", "flag", "overdue", "answered")


# --- what the manifest says about documents -------------------------------------------------

def documents() -> dict:
    """The build's documents (the manifest), with titles of their parts in both languages."""
    try:
        return manifest().documents()
    except ManifestUnavailable:
        return {}


# --- the page -------------------------------------------------------------------------------

def filters() -> dict[str, str]:
    """The queue's filters from the query string (kept across a form's round trip)."""
    return {k: request.args[k] for k in FILTERS if request.args.get(k)}


def reason_options() -> list[dict]:
    """The operator's catalogue (R15): the grounds of paragraph 14, in the page's language."""
    return [{"code": r.code, "decision": r.decision, "label": r.label[lang()],
             "paragraph": r.paragraph} for r in reasons().values()]


def _filtered(items: list[dict], chosen: dict[str, str]) -> list[dict]:
    if chosen.get("document"):
        items = [i for i in items if i["document"] == chosen["document"]]
    if chosen.get("flag"):
        items = [i for i in items if any(f["flag"] == chosen["flag"] for f in i["flags"])]
    if chosen.get("overdue") == "1":
        items = [i for i in items if i["overdue"]]
    return items


def render_queue(roles, status: int = 200, problem: dict | None = None):
    conn, today = get_db(), clock.today()
    chosen = filters()
    context = {"today": today.isoformat(), "problem": problem, "filters": chosen,
               "docs": documents(), "FLAG_LABELS": FLAG_LABELS, "reasons": reason_options(),
               "moderation": None, "answers": None, "answered": None,
               "MAX_REASON_CHARS": MAX_REASON_CHARS, "MAX_ANSWER_CHARS": MAX_ANSWER_CHARS}
    if is_operator(roles):
        pending = moderation_queue(conn, today, limit=QUEUE_LIMIT)
        context.update(moderation=_filtered(pending, chosen), pending_total=len(pending),
                       overdue_total=sum(i["overdue"] for i in pending),
                       queue_documents=sorted({i["document"] for i in pending}))
    codes = answering_codes(roles)
    if codes:
        try:
            items = answer_queue(conn, codes, manifest(), today,
                                 include_answered=chosen.get("answered") == "1")
        except ManifestUnavailable:
            context["no_manifest"] = True
        else:
            context["answers"] = [i for i in items if i["status"] == "published"]
            if chosen.get("answered") == "1":
                context["answered"] = [i for i in items if i["status"] != "published"]
    return render_page("office/queue.html", status, **context)


@bp.get("/")
@staff_page
def dashboard(person: str, roles):
    return render_queue(roles)


# --- decisions ------------------------------------------------------------------------------

def _refusal(exc: Exception, form: str) -> tuple[int, str, str | None]:
    """A refused decision as an HTTP status, a sentence in the page language and the rule."""
    if isinstance(exc, NotAllowed):
        return 403, _("Your role or administrator code does not allow this (R8)."), "R8"
    if isinstance(exc, ProposalNotFound):
        return 404, _("There is no such proposal in your queue."), None
    if isinstance(exc, AlreadyDecided):
        return 409, _("This proposal has already been decided."), "R15"
    if isinstance(exc, AnswerWindowClosed):
        return 409, _("The discussion has ended: answers are no longer taken (R16)."), "R16"
    if isinstance(exc, BadCharacters):
        return 422, _(CONTROL_MESSAGE, chars=", ".join(exc.chars)), "R14"
    values = request.form
    text = values.get("text", "").strip()
    if form == "moderation":
        if values.get("decision") not in DECISIONS:
            return 422, _("Choose whether to publish the proposal or to refuse publication (R15)."), "R15"
        if len(text) > MAX_REASON_CHARS:
            return 422, _("The justification is at most %(max)s characters (R15).", max=MAX_REASON_CHARS), "R15"
        if isinstance(exc, UnknownGround):
            return 400, _("Publication can be refused only on the grounds of paragraph 14 (paragraph 15)."), "R15"
        if values.get("decision") == "refuse" and not values.getlist("grounds"):
            return 422, _("Tick one or more grounds of paragraph 14: only they allow a refusal (R15)."), "R15"
        return 422, _("Write the justification of the refusal in your own words (R15)."), "R15"
    if values.get("decision") not in ("accept", "reject"):
        return 422, _("Choose whether to accept or to reject the proposal (R16)."), "R16"
    if len(text) > MAX_ANSWER_CHARS:
        return 422, _("The justification is at most %(max)s characters (R16).", max=MAX_ANSWER_CHARS), "R16"
    return 422, _("Write a justification: the state body justifies every answer (R16)."), "R16"


def _refused(roles, proposal_id: int, form: str, exc: Exception):
    status, message, rule = _refusal(exc, form)
    return render_queue(roles, status, {"id": proposal_id, "form": form, "message": message,
                                        "rule": rule, "values": request.form})


@bp.post("/proposals/<int:proposal_id>/moderation")
@staff_page
def moderate_proposal(proposal_id: int, person: str, roles):
    """R15: publish, or refuse on grounds of paragraph 14 with a justification in words."""
    form = request.form
    try:
        done = moderate(get_db(), proposal_id, person, roles, form.get("decision", ""),
                        form.getlist("grounds"), form.get("text", ""))
    except (NotAllowed, ProposalNotFound, AlreadyDecided, ReasonRequired, UnknownGround) as exc:
        return _refused(roles, proposal_id, "moderation", exc)
    if done["status"] == "published":
        flash(_("Proposal No. %(id)s is published.", id=proposal_id))
    else:
        flash(_("Publication of proposal No. %(id)s is refused.", id=proposal_id))
    return redirect(url_for(".dashboard", **filters()) + "#queue", 303)


@bp.post("/proposals/<int:proposal_id>/answer")
@staff_page
def answer_proposal(proposal_id: int, person: str, roles):
    """R16: accept or reject a published proposal, with a justification."""
    form = request.form
    try:
        answer(get_db(), proposal_id, person, roles, form.get("decision", ""),
               form.get("text", ""), manifest())
    except (NotAllowed, ProposalNotFound, AnswerWindowClosed, ReasonRequired) as exc:
        return _refused(roles, proposal_id, "answer", exc)
    except ManifestUnavailable:
        return _refused(roles, proposal_id, "answer", ProposalNotFound(proposal_id))
    flash(_("Your answer to proposal No. %(id)s is saved.", id=proposal_id))
    return redirect(url_for(".dashboard", **filters()) + "#answers", 303)
