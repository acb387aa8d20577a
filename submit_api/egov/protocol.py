"""The QR / deep-link signing protocol of eGov mobile and eGov Business, as this portal speaks it.

Sources (public descriptions; see docs/eds.md "eGov mobile"):

- SIGEX, "API eGov mobile" (sigex.kz/support/developers/api-egov-basic) and its open client
  sigex-kz/sigex-qr-signing-client: a broker registers an operation (``POST /api/egovQr`` ->
  ``qrCode``, ``dataURL``, ``signURL``, ``eGovMobileLaunchLink``, ``eGovBusinessLaunchLink``,
  ``expireAt``); the relying party POSTs the documents to ``dataURL`` and GETs the signatures
  from ``signURL``; each QR code or deep link is good for one use until ``expireAt``.
- The eGov mobile integration "API No.1 / No.2" as implemented by mitwork/kalkan (docs
  STEP_20..40): the QR code holds ``mobileSign:<service URL>``; the deep links are
  ``https://mgovsign.page.link/?link=<service URL>&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov``
  and ``https://egovbusiness.page.link/?link=<service URL>&isi=1597880144&ibi=kz.mobile.mgov.business&apn=kz.mobile.mgov.business``.
  API No.1: the app GETs the service URL -> ``{description, expiry_date, organisation{nameRu,
  nameKz, nameEn, bin}, document{uri, auth_type, auth_token}}``. API No.2: the app GETs
  ``document.uri`` -> ``{signMethod: "XML", documentsToSign: [{id, nameRu, nameKz, nameEn,
  meta, documentXml}]}``, signs every ``documentXml`` and PUTs the same shape back.

Nothing here touches the database or Flask: plain functions over dicts and strings.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
from urllib.parse import quote, urlencode

QR_PREFIX = "mobileSign:"
APPS = {
    # app: (dynamic link host, App Store id, iOS bundle id, Android package)
    "mobile": ("https://mgovsign.page.link/", "1476128386", "kz.egov.mobile", "kz.mobile.mgov"),
    "business": ("https://egovbusiness.page.link/", "1597880144", "kz.mobile.mgov.business",
                 "kz.mobile.mgov.business"),
}
SIGN_METHOD = "XML"
DOCUMENT_ID = 1
DOCUMENT_NAMES = {"nameKz": "Ашық бюджеттер порталына кіру", "nameRu": "Вход на портал «Открытые бюджеты»",
                  "nameEn": "Sign-in to the Open Budgets portal"}


class ProtocolError(ValueError):
    "The app sent something that is not an answer of this protocol"


def qr_text(service_url: str) -> str:
    """What the QR code holds: the eGov mobile scanner reads ``mobileSign:`` links."""
    return QR_PREFIX + service_url


def deep_link(app: str, service_url: str) -> str:
    """The link that opens eGov mobile (``mobile``) or eGov Business on the same phone."""
    host, isi, ibi, apn = APPS[app]
    return f"{host}?link={quote(service_url, safe='')}&" + urlencode(
        {"isi": isi, "ibi": ibi, "apn": apn})


def qr_svg_data_url(text: str) -> str:
    """The QR code as an SVG ``data:`` URL for an ``<img>`` (no inline style: CSP)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False,
                                     dark="#000", light="#fff", title="QR")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def description_document(description: str, expires_at: float, document_url: str,
                         organisation: dict) -> dict:
    """API No.1: what the app shows before it fetches the documents."""
    return {
        "description": description,
        "expiry_date": dt.datetime.fromtimestamp(expires_at, dt.UTC).isoformat(
            timespec="seconds"),
        "organisation": organisation,
        "document": {"uri": document_url, "auth_type": "None", "auth_token": ""},
    }


def documents_to_sign(challenge: str, description: str) -> dict:
    """API No.2 (GET) and the broker's ``dataURL`` body: the one challenge to sign, as XML."""
    return {"signMethod": SIGN_METHOD, "documentsToSign": [{
        "id": DOCUMENT_ID, **DOCUMENT_NAMES,
        "meta": [{"name": "description", "value": description}],
        "documentXml": challenge}]}


def signed_document(body: object) -> str:
    """API No.2 (PUT) and the broker's ``signURL`` answer: the signed XML of our one document."""
    if not isinstance(body, dict) or body.get("signMethod", SIGN_METHOD) != SIGN_METHOD:
        raise ProtocolError("signMethod must be XML")
    documents = body.get("documentsToSign")
    if not isinstance(documents, list) or len(documents) != 1 or not isinstance(documents[0], dict):
        raise ProtocolError("documentsToSign must hold exactly the one document")
    xml = documents[0].get("documentXml")
    if not isinstance(xml, str) or not xml.strip():
        raise ProtocolError("documentXml is missing")
    return xml
