"""Receipts for proposals (R14, issue 15): proof, signed by the portal, of what was sent and when.

A receipt is a JWS (RFC 7515, compact form) signed with the portal's organisation key
(:mod:`submit_api.portal_key`; RS256 for RSA keys, ES256 for P-256 keys). Its payload::

    {"typ": "ashyq-proposal-receipt", "v": 1, "rule": "R14", "proposal": 42,
     "document": "BP-2026-225-001", "part": "purpose", "lang": "kk",
     "received": "2026-03-05T11:30:00+05:00", "text_sha256": "…", "demo": false}

No personal data: no name, IIN or identity hash; the text itself only as its SHA-256 (of the
text as stored: Unicode NFC, trimmed), so the holder keeps the text and the receipt together.
The header names the certificate by its SHA-256 thumbprint (``x5t#S256``); anyone checks a
receipt against ``/opendata/portal-certificate.pem`` with any JWS library, or with
:func:`verify_receipt` / ``POST /api/receipts/verify`` here. RSA PKCS #1 v1.5 signatures are
deterministic: the same proposal always gets the same receipt.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import unicodedata
from collections.abc import Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                             encode_dss_signature)
from flask import Blueprint, current_app

from submit_api import portal_key
from submit_api.errors import N_, ApiError
from submit_api.inputs import field, json_body

bp = Blueprint("receipts", __name__)
log = logging.getLogger(__name__)

TYPE = "ashyq-proposal-receipt"
FORMAT = 1
#: What a person reads when a receipt does not verify, by the refusal's code.
MESSAGES = {
    "receipt_malformed": N_("This is not a proposal receipt of the portal."),
    "receipt_unknown_signer": N_("The receipt is not signed with the portal's published "
                                 "certificate."),
    "receipt_signature": N_("The portal's signature does not match: the receipt was changed."),
    "receipt_text": N_("The text is not the one this receipt was given for."),
}


class ReceiptInvalid(ValueError):
    "A receipt that does not verify"

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def text_hash(text: str) -> str:
    """SHA-256 of the text as the portal stores it (NFC, trimmed), hex."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).strip().encode("utf-8")).hexdigest()


def thumbprint(cert: x509.Certificate) -> str:
    return _b64(cert.fingerprint(hashes.SHA256()))


def payload_of(proposal: Mapping, demo: bool = False) -> dict:
    """The receipt's claims from a stored proposal (id, document, part, lang, text,
    created_at)."""
    return {"typ": TYPE, "v": FORMAT, "rule": "R14", "proposal": int(proposal["id"]),
            "document": proposal["document"], "part": proposal["part"],
            "lang": proposal["lang"], "received": proposal["created_at"],
            "text_sha256": text_hash(proposal["text"]), "demo": demo}


def _algorithm(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and \
            key.curve.name == "secp256r1":
        return "ES256"
    raise portal_key.PortalKeyError("receipts need an RSA or a P-256 key")


def make_receipt(key: portal_key.PortalKey, proposal: Mapping) -> str:
    """The compact JWS of one proposal's receipt."""
    alg = _algorithm(key.key)
    header = {"alg": alg, "typ": "JOSE", "cty": TYPE, "x5t#S256": thumbprint(key.cert)}
    signing_input = ".".join(
        _b64(json.dumps(part, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
             .encode("utf-8")) for part in (header, payload_of(proposal, key.demo)))
    data = signing_input.encode("ascii")
    if alg == "RS256":
        signature = key.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{_b64(signature)}"


def verify_receipt(receipt: str, text: str, certificates: list[x509.Certificate]) -> dict:
    """The receipt's claims when it is the portal's signature and ``text`` is the text it was
    given for; raises :class:`ReceiptInvalid` otherwise (a changed letter fails)."""
    try:
        head_b64, body_b64, sig_b64 = receipt.strip().split(".")
        header = json.loads(_unb64(head_b64))
        claims = json.loads(_unb64(body_b64))
        signature = _unb64(sig_b64)
    except (ValueError, AttributeError) as exc:
        raise ReceiptInvalid("receipt_malformed", "not a receipt (a JWS in compact form)") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict) or \
            claims.get("typ") != TYPE:
        raise ReceiptInvalid("receipt_malformed", "not a proposal receipt of the portal")
    cert = next((c for c in certificates if thumbprint(c) == header.get("x5t#S256")), None)
    if cert is None:
        raise ReceiptInvalid("receipt_unknown_signer",
                             "not signed with the portal's published certificate")
    public = cert.public_key()
    data = f"{head_b64}.{body_b64}".encode("ascii")
    try:
        if header.get("alg") != _algorithm(public):
            raise InvalidSignature
        if header["alg"] == "RS256":
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            if len(signature) != 64:
                raise InvalidSignature
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                       int.from_bytes(signature[32:], "big"))
            public.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, portal_key.PortalKeyError) as exc:
        raise ReceiptInvalid("receipt_signature", "the portal's signature does not match: the "
                             "receipt was changed") from exc
    try:
        matches = claims.get("text_sha256") == text_hash(text)
    except UnicodeError:            # a lone surrogate: never a stored text (R14)
        matches = False
    if not matches:
        raise ReceiptInvalid("receipt_text", "the text is not the one this receipt was given for")
    return claims


def certificates(settings: Mapping) -> list[x509.Certificate]:
    """The certificates a receipt is checked against: the published one (and its chain)."""
    key = portal_key.from_settings(settings)
    return [key.cert, *key.chain]


def receipt_for(proposal: Mapping) -> str | None:
    """A receipt signed with the app's portal key (views call this); None, logged, when the
    portal has no signing key (production without ``REPORT_SIGNING_KEY``): the proposal is
    still accepted."""
    try:
        return make_receipt(portal_key.from_settings(current_app.config), proposal)
    except portal_key.PortalKeyError as exc:
        log.error("no receipt for proposal %s: %s", proposal.get("id"), exc)
        return None


@bp.record_once
def _exempt_from_csrf(state) -> None:
    """Checking a receipt changes nothing and needs no session: anyone may (curl included)."""
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


@bp.post("/api/receipts/verify")
def verify_endpoint():
    """Anyone may check a receipt with its text: ``{"receipt": "…", "text": "…"}``."""
    body = json_body()
    receipt, text = field(body, "receipt"), field(body, "text")
    if receipt is None or text is None:
        raise ApiError(400, "json_required",
                       N_("Send the receipt and the text of the proposal as JSON."), rule="R14")
    try:
        trusted = certificates(current_app.config)
    except portal_key.PortalKeyError as exc:
        log.error("receipts cannot be checked: %s", exc)
        raise ApiError(503, "receipts_unavailable",
                       N_("Receipts cannot be checked here right now; check the receipt "
                          "against the portal's published certificate."), rule="R14") from exc
    try:
        claims = verify_receipt(receipt, text, trusted)
    except ReceiptInvalid as exc:
        raise ApiError(422, exc.code, MESSAGES[exc.code], rule="R14") from exc
    return {"valid": True, "receipt": claims}
