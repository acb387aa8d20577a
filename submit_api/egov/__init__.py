"""Sign-in with eGov mobile / eGov Business (R13), beside NCALayer.

The browser starts an operation (``POST /api/auth/egov/start``): the server issues the same
one-time challenge as for NCALayer and answers with a QR code (computers) and deep links
(phones). The app signs the challenge through the eGov mobile QR-signing protocol
(:mod:`submit_api.egov.protocol`), either

- ``direct`` (``ASHYQ_EGOV_MODE=direct``, the default): this server is the signing endpoint -
  ``GET /api/auth/egov/<op>`` (API No.1), ``GET``/``PUT /api/auth/egov/<op>/document`` (API No.2); or
- ``broker`` (``ASHYQ_EGOV_MODE=broker``, ``ASHYQ_EGOV_BROKER_URL``): a SIGEX-like broker holds
  the operation (``POST /api/egovQr``) and this server hands it the challenge and collects the
  signature in the background (:mod:`submit_api.egov.broker`).

The signed XML is checked by :func:`submit_api.auth.check_signed_challenge`, exactly as the
NCALayer path (chain, key usage, revocation, nonce fresh and unused, and the nonce of *this*
operation). The browser polls ``POST /api/auth/egov/poll``; once signed, it gets a new session
and CSRF token as with NCALayer.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, current_app, request, session

from submit_api.auth import (
    SignedIn,
    check_signed_challenge,
    new_challenge,
    require_checker,
    signed_in_answer,
)
from submit_api.db import get_db
from submit_api.egov import protocol
from submit_api.store import egov as store
from submit_api.errors import N_, ApiError
from submit_api.identity import Participant
from submit_api.limits import limiter, setting

log = logging.getLogger(__name__)
bp = Blueprint("egov", __name__)

DESCRIPTION = "Ашық бюджеттер порталына кіру / Вход на портал «Открытые бюджеты»"
SESSION_KEY = "egov_op"


def init_app(app: Flask) -> None:
    if app.config["EGOV_MODE"] not in ("direct", "broker"):
        raise ValueError("ASHYQ_EGOV_MODE must be direct or broker")
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the app has no CSRF token: the operation id is its credential
        csrf.exempt(app_document)


def _public_url() -> str:
    """Where the phone reaches this portal: the setting, else (production) the audience of the
    challenges, else (development) the address the browser used."""
    config = current_app.config
    fallback = config["AUDIENCE"] if config["ENV"] == "production" else request.host_url
    return (config["EGOV_PUBLIC_URL"] or fallback).rstrip("/")


def _error(exc: ApiError) -> dict:
    return {"status": exc.status, "code": exc.code, "message": exc.message, "rule": exc.rule}


def accept_signature(op: store.Operation, signed_xml: str) -> SignedIn:
    """Check what the app signed (the one check of every sign-in path) and record the result."""
    conn = get_db()
    try:
        signed = check_signed_challenge(signed_xml.encode("utf-8"), expected_nonce=op.nonce)
    except ApiError as exc:
        store.mark_refused(conn, op.id, _error(exc))
        raise
    if not store.mark_signed(conn, op.id, signed.who.person, signed.who.party, signed.who.kind,
                             signed.name, signed.organisation):
        raise _used()
    return signed


def _used() -> ApiError:
    return ApiError(409, "egov_operation_used",
                    N_("This QR code or link has already been used. Start signing in again."),
                    rule="R13")


def _open_operation(op_id: str) -> store.Operation:
    """The operation the app asks about, still open, or a 4xx."""
    op = store.get(get_db(), op_id)
    if op is None or op.mode != "direct":
        raise ApiError(404, "egov_operation_unknown",
                       N_("This sign-in QR code or link is unknown. Start signing in again."),
                       rule="R13")
    if op.expired:
        raise ApiError(410, "egov_operation_expired",
                       N_("This sign-in QR code or link has expired. Start signing in again."),
                       rule="R13")
    if op.status not in store.OPEN:
        raise _used()
    return op


@bp.post("/api/auth/egov/start")
@limiter.limit(setting("RATELIMIT_SIGN_IN"))
def start():
    require_checker()
    config = current_app.config
    nonce, challenge = new_challenge()
    ttl = config["CHALLENGE_TTL_SECONDS"]
    conn = get_db()
    if config["EGOV_MODE"] == "broker":
        from submit_api.egov import broker
        op = store.create(conn, nonce, challenge, "broker", ttl)
        links = broker.start(current_app._get_current_object(), op, DESCRIPTION)
        qr = {"image": "data:image/png;base64," + links["qrCode"], "text": None}
        mobile, business = links["eGovMobileLaunchLink"], links["eGovBusinessLaunchLink"]
    else:
        op = store.create(conn, nonce, challenge, "direct", ttl)
        service_url = f"{_public_url()}/api/auth/egov/{op.id}"
        text = protocol.qr_text(service_url)
        qr = {"image": protocol.qr_svg_data_url(text), "text": text}
        mobile = protocol.deep_link("mobile", service_url)
        business = protocol.deep_link("business", service_url)
    session[SESSION_KEY] = op.id
    return {"qr": qr["image"], "qr_text": qr["text"],
            "links": {"mobile": mobile, "business": business},
            "expires_in": ttl, "poll_every": 2}


@bp.get("/api/auth/egov/<op_id>")
@limiter.limit(setting("RATELIMIT_EGOV_APP"))
def app_description(op_id: str):
    """API No.1: what the app shows, and where the document is."""
    op = _open_operation(op_id)
    return protocol.description_document(
        DESCRIPTION, op.expires_at, f"{_public_url()}/api/auth/egov/{op.id}/document",
        current_app.config["EGOV_ORGANISATION"])


@bp.route("/api/auth/egov/<op_id>/document", methods=["GET", "PUT", "POST"])
@limiter.limit(setting("RATELIMIT_EGOV_APP"))
def app_document(op_id: str):
    """API No.2: the challenge to sign (GET); the signed challenge (PUT, or POST)."""
    op = _open_operation(op_id)
    if request.method == "GET":
        store.mark_fetched(get_db(), op.id)
        return protocol.documents_to_sign(op.challenge, DESCRIPTION)
    try:
        signed = protocol.signed_document(request.get_json(silent=True))
    except protocol.ProtocolError as exc:
        raise ApiError(400, "egov_bad_answer",
                       N_("The signing application sent an answer this portal cannot read."),
                       rule="R13") from exc
    accept_signature(op, signed)
    return {"ok": True}


@bp.post("/api/auth/egov/poll")
@limiter.limit(setting("RATELIMIT_EGOV_POLL"))
def poll():
    """The browser that started the operation asks whether the app has signed."""
    op_id = session.get(SESSION_KEY)
    op = store.get(get_db(), op_id) if op_id else None
    if op is None:
        raise ApiError(404, "egov_operation_unknown",
                       N_("This sign-in QR code or link is unknown. Start signing in again."),
                       rule="R13")
    if op.status == "refused":
        session.pop(SESSION_KEY, None)
        error = op.error or {}
        raise ApiError(error.get("status", 400), error.get("code", "bad_signature"),
                       error.get("message") or N_("The signature does not match the document. Sign in again."),
                       rule=error.get("rule") or "R13")
    if op.status == "signed":
        taken = store.take_signed(get_db(), op.id)
        if taken is not None:
            return signed_in_answer(SignedIn(Participant(taken.person, taken.party, taken.kind),
                                             taken.name or "", taken.organisation, taken.nonce))
    if op.status in store.OPEN and op.expired:
        session.pop(SESSION_KEY, None)
        raise ApiError(410, "egov_operation_expired",
                       N_("This sign-in QR code or link has expired. Start signing in again."),
                       rule="R13")
    if op.status not in store.OPEN:
        raise _used()
    return {"ok": True, "status": op.status,
            "expires_in": max(0, int(op.expires_at - time.time()))}, 202
