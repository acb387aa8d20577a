"""Budget reporting from the central body's own systems (R8): ``POST /api/ingest/budget-reporting``.

A machine interface for the Ministry of Finance (R4): the body is the file itself (``text/csv``,
``application/json`` or an XLSX workbook), ``?name=`` its file name. The sending system proves
who it is with ``Authorization: Bearer <token>``; tokens come from ``INGEST_TOKENS``
(``ASHYQ_INGEST_TOKENS='{"system name": "token"}'``). No cookie is involved, so the blueprint
is exempt from CSRF checks.

The file goes through :func:`ashyq.budget.import_budget_file`: refused whole (422, one item per
problem with its row and column) or archived as received and published as a dataset in the
content folder. A content change needs a full build: a successful ingest writes the flag file
``INGEST_REBUILD_FLAG`` (default ``var/rebuild-needed``, JSON: what changed) and calls
``app.extensions["ashyq_rebuild"](result)`` if the app has that hook. Whoever builds removes
the flag *before* building, so a file arriving during a build triggers another one.

Settings (Flask config, ``ASHYQ_`` environment variables): ``INGEST_TOKENS``,
``CONTENT`` (content folder), ``INGEST_ARCHIVE`` (received files), ``INGEST_REBUILD_FLAG``,
``INGEST_MAX_BYTES`` (default 20 MB; the rest of the API keeps ``MAX_CONTENT_LENGTH``).
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
from pathlib import Path

from flask import Blueprint, current_app, request

from ashyq.budget import (
    MEDIA_TYPES,
    BudgetFileInvalid,
    import_budget_file,
    read_administrators,
)
from ashyq.files import atomic_write
from submit_api.errors import N_, ApiError, request_language, translate

log = logging.getLogger(__name__)
bp = Blueprint("ingest", __name__)

PATH = "/api/ingest/budget-reporting"
FORMATS = {media: fmt for fmt, media in MEDIA_TYPES.items()}


@bp.record_once
def _exempt_from_csrf(state) -> None:
    """A machine client with a bearer token and no session cookie: CSRF does not apply (R8)."""
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def setting(name: str):
    return current_app.config[name]


def system_tokens() -> dict[str, str]:
    """``{system name: token}`` from ``INGEST_TOKENS`` (a dict, or its JSON text)."""
    value = setting("INGEST_TOKENS") or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            log.error("INGEST_TOKENS is not a JSON object: no system can send reporting")
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(name): str(token) for name, token in value.items() if token}


def authenticate() -> str:
    """The name of the system whose token the request carries (R8), or a 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "token_missing", N_(
            "Send the token of your system: Authorization: Bearer <token> (R8)."), rule="R8")
    found = None
    for name, expected in system_tokens().items():  # compare with every token: no timing hint
        if hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
            found = name
    if found is None:
        raise ApiError(401, "token_invalid", N_("This token is not valid (R8)."), rule="R8")
    return found


@bp.after_request
def _bearer_challenge(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ashyq-ingest"'
    return response


def mark_rebuild_needed(result, system: str) -> Path:
    """Record that the content changed and the site needs a full build."""
    flag = Path(setting("INGEST_REBUILD_FLAG"))
    atomic_write(flag, json.dumps({
        "reason": "budget-reporting", "period": result.period, "system": system,
        "dataset": str(result.dataset_path), "archived": str(result.archive_path),
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }) + "\n")
    hook = current_app.extensions.get("ashyq_rebuild")
    if hook is not None:
        hook(result)
    return flag


@bp.post(PATH)
def ingest_budget_reporting():
    system = authenticate()
    request.max_content_length = int(setting("INGEST_MAX_BYTES"))  # files outgrow the API's cap
    fmt = FORMATS.get(request.mimetype)
    if fmt is None:
        raise ApiError(415, "unsupported_media_type", N_(
            "Send the file as text/csv, application/json or an XLSX workbook."), rule="R8")
    data = request.get_data()
    if not data:
        raise ApiError(400, "empty_body", N_("The request has no file."), rule="R8")
    name = request.args.get("name") or f"budget-reporting.{fmt}"
    content = Path(setting("CONTENT"))
    try:
        result = import_budget_file(data, name, content, Path(setting("INGEST_ARCHIVE")),
                                    read_administrators(content), fmt=fmt, system=system)
    except BudgetFileInvalid as exc:
        lang = request_language()
        items = [{"code": p.code, "message": translate(p.message, lang, **p.params),
                  "rule": p.rule, "field": p.field} for p in exc.problems]
        log.info("budget file %r from %s refused: %d problem(s)", name, system, len(items))
        raise ApiError(422, "file_refused", N_(
            "The file was refused as a whole, nothing was published: %(count)s problem(s)."),
            rule="R4", errors=items, count=len(exc.problems)) from exc
    mark_rebuild_needed(result, system)
    log.info("budget reporting %s from %s: %d rows, kept as %s",
             result.period, system, result.rows, result.archive_path.name)
    return {"ok": True, "period": result.period, "rows": result.rows,
            "administrators": result.administrators, "replaced": result.replaced,
            "sha256": result.sha256, "archived": result.archive_path.name,
            "rebuild": "pending"}, 201
