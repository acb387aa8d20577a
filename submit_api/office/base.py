"""What every office page shares: the language (``?lang=``, then the session, then
Accept-Language, Kazakh by default), gettext from the shared catalogs, security headers,
the signed-in staff member and their roles, and refusals rendered as pages."""
from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlencode

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.i18n import date_long, date_short, translations
from submit_api.auth import current_person
from submit_api.db import get_db
from submit_api.errors import CSRF_MESSAGE, HTTP_MESSAGES, N_
from submit_api.office import bp
from submit_api.staff import Role, answering_codes, is_operator, lead_codes, roles_of
from submit_api.store import people

LANG_KEY = "office_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' wss://127.0.0.1:13579 ws://127.0.0.1:*; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}
ROLE_NAMES = {"operator": N_("Operator"), "lead": N_("Lead"), "employee": N_("Employee")}


class OfficeError(Exception):
    "A refusal shown as a page: an HTTP status, a sentence (an English msgid) and the rule"

    def __init__(self, status: int, message: str, rule: str | None = None, **params):
        super().__init__(message)
        self.status, self.message, self.rule, self.params = status, message, rule, params


# --- language -------------------------------------------------------------------------------

def lang() -> str:
    """The page language, chosen once per request; an explicit ``?lang=`` is remembered."""
    if "office_lang" not in g:
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            session[LANG_KEY] = asked
            chosen = asked
        elif session.get(LANG_KEY) in LANGUAGES:
            chosen = session[LANG_KEY]
        else:
            chosen = request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
        g.office_lang = chosen
    return g.office_lang


def _(message: str, **params) -> str:
    """Translate an English msgid into the page language (plain text, for flashes and errors)."""
    text = translations(current_app.config["LOCALE_DIR"], lang()).gettext(message)
    return text % params if params else text


def _markup(message: str, **params) -> Markup:
    """The templates' ``_``: the translation is trusted, the parameters are escaped."""
    text = Markup(translations(current_app.config["LOCALE_DIR"], lang()).gettext(message))
    return text % params if params else text


def day(value: str | dt.date | None, long: bool = False) -> str:
    """An ISO date (or date-time) as people of the page's language write it."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return date_long(value, lang()) if long else date_short(value, lang())


def moment(value: str | None) -> str:
    """An ISO date-time as a short date and the hour: "05.03.2025 10:00"."""
    if not value:
        return ""
    stamp = dt.datetime.fromisoformat(value)
    return f"{date_short(stamp.date(), lang())} {stamp:%H:%M}"


def short_person(value: str | None) -> str:
    """A person's keyed hash cut to 12 hex characters: enough to tell people apart (never an IIN)."""
    if not value:
        return ""
    return value[:12] if len(value) == 64 else value


def page_url(**changes) -> str:
    """This page's address with some query parameters changed (None drops one); after a
    refused form, the address of the page the form was on."""
    if request.method != "GET":
        return url_for(g.get("office_back", "office.dashboard"), **changes)
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


@bp.context_processor
def office_context() -> dict:
    roles = g.get("office_roles") or []
    return {
        "_": _markup, "gettext": _markup, "lang": lang(),
        "other_lang": "ru" if lang() == "kk" else "kk", "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "ROLE_NAMES": ROLE_NAMES,
        "day": day, "moment": moment, "short_person": short_person, "page_url": page_url,
        "roles": roles, "is_operator": is_operator(roles), "leads": sorted(lead_codes(roles)),
        "answers_for": sorted(answering_codes(roles)), "signed_in": g.get("office_person") is not None,
        "demo_signer": bool(current_app.config["DEMO_SIGNER"]),
        "ncalayer_url": current_app.config["NCALAYER_URL"],
    }


# --- headers --------------------------------------------------------------------------------

@bp.after_request
def security_headers(response):
    """The office's own policy; the rest of the one header set (ashyq.headers) is added by
    the app's after_request, which runs after this one."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "office.static":
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


# --- who is here ----------------------------------------------------------------------------

def render_page(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def staff_page(view):
    """Signed in (R13) and holding at least one staff role (R8); passes person and roles.
    Signed out: the sign-in page (401, 200 on the office's front page); no role: 403."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        person = current_person()
        if person is None:
            status = 200 if request.endpoint == "office.dashboard" else 401
            return render_page("office/sign_in.html", status)
        g.office_person = person
        roles: list[Role] = roles_of(get_db(), person)
        if not roles:
            return render_page("office/error.html", 403, title=N_("No access"),
                               message=_("This is for the staff of the operator and of state bodies."),
                               rule="R8")
        g.office_roles = roles
        return view(*args, person=person, roles=roles, **kwargs)
    return wrapper


# --- refusals as pages ----------------------------------------------------------------------

@bp.errorhandler(OfficeError)
def office_error(exc: OfficeError):
    return render_page("office/error.html", exc.status, title=N_("Not done"),
                       message=_(exc.message, **exc.params), rule=exc.rule)


@bp.errorhandler(CSRFError)  # registered by class too: the app's JSON handler is found by code
@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        message = _(CSRF_MESSAGE)
    else:
        message = _(HTTP_MESSAGES.get(status, HTTP_MESSAGES[400]))
    return render_page("office/error.html", status, title=N_("Not done"), message=message)


@bp.route("/<path:anything>")
def not_found(anything: str):
    raise OfficeError(404, HTTP_MESSAGES[404])


@bp.post("/sign-out")
def sign_out():
    """End the session here (as ``POST /api/auth/logout`` does) and show the sign-in page."""
    sid = session.get("sid")
    if sid:
        people.close_session(get_db(), sid)
    chosen = lang()
    session.clear()
    session[LANG_KEY] = chosen
    flash(_("You have signed out."))
    return redirect(url_for(".dashboard"))
