"""E-mail follow: a signed-in person follows a discussion or a state body by e-mail.

- ``POST /api/follows`` (signed in): the address is stored (only in the database) and a
  confirmation e-mail is queued; nothing else is sent until its link is opened.
- ``GET``/``POST /api/follows/confirm/<token>``: the page of the confirmation link (GET shows a
  button, so that mail scanners that open links confirm nothing; POST confirms).
- ``GET``/``POST /api/follows/unsubscribe/<token>``: the ``List-Unsubscribe`` address; a POST
  (the mail client's one-click, RFC 8058, or the page's button) ends the follow at once.
- ``GET /api/follows``, ``POST /api/follows/stop`` (signed in): one's follows, and ending one.

Events and sending are the rebuild worker's (:mod:`submit_api.follow.run`).
"""
from __future__ import annotations

import re

from flask import Blueprint, Flask, render_template, request

from ashyq import clock
from ashyq.doctypes import LANGUAGES
from submit_api.auth import signed_in
from submit_api.db import get_db
from submit_api.errors import N_, ApiError, request_language, translate
from submit_api.store import follows as store
from submit_api.inputs import field, json_body
from submit_api.limits import limiter, person_or_address, setting

bp = Blueprint("follow", __name__)

EMAIL = re.compile(r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
PAGES = {
    "confirm": (N_("Confirm e-mail follow"), N_("Press the button to start receiving letters."),
                N_("Confirm")),
    "confirmed": (N_("You follow by e-mail"), N_("We will write when something happens. Every letter has a link to stop."), None),
    "unsubscribe": (N_("Stop the letters"), N_("Press the button to stop receiving these letters."),
                    N_("Stop the letters")),
    "unsubscribed": (N_("The letters are stopped"), N_("You will not receive these letters any more."), None),
    "unknown": (N_("Link not valid"), N_("This link is unknown or has already been replaced by a newer one."), None),
}


def init_app(app: Flask) -> None:
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # e-mail links: the token in the address is the credential
        csrf.exempt(confirm_link)
        csrf.exempt(unsubscribe_link)


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")


def _target_exists(target_type: str, target_id: str) -> bool:
    from submit_api.manifest import manifest
    documents = manifest().documents()
    if target_type == "document":
        return target_id in documents
    return any(d.administrator == target_id for d in documents.values())


def _page(kind: str, lang: str, action: str | None = None, status: int = 200):
    heading, text, button = PAGES[kind]
    html = render_template(
        "follow/page.html", lang=lang, site=translate("Open Budgets", lang),
        heading=translate(heading, lang), text=translate(text, lang),
        button=translate(button, lang) if button else None, action=action,
        home=translate("Home", lang))
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.post("/api/follows")
@limiter.limit(setting("RATELIMIT_FOLLOW"), key_func=person_or_address)
@signed_in
def follow(person: str):
    body = json_body()  # issue 13: the one reader (depth, UTF-8, an object) - a 400, never a 500
    target_type, target_id = field(body, "target_type"), field(body, "target_id")
    email, lang = field(body, "email"), field(body, "lang") or request_language()
    if target_type not in store.TARGETS or not isinstance(target_id, str) or \
            not _target_exists(target_type, target_id):
        raise ApiError(404, "follow_target_unknown",
                       N_("There is no such discussion or state body to follow."), field="target_id")
    if not isinstance(email, str) or len(email) > 254 or not EMAIL.match(email.strip()):
        raise ApiError(422, "email_invalid", N_("Enter a valid e-mail address."), field="email")
    if lang not in LANGUAGES:
        raise ApiError(422, "lang_invalid", N_("The language must be kk or ru."), field="lang")
    result, queued = store.start(get_db(), person, email.strip(), target_type, target_id, lang, _now())
    return {"ok": True, "confirm_sent": queued, "confirmed": result.confirmed and not queued}, 202


@bp.get("/api/follows")
@signed_in
def my_follows(person: str):
    return {"follows": store.of_person(get_db(), person)}


@bp.post("/api/follows/stop")
@signed_in
def stop(person: str):
    body = json_body()
    if not store.stop(get_db(), person, str(body.get("target_type")), str(body.get("target_id")), _now()):
        raise ApiError(404, "follow_unknown", N_("You do not follow this."))
    return {"ok": True}


@bp.route("/api/follows/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_FOLLOW_LINKS"))
def confirm_link(token: str):
    conn = get_db()
    found = store.by_token(conn, token)
    if found is None or not found.active:
        return _page("unknown", request_language(), status=404)
    if request.method == "GET" and not found.confirmed:
        return _page("confirm", found.lang, action=request.path)
    store.confirm(conn, token, _now())
    return _page("confirmed", found.lang)


@bp.route("/api/follows/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_FOLLOW_LINKS"))
def unsubscribe_link(token: str):
    """RFC 8058: a POST (body ``List-Unsubscribe=One-Click``) ends the follow, no questions."""
    conn = get_db()
    found = store.by_token(conn, token)
    if found is None:
        return _page("unknown", request_language(), status=404)
    if request.method == "GET" and found.active:
        return _page("unsubscribe", found.lang, action=request.path)
    store.unsubscribe(conn, token, _now())
    return _page("unsubscribed", found.lang)
