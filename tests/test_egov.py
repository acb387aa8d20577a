"""eGov mobile sign-in (R13): the portal as its own signing endpoint and through a SIGEX-like
broker, with a double of the app speaking the QR-signing protocol over real HTTP; the same
checks as NCALayer (chain, key usage, nonce fresh, unused and of this operation)."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from werkzeug.serving import make_server

from tests.egov_double import EgovMobileApp, SigexBrokerDouble, http, service_url


@pytest.fixture
def served(app_factory):
    """An app on a real HTTP port (the app double talks to it) and a browser-side client."""
    servers = []

    def run(**overrides):
        server = make_server("127.0.0.1", 0, None, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        app = app_factory(EGOV_PUBLIC_URL=base, **overrides)
        server.app = app
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return app, base
    yield run
    for server in servers:
        server.shutdown()


def start(browser) -> dict:
    token = browser.get("/api/csrf").get_json()["csrf_token"]
    browser.environ_base["HTTP_X_CSRFTOKEN"] = token
    response = browser.post("/api/auth/egov/start")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def poll(browser):
    return browser.post("/api/auth/egov/poll")


def error_code(response) -> str:
    body = response.get_json()
    assert body["ok"] is False and body["status"] == response.status_code  # the one error shape
    return body["errors"][0]["code"]


def test_qr_and_deep_links_carry_the_service_url(served):
    app, base = served()
    data = start(app.test_client())
    assert data["qr_text"].startswith(f"mobileSign:{base}/api/auth/egov/")
    assert data["qr"].startswith("data:image/svg+xml;base64,")
    url = service_url(data["qr_text"])
    assert service_url(data["links"]["mobile"]) == url == service_url(data["links"]["business"])
    assert data["links"]["mobile"].startswith("https://mgovsign.page.link/?link=")
    assert "apn=kz.mobile.mgov" in data["links"]["mobile"]
    assert data["links"]["business"].startswith("https://egovbusiness.page.link/?link=")


def test_the_app_signs_and_the_browser_is_signed_in(served, pki):
    app, _ = served()
    browser = app.test_client()
    data = start(browser)
    assert poll(browser).status_code == 202
    assert browser.get("/api/me").get_json()["signed_in"] is False
    phone = EgovMobileApp(pki, who="person1")
    info = phone.description(data["links"]["mobile"])
    assert info["organisation"]["nameKz"] and info["document"]["uri"].endswith("/document")
    status, body = phone.sign(data["links"]["mobile"])
    assert status == 200 and body == {"ok": True}
    answer = poll(browser)
    assert answer.status_code == 200
    signed_in = answer.get_json()
    assert signed_in["signed_in"] is True and signed_in["csrf_token"]
    assert browser.get("/api/me").get_json()["signed_in"] is True
    # The new CSRF token works for a vote (R11), as after NCALayer.
    vote = browser.post("/api/documents/BP-2026-225-001/votes", json={"value": "for"},
                        headers={"X-CSRFToken": signed_in["csrf_token"]})
    assert vote.status_code == 200, vote.get_json()
    # The operation gave one session only (and the session no longer names it).
    browser.environ_base["HTTP_X_CSRFTOKEN"] = signed_in["csrf_token"]
    assert error_code(poll(browser)) == "egov_operation_unknown"


def test_a_second_browser_cannot_collect_the_signature(served, pki):
    app, _ = served()
    data = start(app.test_client())
    other = app.test_client()
    start(other)  # its own operation, not the first one
    EgovMobileApp(pki).sign(data["qr_text"])
    assert poll(other).status_code == 202
    assert other.get("/api/me").get_json()["signed_in"] is False


@pytest.mark.parametrize("case, status, code", [
    ("tampered", 400, "bad_signature"),
    ("signing_key", 400, "wrong_key_usage"),
    ("untrusted", 400, "untrusted_chain"),
    ("other_challenge", 400, "foreign_nonce"),
])
def test_refused_signatures_reach_app_and_browser_in_the_one_shape(served, pki, case, status, code):
    app, _ = served()
    browser = app.test_client()
    data = start(browser)
    phone = EgovMobileApp(pki)
    link = data["links"]["mobile"]
    if case == "tampered":
        answer = phone.sign(link, tamper=True)
    elif case == "signing_key":
        answer = phone.sign(link, who="sign")
    elif case == "untrusted":
        answer = phone.sign(link, who="foreign")
    else:  # a genuine challenge of this portal, but not this operation's
        other = app.test_client().get("/api/auth/challenge").get_json()["challenge"]
        answer = phone.sign(link, swap_xml=other)
    assert answer[0] == status and answer[1]["errors"][0]["code"] == code, answer
    assert answer[1]["errors"][0]["rule"] == "R13"
    refused = poll(browser)
    assert refused.status_code == status and error_code(refused) == code
    assert browser.get("/api/me").get_json()["signed_in"] is False


def test_a_reused_challenge_is_refused(served, pki):
    app, _ = served()
    browser = app.test_client()
    data = start(browser)
    phone = EgovMobileApp(pki)
    link = data["links"]["business"]
    # Replay: the same signed document sent again to the same operation, then to NCALayer's door.
    info = phone.description(link)
    _, docs = http("GET", info["document"]["uri"])
    signed = pki.sign_xml(docs["documentsToSign"][0]["documentXml"].encode(), who="person1").decode()
    docs["documentsToSign"][0]["documentXml"] = signed
    assert http("PUT", info["document"]["uri"], docs)[0] == 200
    again = http("PUT", info["document"]["uri"], docs)
    assert again[0] == 409 and again[1]["errors"][0]["code"] == "egov_operation_used"
    other = app.test_client()
    token = other.get("/api/csrf").get_json()["csrf_token"]
    replay = other.post("/api/auth/eds", json={"signed_xml": signed}, headers={"X-CSRFToken": token})
    assert replay.status_code == 400 and error_code(replay) == "replayed_nonce"
    assert poll(browser).status_code == 200  # the first, genuine signature still signs in


def test_expired_and_unknown_operations(served, pki):
    app, base = served(CHALLENGE_TTL_SECONDS=300)
    browser = app.test_client()
    data = start(browser)
    status, body = http("GET", f"{base}/api/auth/egov/no-such-operation")
    assert status == 404 and body["errors"][0]["code"] == "egov_operation_unknown"
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    conn.execute("UPDATE egov_operations SET expires_at = ?", (time.time() - 1,))
    conn.close()
    status, body = http("GET", service_url(data["qr_text"]))
    assert status == 410 and body["errors"][0]["code"] == "egov_operation_expired"
    stranger = app.test_client()
    stranger.environ_base["HTTP_X_CSRFTOKEN"] = stranger.get("/api/csrf").get_json()["csrf_token"]
    assert error_code(poll(stranger)) == "egov_operation_unknown"
    assert error_code(poll(browser)) == "egov_operation_expired"


def test_malformed_answers_are_4xx(served, pki):
    app, _ = served()
    data = start(app.test_client())
    url = service_url(data["qr_text"]) + "/document"
    for body in ({}, {"signMethod": "CMS_SIGN_ONLY", "documentsToSign": []},
                 {"signMethod": "XML", "documentsToSign": [{"documentXml": ""}]}):
        status, answer = http("PUT", url, body)
        assert status == 400 and answer["errors"][0]["code"] == "egov_bad_answer"
    status, answer = http("PUT", url, {"signMethod": "XML", "documentsToSign": [{"documentXml": "<x/>"}]})
    assert 400 <= status < 500 and answer["ok"] is False


def test_through_a_broker(served, pki):
    with SigexBrokerDouble(hold=1.0) as broker:
        app, _ = served(EGOV_MODE="broker", EGOV_BROKER_URL=broker.base, EGOV_BROKER_TIMEOUT=2)
        browser = app.test_client()
        data = start(browser)
        assert data["qr"].startswith("data:image/png;base64,") and data["qr_text"] is None
        assert data["links"]["mobile"].startswith("https://mgovsign.page.link/?link=")
        assert poll(browser).status_code == 202
        status, _ = EgovMobileApp(pki, who="person2").sign(data["links"]["mobile"])
        assert status == 200
        for _ in range(100):
            answer = poll(browser)
            if answer.status_code != 202:
                break
            time.sleep(0.1)
        assert answer.status_code == 200 and answer.get_json()["signed_in"] is True


def test_through_a_broker_a_wrong_key_is_refused(served, pki):
    with SigexBrokerDouble(hold=1.0) as broker:
        app, _ = served(EGOV_MODE="broker", EGOV_BROKER_URL=broker.base, EGOV_BROKER_TIMEOUT=2)
        browser = app.test_client()
        data = start(browser)
        EgovMobileApp(pki, who="sign").sign(data["links"]["business"])
        for _ in range(100):
            answer = poll(browser)
            if answer.status_code != 202:
                break
            time.sleep(0.1)
        assert answer.status_code == 400 and error_code(answer) == "wrong_key_usage"


def test_broker_down_is_a_503_in_the_one_shape(served):
    app, _ = served(EGOV_MODE="broker", EGOV_BROKER_URL="http://127.0.0.1:9", EGOV_BROKER_TIMEOUT=2)
    browser = app.test_client()
    token = browser.get("/api/csrf").get_json()["csrf_token"]
    response = browser.post("/api/auth/egov/start", headers={"X-CSRFToken": token})
    assert response.status_code == 503 and error_code(response) == "egov_broker_unavailable"
