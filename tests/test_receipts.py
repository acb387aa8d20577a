"""Issue 15, receipts (R14): a proposal's 201 answer and "my proposals" carry a receipt signed
by the portal; it verifies with the text it was given for and fails when one letter changes.

Real parts: the real app over a real SQLite file, a real sign-in with a signature from the test
PKI, the portal's demo RSA key, and the published certificate as the only trust.
"""
from __future__ import annotations

import base64
import json

from cryptography import x509

from submit_api import portal_key
from submit_api.receipts import ReceiptInvalid, text_hash, verify_receipt
from tests.helpers import OPEN, db, propose

TEXT = "Мектепке жаңа ғимарат салу керек: әғқңөұүһі"


def claims_of(receipt: str) -> dict:
    body = receipt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def published_certificates(app) -> list[x509.Certificate]:
    """What the build publishes as /opendata/portal-certificate.pem."""
    pem = portal_key.from_settings(app.config).certificate_pem()
    return x509.load_pem_x509_certificates(pem)


def test_r14_receipt_verifies_and_fails_when_the_text_changes(client, sign_in, app):
    sign_in(client)
    answer = propose(client, TEXT, lang="kk").get_json()
    receipt = answer["receipt"]
    certificates = published_certificates(app)
    claims = verify_receipt(receipt, TEXT, certificates)
    assert (claims["proposal"], claims["document"], claims["part"], claims["lang"]) == (
        answer["id"], OPEN, "purpose", "kk")
    assert claims["text_sha256"] == text_hash(TEXT) and claims["received"].startswith("2025-03")
    for changed in (TEXT.replace("ғ", "г"), TEXT + ".", TEXT[:-1]):
        try:
            verify_receipt(receipt, changed, certificates)
        except ReceiptInvalid as exc:
            assert exc.code == "receipt_text"
        else:
            raise AssertionError(f"a receipt verified a changed text: {changed!r}")
    # a receipt whose claims were edited (another proposal number) loses the signature
    head, body, signature = receipt.split(".")
    forged = dict(claims_of(receipt), proposal=answer["id"] + 1)
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    try:
        verify_receipt(f"{head}.{forged_body}.{signature}", TEXT, certificates)
    except ReceiptInvalid as exc:
        assert exc.code == "receipt_signature"
    else:
        raise AssertionError("an edited receipt verified")


def test_r14_receipt_holds_no_personal_data(client, sign_in, app):
    who = sign_in(client)
    answer = propose(client, TEXT, lang="kk").get_json()
    claims = claims_of(answer["receipt"])
    assert set(claims) == {"typ", "v", "rule", "proposal", "document", "part", "lang",
                           "received", "text_sha256", "demo"}
    person = db(app).execute("SELECT person FROM proposals WHERE id = ?",
                             (answer["id"],)).fetchone()[0]
    raw = answer["receipt"] + json.dumps(claims, ensure_ascii=False)
    assert person not in raw and TEXT not in raw
    for value in who.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in raw
    assert claims["demo"] is True            # the demo's key says so in every receipt


def test_r14_my_proposals_offer_the_same_receipt(client, sign_in):
    sign_in(client)
    answer = propose(client, TEXT, lang="kk").get_json()
    [mine] = client.get("/api/me/proposals").get_json()["proposals"]
    assert mine["receipt"] == answer["receipt"]          # deterministic: the same proof later


def test_r14_anyone_checks_a_receipt_at_the_endpoint(client, sign_in, app):
    sign_in(client)
    receipt = propose(client, TEXT, lang="kk").get_json()["receipt"]
    anyone = app.test_client()                            # no session, no CSRF token
    good = anyone.post("/api/receipts/verify", json={"receipt": receipt, "text": TEXT})
    assert good.status_code == 200 and good.get_json()["valid"] is True
    bad = anyone.post("/api/receipts/verify", json={"receipt": receipt, "text": TEXT + "!"},
                      headers={"Accept-Language": "ru"})
    [error] = bad.get_json()["errors"]
    assert bad.status_code == 422 and error["code"] == "receipt_text" and error["rule"] == "R14"
    junk = anyone.post("/api/receipts/verify", json={"receipt": "a.b", "text": TEXT})
    assert junk.status_code == 422 and junk.get_json()["errors"][0]["code"] == "receipt_malformed"
    assert anyone.post("/api/receipts/verify", json={"receipt": 1}).status_code == 400


def test_r14_production_without_a_signing_key_checks_nothing_and_breaks_nothing(app_factory):
    app = app_factory(ENV="production", SECRET_KEY="s" * 32, IDENTITY_KEY="k" * 32,
                      AUDIENCE="https://budget.example.kz")
    answer = app.test_client().post("/api/receipts/verify", json={"receipt": "a.b.c", "text": "x"})
    assert answer.status_code == 503
    assert answer.get_json()["errors"][0]["code"] == "receipts_unavailable"
    with app.test_request_context():
        from submit_api.receipts import receipt_for
        assert receipt_for({"id": 1, "document": OPEN, "part": "purpose", "lang": "kk",
                            "text": TEXT, "created_at": "2025-03-05T10:00:00+05:00"}) is None
