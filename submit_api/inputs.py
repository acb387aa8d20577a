"""Reading what a request sends (issue 13): one JSON body reader for every endpoint, typed
fields and query arguments. Whatever cannot be read is a 400 in the one error shape, never a
500; the content of free texts is judged by the rules (R14) where they are used.

The parsed body is kept on ``g`` so the error handlers can find its ``lang`` without reading
the body a second time.
"""
from __future__ import annotations

from flask import g, request

from ashyq.jsonread import MAX_DEPTH, JsonRefused, loads
from submit_api.errors import N_, ApiError

JSON_MESSAGES = {
    "json_malformed": N_("The request body is not valid JSON in UTF-8."),
    "json_too_deep": N_("The JSON is nested too deeply: at most %(limit)s levels."),
}
TYPE_MESSAGES = {
    str: N_("“%(name)s” must be text."),
    int: N_("“%(name)s” must be a whole number."),
    list: N_("“%(name)s” must be a list."),
}


def json_body() -> dict:
    """The request's JSON object, or a 400 saying what is wrong with it."""
    if "json_body" in g:
        return g.json_body
    try:
        body = loads(request.get_data(cache=True))
    except JsonRefused as exc:
        raise ApiError(400, exc.code, JSON_MESSAGES[exc.code], limit=MAX_DEPTH) from exc
    if not isinstance(body, dict):
        raise ApiError(400, "json_object_required", N_("Send a JSON object."))
    g.json_body = body
    return body


def _wrong_type(name: str, kind: type) -> ApiError:
    return ApiError(400, "bad_type", TYPE_MESSAGES[kind], field=name, name=name)


def field(body: dict, name: str, kind: type = str, default=None):
    """``body[name]`` if it is a ``kind``; ``default`` when absent or null; else a 400.
    Text fields must be valid Unicode (no lone surrogate, which nothing can store)."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _wrong_type(name, kind)
    if kind is str and not is_unicode(value):
        raise ApiError(400, "invalid_unicode",
                       N_("“%(name)s” contains a broken character (a lone surrogate)."),
                       field=name, name=name)
    return value


def text_field(body: dict, name: str) -> str:
    """A free text (proposal, answer, justification): its type here, its content by the
    rules where it is used (R14: ``screening.bad_characters``)."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _wrong_type(name, str)
    return value


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer query argument kept between ``minimum`` and ``maximum``; not a number: 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise _wrong_type(name, int) from None
    return min(max(value, minimum), maximum)


def is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
