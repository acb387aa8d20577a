"""One JSON error shape for every error, in the request's language (kk or ru):

``{"ok": false, "status": N, "error": "<sentence>", "errors": [{"code", "message", "rule"?,
"field"?}]}``

Views raise :class:`ApiError` with an English msgid (marked with ``N_`` so the catalogs pick
it up); the handler translates it with the shared Babel catalogs. Werkzeug's HTTP errors (404,
405, 413, 429, CSRF 400...) get the same shape.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, current_app, g, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.i18n import date_long, translations
from submit_api.manifest import ManifestUnavailable

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a msgid for extraction; it is translated when the response is written."""
    return message


class ApiError(Exception):
    "A refusal with a status, a machine code, a sentence for people and the rule it enforces"

    def __init__(self, status: int, code: str, message: str, *, rule: str | None = None,
                 field: str | None = None, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, **params):
        super().__init__(message % params if params else message)
        self.status, self.code, self.message, self.rule, self.field = status, code, message, rule, field
        self.params, self.extra, self.headers = params, errors or [], headers or {}


def request_language() -> str:
    """``?lang=``, then the JSON body's ``lang``, then Accept-Language; Kazakh by default.
    The body is the one ``submit_api.inputs.json_body`` has read, if any: an error handler
    never parses the request again (it may be the very thing that failed)."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    body = g.get("json_body")
    if isinstance(body, dict) and body.get("lang") in LANGUAGES:
        return body["lang"]
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def translate(message: str, lang: str, **params) -> str:
    text = translations(current_app.config["LOCALE_DIR"], lang).gettext(message)
    values = {k: date_long(v, lang) if isinstance(v, dt.date) else v for k, v in params.items()}
    return text % values if values else text


def retry_after() -> int | None:
    """Seconds until the limit that refused this request lets the next one through (the same
    figure Flask-Limiter sends as Retry-After)."""
    import time

    from submit_api.limits import limiter
    current = limiter.current_limit
    return max(int(current.reset_at - time.time()), 1) if current else None


def wait_text(seconds: int, lang: str) -> str:
    """A wait as people read it: "45 с", "3 мин" (abbreviations need no plural forms)."""
    from babel.numbers import format_decimal
    if seconds < 90:
        return f"{format_decimal(max(seconds, 1), locale=lang)}\u00a0{translations_unit('s', lang)}"
    return f"{format_decimal(-(-seconds // 60), locale=lang)}\u00a0{translations_unit('min', lang)}"


#: Kazakh: "45 секундтан кейін" (no plural after numbers); Russian abbreviates to avoid plurals.
WAIT_UNITS = {"kk": {"s": "секундтан", "min": "минуттан"}, "ru": {"s": "с", "min": "мин"}}


def translations_unit(unit: str, lang: str) -> str:
    return WAIT_UNITS.get(lang, WAIT_UNITS["kk"])[unit]


def error_body(status: int, message: str, errors: list[dict]) -> dict:
    return {"ok": False, "status": status, "error": message, "errors": errors}


HTTP_MESSAGES = {
    400: N_("The request is malformed."),
    401: N_("Sign in with your electronic digital signature first (R13)."),
    403: N_("You are not allowed to do this."),
    404: N_("Nothing here: check the address."),
    405: N_("This method is not allowed here."),
    413: N_("The request is too large."),
    429: N_("Too many requests: wait a little and try again."),
    500: N_("Something went wrong on our side. Try again; if it happens again, tell the portal operator."),
}
RETRY_MESSAGE = N_("Too many attempts in a short time: try again in %(wait)s.")
MANIFEST_MESSAGE = N_("The list of documents is being updated. Try again in a minute.")
CSRF_MESSAGE = N_("The form has expired or lacks its security token: reload the page and try again.")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        lang = request_language()
        message = translate(exc.message, lang, **exc.params)
        item = {"code": exc.code, "message": message}
        if exc.rule:
            item["rule"] = exc.rule
        if exc.field:
            item["field"] = exc.field
        response = jsonify(error_body(exc.status, message, [item, *exc.extra]))
        response.headers.update(exc.headers)  # Retry-After of a 429
        return response, exc.status

    @app.errorhandler(ManifestUnavailable)
    def manifest_unavailable(exc: ManifestUnavailable):
        """A build is swapping the manifest in, or it is broken: the service is unavailable for
        a moment (503), not broken (500)."""
        log.error("the manifest cannot be read: %s", exc)
        return api_error(ApiError(503, "manifest_unavailable", MANIFEST_MESSAGE,
                                  headers={"Retry-After": "60"}))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = translate(CSRF_MESSAGE, request_language())
        return jsonify(error_body(400, message, [{"code": "csrf", "message": message}])), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        headers = exc.get_headers() if status in (405, 429) else []
        lang = request_language()
        retry = retry_after() if status == 429 else None
        if retry:  # issue 14: say how long to wait
            message = translate(RETRY_MESSAGE, lang, wait=wait_text(retry, lang))
        else:
            message = translate(HTTP_MESSAGES.get(status, HTTP_MESSAGES[400]), lang)
        item = {"code": exc.name.lower().replace(" ", "_"), "message": message}
        if retry:
            item["retry_after"] = retry
        response = jsonify(error_body(status, message, [item]))
        for name, value in headers:
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        message = translate(HTTP_MESSAGES[500], request_language())
        return jsonify(error_body(500, message, [{"code": "internal", "message": message}])), 500
