"""Broker mode: a SIGEX-like service holds the eGov mobile operation for this portal.

1. ``POST {EGOV_BROKER_URL}/api/egovQr`` ``{"description"}`` -> ``{expireAt, qrCode (PNG,
   base64), dataURL, signURL, eGovMobileLaunchLink, eGovBusinessLaunchLink}``.
2. ``POST dataURL`` ``{signMethod: "XML", documentsToSign: [...]}``: the broker holds the request
   until the app has taken the document (long poll; repeated on a timeout).
3. ``GET signURL``: held until the app has signed; answers the same shape with the signed
   ``documentXml`` (long poll; repeated on a timeout).

Steps 2 and 3 run in a background thread of the API process, until the operation expires; the
result lands in ``egov_operations``, where the browser's poll (any process) finds it.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

from flask import Flask

from submit_api.egov import protocol
from submit_api.store import egov as store
from submit_api.errors import N_, ApiError

log = logging.getLogger(__name__)


class BrokerError(Exception):
    "The broker refused or could not be reached"


def _call(method: str, url: str, body: dict | None, timeout: float) -> dict:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 504):  # a long poll that ended before the app acted: ask again
            raise TimeoutError(f"{method} {url}: not yet") from exc
        raise BrokerError(f"{method} {url}: HTTP {exc.code}") from exc
    if isinstance(answer, dict) and answer.get("message"):
        raise BrokerError(f"{method} {url}: {answer['message']}")
    return answer


def _unavailable() -> ApiError:
    return ApiError(503, "egov_broker_unavailable",
                    N_("The eGov mobile signing service is unavailable. Try again later or sign in with NCALayer."),
                    rule="R13")


def start(app: Flask, op: store.Operation, description: str) -> dict:
    """Register the operation with the broker and start collecting its signature."""
    base = (app.config["EGOV_BROKER_URL"] or "").rstrip("/")
    if not base:
        raise _unavailable()
    try:
        links = _call("POST", f"{base}/api/egovQr", {"description": description},
                      timeout=float(app.config["EGOV_BROKER_TIMEOUT"]))
        for key in ("qrCode", "dataURL", "signURL", "eGovMobileLaunchLink", "eGovBusinessLaunchLink"):
            if not isinstance(links.get(key), str):
                raise BrokerError(f"the broker's answer has no {key}")
    except (BrokerError, OSError, ValueError) as exc:
        log.warning("eGov broker: registration failed: %s", exc)
        raise _unavailable() from exc
    from submit_api.db import get_db
    store.set_broker(get_db(), op.id, {"dataURL": links["dataURL"], "signURL": links["signURL"]})
    threading.Thread(target=_collect, args=(app, op, links["dataURL"], links["signURL"], description),
                     name=f"egov-broker-{op.id[:6]}", daemon=True).start()
    return links


def _until_done(method: str, url: str, body: dict | None, deadline: float, timeout: float) -> dict:
    """Repeat a long-poll request until it answers or the operation expires."""
    while True:
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError("the operation expired")
        try:
            return _call(method, url, body, timeout=min(timeout, left))
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            if isinstance(exc, urllib.error.URLError) and not isinstance(
                    exc.reason, (socket.timeout, TimeoutError, ConnectionError)):
                raise BrokerError(str(exc)) from exc
            time.sleep(0.2)


def _collect(app: Flask, op: store.Operation, data_url: str, sign_url: str, description: str) -> None:
    from submit_api.db import get_db
    from submit_api.egov import accept_signature

    timeout = float(app.config["EGOV_BROKER_TIMEOUT"])
    with app.app_context():
        try:
            _until_done("POST", data_url, protocol.documents_to_sign(op.challenge, description),
                        op.expires_at, timeout)
            store.mark_fetched(get_db(), op.id)
            answer = _until_done("GET", sign_url, None, op.expires_at, timeout)
            accept_signature(op, protocol.signed_document(answer))
        except ApiError:
            pass  # recorded on the operation by accept_signature
        except TimeoutError:
            pass  # the browser's poll reports the expiry
        except (BrokerError, OSError, ValueError) as exc:
            log.warning("eGov broker: operation failed: %s", exc)
            error = _unavailable()
            store.mark_refused(get_db(), op.id, {"status": error.status, "code": error.code,
                                                 "message": error.message, "rule": error.rule})
