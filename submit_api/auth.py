"""Sign-in with an electronic digital signature (R13).

1. ``GET /api/auth/challenge``: a one-time XML document (random nonce, issue time, audience).
2. NCALayer on the citizen's computer signs it with their authentication key.
3. ``POST /api/auth/eds``: the signature and certificate are checked (``submit_api.eds``), then
   the nonce - read only from the verified content - must have come from this server, be under
   5 minutes old and never used. The person is the keyed hash of the certificate's IIN; a
   legal entity's key takes part as its organisation (keyed BIN; paragraph 2(1), R11, R13),
   see :func:`submit_api.identity.participant`.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import time
from pathlib import Path
from xml.sax.saxutils import escape

from flask import Blueprint, Flask, current_app, jsonify, session
from flask_wtf.csrf import generate_csrf

from ashyq import clock
from submit_api.db import get_db, transaction
from submit_api.eds import SignatureRejected, make_checker
from submit_api.eds.xmlsafe import parse_xml
from submit_api.errors import N_, ApiError
from submit_api.identity import Participant, participant
from submit_api.inputs import field, json_body
from submit_api.limits import limiter, person_or_address, setting
from submit_api.staff import roles_of
from submit_api.store import people

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

CHALLENGE_NS = "urn:ashyq:sign-in:1"
CHALLENGE_TAG = f"{{{CHALLENGE_NS}}}login"

SIGN_IN_REQUIRED = N_("Sign in with your electronic digital signature first (R13).")

REJECTION_MESSAGES = {
    "malformed": N_("The signed document could not be read. Sign in again."),
    "no_signature": N_("The document is not signed. Sign in again with your key."),
    "bad_signature": N_("The signature does not match the document. Sign in again."),
    "wrapped": N_("The signed document has been altered. Sign in again."),
    "untrusted_chain": N_("The certificate was not issued by a trusted certification authority (NCA RK)."),
    "expired": N_("Your certificate has expired. Get a new one from the National Certification Authority."),
    "not_yet_valid": N_("Your certificate is not valid yet."),
    "revoked": N_("Your certificate has been revoked."),
    "revocation_unknown": N_("We could not check whether your certificate is revoked. Try again later."),
    "wrong_key_usage": N_("This is not an authentication key: choose the key whose name starts with AUTH (not RSA or GOST signing keys)."),
    "no_iin": N_("The certificate has no IIN."),
    "bad_iin": N_("The IIN in the certificate is not valid."),
    "checker_unavailable": N_("The signature check service is unavailable. Try again later."),
}


def init_app(app: Flask) -> None:
    config = app.config
    if config["DEMO_SIGNER"]:
        from submit_api.eds.testpki import make_test_pki
        pki = make_test_pki(Path(config["DEMO_PKI"]))
        app.extensions["ashyq_demo_pki"] = pki
        if not config["EDS_TRUSTED_CERTS"]:
            config["EDS_TRUSTED_CERTS"] = str(pki.trusted_bundle)
            config["EDS_CRLS"] = [str(p) for p in pki.crls]
        log.warning("DEMO SIGNER ENABLED: challenges can be signed without NCALayer "
                    "by demo certificates (development only)")
    if config["EDS_TRUSTED_CERTS"] or config["EDS_CHECKER"] != "xmldsig":
        app.extensions["ashyq_checker"] = make_checker(config)


def challenge_xml(nonce: str, issued: str, audience: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<login xmlns="{CHALLENGE_NS}">'
            f"<nonce>{nonce}</nonce><issued>{issued}</issued>"
            f"<audience>{escape(audience)}</audience></login>")


@bp.get("/api/auth/challenge")
@limiter.limit(setting("RATELIMIT_SIGN_IN"))
def challenge():
    nonce = secrets.token_hex(32)
    now = time.time()
    people.add_challenge(get_db(), nonce, now,
                         now - 24 * 3600)  # old ones: keep a day for replay detection
    issued = dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat(timespec="seconds")
    return {"challenge": challenge_xml(nonce, issued, current_app.config["AUDIENCE"]),
            "expires_in": current_app.config["CHALLENGE_TTL_SECONDS"]}


def _read_challenge(root) -> tuple[str, str]:
    """Nonce and audience from the *verified* content only."""
    if root.tag != CHALLENGE_TAG:
        raise ApiError(400, "not_a_challenge", N_("This is not a sign-in document of this portal."),
                       rule="R13")
    nonce = root.findtext(f"{{{CHALLENGE_NS}}}nonce") or ""
    audience = root.findtext(f"{{{CHALLENGE_NS}}}audience") or ""
    return nonce.strip(), audience.strip()


def consume_nonce(nonce: str) -> None:
    """Mark the nonce used; refuse a foreign, stale or replayed one (R13)."""
    now = time.time()
    ttl = current_app.config["CHALLENGE_TTL_SECONDS"]
    conn = get_db()
    if people.use_challenge(conn, nonce, now, now - ttl):
        return
    row = people.challenge(conn, nonce)
    if row is None:
        raise ApiError(400, "foreign_nonce", N_("This sign-in document was not issued by this portal. Start again."), rule="R13")
    if row[1] is not None:
        raise ApiError(400, "replayed_nonce", N_("This sign-in document has already been used. Start again."), rule="R13")
    raise ApiError(400, "stale_nonce", N_("The sign-in document is more than 5 minutes old. Start again."), rule="R13")


def start_session(who: Participant) -> None:
    """A session for the signer (``person``, staff roles) acting for ``party`` (votes,
    proposals): the organisation for a legal entity's key (¶2(1), R13)."""
    now = time.time()
    conn = get_db()
    stamp = clock.now().isoformat(timespec="seconds")
    sid = secrets.token_urlsafe(32)
    with transaction(conn):
        for key, kind in {who.person: "individual", who.party: who.kind}.items():
            people.seen(conn, key, kind, stamp)
        people.open_session(conn, sid, who.person, now,
                            now + current_app.config["SESSION_HOURS"] * 3600, who.party)
    session.clear()
    session["sid"], session["person"] = sid, who.party
    session.permanent = False


def current_session() -> Participant | None:
    """Who is signed in: the signer and the party they act for, or None."""
    sid = session.get("sid")
    if not sid:
        return None
    found = people.session_party(get_db(), sid, time.time())
    if found is None:
        return None
    person, party = found
    return Participant(person, party, "legal" if party != person else "individual")


def current_person() -> str | None:
    """The keyed hash of the signed-in *person* (the signer: staff roles, R8), or None."""
    who = current_session()
    return who.person if who else None


def current_party() -> str | None:
    """Who takes part (votes, proposes): the person, or their organisation (¶2(1), R11)."""
    who = current_session()
    return who.party if who else None


def signed_in(view):
    """Views that need a signed-in participant get it as ``person`` (the person, or the
    organisation a legal entity's key acts for: ¶2(1), R11, R13); others get a 401 (R13)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        person = current_party()
        if person is None:
            raise ApiError(401, "sign_in_required", SIGN_IN_REQUIRED, rule="R13")
        return view(*args, person=person, **kwargs)
    return wrapper


@bp.post("/api/auth/eds")
@limiter.limit(setting("RATELIMIT_SIGN_IN"))
def sign_in():
    checker = current_app.extensions.get("ashyq_checker")
    if checker is None:
        raise ApiError(503, "eds_not_configured",
                       N_("Sign-in is not configured on this server (no trusted certificates)."))
    signed = field(json_body(), "signed_xml")
    if not signed or not signed.strip():
        raise ApiError(400, "signed_xml_required", N_("Send the signed document as signed_xml."),
                       field="signed_xml", rule="R13")
    try:
        verified = checker.check(signed.encode("utf-8"))
    except SignatureRejected as exc:
        log.info("sign-in refused: %s (%s)", exc.code, exc)
        status = 503 if exc.code == "checker_unavailable" else 400
        raise ApiError(status, exc.code, REJECTION_MESSAGES.get(exc.code, REJECTION_MESSAGES["bad_signature"]),
                       rule="R13") from exc
    nonce, audience = _read_challenge(verified.root)
    if audience != current_app.config["AUDIENCE"]:
        raise ApiError(400, "foreign_nonce", N_("This sign-in document was not issued by this portal. Start again."), rule="R13")
    consume_nonce(nonce)
    signer = verified.signer
    # ¶2(1), R13: a legal entity's key takes part as its organisation (keyed BIN).
    who = participant(signer.kind, signer.iin, signer.bin, current_app.config["IDENTITY_KEY"])
    start_session(who)
    return {"ok": True, "signed_in": True, "kind": who.kind,
            "name": signer.given_name or signer.common_name,
            "organisation": organisation_name(signer) if who.is_organisation else None,
            "csrf_token": generate_csrf()}


def organisation_name(signer) -> str:
    """The organisation's name from the certificate (O), shown back once; never stored."""
    return signer.organisation or ""


@bp.post("/api/auth/logout")
def logout():
    sid = session.get("sid")
    if sid:
        people.close_session(get_db(), sid)
    session.clear()
    return {"ok": True, "signed_in": False}


@bp.get("/api/me")
def me():
    person = current_person()
    demo = bool(current_app.config["DEMO_SIGNER"])
    if person is None:
        return {"signed_in": False, "demo_signer": demo}
    who = current_session()
    roles = [{"role": r.role, "administrator": r.administrator} for r in roles_of(get_db(), who.person)]
    # ¶2(1): the page says whether one takes part as a person or as an organisation
    return {"signed_in": True, "kind": who.kind, "as": "organisation" if who.is_organisation
            else "person", "demo_signer": demo, "staff": roles}


@bp.get("/api/csrf")
def csrf():
    return jsonify({"csrf_token": generate_csrf()})


@bp.post("/api/auth/demo-sign")
@limiter.limit(setting("RATELIMIT_SIGN_IN"), key_func=person_or_address)
def demo_sign():
    """DEVELOPMENT ONLY: sign a challenge with a demo certificate, as NCALayer would."""
    pki = current_app.extensions.get("ashyq_demo_pki")
    if pki is None:
        raise ApiError(404, "not_found", N_("Nothing here: check the address."))
    body = json_body()
    challenge_text, who = field(body, "challenge"), field(body, "person", int, 1)
    if not challenge_text or not 1 <= who <= 5:
        raise ApiError(400, "bad_request", N_("The request is malformed."))
    try:
        _read_challenge(parse_xml(challenge_text))  # only this portal's challenges are signed
    except SignatureRejected as exc:
        raise ApiError(400, "not_a_challenge", N_("This is not a sign-in document of this portal."),
                       rule="R13") from exc
    return {"signed_xml": pki.sign_xml(challenge_text.encode("utf-8"), who=f"person{who}").decode("utf-8"),
            "demo": True}
