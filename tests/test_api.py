"""The submission service over real HTTP (Flask test client), a real SQLite file, a real
manifest from a real build, and real signatures from the test PKI."""
from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

import pytest

from submit_api import ConfigurationError, create_app
from submit_api.public import snapshot_json
from tests.helpers import CLOSED, OPEN, SCHEDULED, csrf, flags_of, post_signed, propose, publish, signed_challenge, vote, write_document



def test_error_shape_is_one_and_the_same(client):
    """Locks the JSON error shape for every kind of failure."""
    failures = [
        client.get("/api/nothing"),                                        # 404 from routing
        client.post("/api/health"),                                        # 405
        client.post(f"/api/documents/{OPEN}/votes", json={"value": "for"}),  # CSRF 400
        client.get("/api/documents/NO-SUCH/totals"),                       # ApiError 404
    ]
    for response in failures:
        body = response.get_json()
        assert set(body) == {"ok", "status", "error", "errors"}, body
        assert body["ok"] is False and body["status"] == response.status_code
        assert body["error"] and body["errors"] and body["errors"][0]["message"]


def test_errors_speak_the_request_language(client):
    kk = client.get("/api/documents/NO-SUCH/totals", headers={"Accept-Language": "kk"}).get_json()
    ru = client.get("/api/documents/NO-SUCH/totals?lang=ru").get_json()
    assert kk["error"] != ru["error"] and "NO-SUCH" in kk["error"] and "NO-SUCH" in ru["error"]
    assert re.search("[а-яё]", ru["error"]) and re.search("[әғқңөұүһі]", kk["error"])


def test_r13_sign_in_then_me_and_logout(client, sign_in):
    assert client.get("/api/me").get_json()["signed_in"] is False
    body = sign_in(client)
    assert body["signed_in"] is True and body["kind"] == "individual"
    assert client.get("/api/me").get_json()["signed_in"] is True
    client.post("/api/auth/logout", headers={"X-CSRFToken": csrf(client)})
    assert client.get("/api/me").get_json()["signed_in"] is False








def test_r13_replayed_challenge_is_refused(client, pki):
    signed = signed_challenge(client, pki)
    assert post_signed(client, signed).status_code == 200
    again = post_signed(client, signed)
    assert again.status_code == 400 and again.get_json()["errors"][0]["code"] == "replayed_nonce"


def test_r13_stale_challenge_is_refused(client, pki, app):
    signed = signed_challenge(client, pki)
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        conn.execute("UPDATE challenges SET issued_at = issued_at - 301")
    response = post_signed(client, signed)
    assert response.status_code == 400 and response.get_json()["errors"][0]["code"] == "stale_nonce"


def test_r13_foreign_challenge_is_refused(client, pki):
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    forged = re.sub(r"<nonce>\w+</nonce>", "<nonce>" + "ab" * 32 + "</nonce>", challenge)
    response = post_signed(client, pki.sign_xml(forged.encode()).decode())
    assert response.status_code == 400 and response.get_json()["errors"][0]["code"] == "foreign_nonce"


def test_r13_challenge_for_another_audience_is_refused(client, pki):
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    other = challenge.replace("http://127.0.0.1:8000", "https://evil.example")
    response = post_signed(client, pki.sign_xml(other.encode()).decode())
    assert response.get_json()["errors"][0]["code"] == "foreign_nonce"


@pytest.mark.parametrize("who, code", [("sign", "wrong_key_usage"), ("expired", "expired"),
                                       ("revoked", "revoked")])
def test_r13_refusals_reach_the_citizen_with_a_reason(client, pki, who, code):
    response = post_signed(client, signed_challenge(client, pki, who=who))
    body = response.get_json()
    assert response.status_code == 400 and body["errors"][0] == {
        "code": code, "rule": "R13", "message": body["error"]}
    assert client.get("/api/me").get_json()["signed_in"] is False


def test_r13_tampered_challenge_is_refused(client, pki):
    signed = signed_challenge(client, pki).replace("http://127.0.0.1:8000", "http://127.0.0.1:8001")
    assert post_signed(client, signed).get_json()["errors"][0]["code"] == "bad_signature"


def test_r13_database_keeps_no_iin(client, sign_in, app, pki):
    sign_in(client)
    client.post(f"/api/documents/{OPEN}/votes", json={"value": "for"},
                headers={"X-CSRFToken": csrf(client)})
    dump = "\n".join(sqlite3.connect(app.config["DATABASE"]).iterdump())
    for iin in pki.iins():
        assert iin not in dump
    assert "ТЕСТОВ" not in dump


def test_session_cookie_flags(client, sign_in):
    sign_in(client)
    cookie = client.get_cookie("ashyq_session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure




def test_r11_one_vote_per_person_changeable(client, sign_in):
    sign_in(client, who="person1")
    def live():
        return client.get(f"/api/documents/{OPEN}/totals").get_json()["votes"]
    assert vote(client, f"/api/documents/{OPEN}", "for").get_json() == {"ok": True, "value": "for"}
    assert live() == {"for": 1, "against": 0}
    vote(client, f"/api/documents/{OPEN}", "for")
    assert live() == {"for": 1, "against": 0}
    assert vote(client, f"/api/documents/{OPEN}", "against").get_json()["value"] == "against"
    assert live() == {"for": 0, "against": 1}
    totals = client.get(f"/api/documents/{OPEN}/totals").get_json()
    assert totals["votes"] == {"for": 0, "against": 1} and totals["my_vote"] == "against"


def test_r11_votes_of_different_people_add_up(app, pki, sign_in):
    for n in (1, 2, 3):
        client = app.test_client()
        sign_in(client, who=f"person{n}")
        vote(client, f"/api/documents/{OPEN}", "for" if n < 3 else "against")
    totals = app.test_client().get(f"/api/documents/{OPEN}/totals").get_json()
    assert totals["votes"] == {"for": 2, "against": 1} and totals["my_vote"] is None


@pytest.mark.parametrize("uid, code", [(CLOSED, "discussion_closed"),
                                       (SCHEDULED, "discussion_not_open")])
def test_r11_votes_refused_outside_the_window(client, sign_in, uid, code):
    sign_in(client)
    response = vote(client, f"/api/documents/{uid}", "for")
    body = response.get_json()
    assert response.status_code == 409
    assert body["errors"][0]["code"] == code and body["errors"][0]["rule"] == "R11"
    assert "2025" in body["error"]  # the date that decides, written out


@pytest.mark.parametrize("value", ["yes", "", None, 1])
def test_r11_vote_value_is_for_or_against(client, sign_in, value):
    sign_in(client)
    response = client.post(f"/api/documents/{OPEN}/votes", json={"value": value},
                           headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "value"


def test_votes_need_sign_in_and_a_manifest_document(client, sign_in):
    response = vote(client, f"/api/documents/{OPEN}", "for")
    assert response.status_code == 401 and response.get_json()["errors"][0]["rule"] == "R13"
    sign_in(client)
    assert vote(client, "/api/documents/NOT-IN-MANIFEST", "for").status_code == 404


def test_state_changes_need_the_csrf_token(client, sign_in):
    sign_in(client)
    response = client.post(f"/api/documents/{OPEN}/votes", json={"value": "for"})
    assert response.status_code == 400 and response.get_json()["errors"][0]["code"] == "csrf"
    bad = client.post(f"/api/documents/{OPEN}/votes", json={"value": "for"},
                      headers={"X-CSRFToken": "forged"})
    assert bad.status_code == 400




def test_r14_proposal_of_1000_characters_is_pending(client, sign_in):
    sign_in(client)
    response = propose(client, "а" * 999 + "б")
    body = response.get_json()
    assert response.status_code == 201 and body["status"] == "pending" and body["id"] > 0
    assert body["moderation_due"] == "2025-03-07"  # R15: 2 working days after 5 March 2025
    mine = client.get("/api/me/proposals").get_json()["proposals"]
    assert [(p["id"], p["status"], len(p["text"])) for p in mine] == [(body["id"], "pending", 1000)]


def test_r14_proposal_of_1001_characters_is_refused(client, sign_in):
    sign_in(client)
    response = propose(client, "а" * 1001)
    body = response.get_json()
    assert response.status_code == 422 and body["errors"][0]["code"] == "text_too_long"
    assert "1000" in body["error"] and "1001" in body["error"] and body["errors"][0]["rule"] == "R14"


def test_r14_length_is_counted_after_nfc(client, sign_in):
    sign_in(client)
    decomposed = unicodedata.normalize("NFD", "й" * 1000)  # 2000 code points, 1000 characters
    assert len(decomposed) == 2000
    assert propose(client, decomposed).status_code == 201


@pytest.mark.parametrize("text, code", [("", "text_required"), ("   ", "text_required"),
                                        ("bad\x00text", "control_characters"),
                                        ("bell\x07", "control_characters")])
def test_r14_empty_or_control_characters_refused(client, sign_in, text, code):
    sign_in(client)
    response = propose(client, text)
    assert response.status_code == 422 and response.get_json()["errors"][0]["code"] == code


def test_r14_unknown_part_is_refused(client, sign_in):
    sign_in(client)
    response = propose(client, "Предложение", part="no-such-part")
    body = response.get_json()
    assert response.status_code == 422 and body["errors"][0]["code"] == "unknown_part"
    assert body["errors"][0]["field"] == "part"


def test_r14_proposals_only_during_the_discussion(client, sign_in):
    sign_in(client)
    assert propose(client, "Поздно", uid=CLOSED).status_code == 409
    assert propose(client, "Рано", uid=SCHEDULED).status_code == 409


def test_r14_duplicate_of_the_same_persons_text_is_refused(client, sign_in):
    sign_in(client)
    assert propose(client, "Увеличить число мест в колледжах.").status_code == 201
    again = propose(client, "  увеличить число мест в колледжах ", part="objectives")
    assert again.status_code == 409 and again.get_json()["errors"][0]["code"] == "duplicate"




@pytest.mark.parametrize("text, flags", [
    ("Предлагаю пересмотреть показатели охвата детей.", set()),
    ("Авторы паспорта — м у д а к и", {"obscene"}),
    ("Бұл ақымақ шешім", {"obscene"}),
    ("Подробнее на www.best-deals.kz, скидки!", {"link"}),
    ("Звоните +7 701 555 12 34", {"phone"}),
    ("спам спам спам спам спам спам спам", {"repeated"}),
])
def test_r14_screening_flags_inform_the_operator(client, sign_in, app, text, flags):
    sign_in(client)
    response = propose(client, text)
    assert response.status_code == 201  # flags never refuse on their own (R15)
    assert flags_of(app, response.get_json()["id"]) == (flags, "pending")


def test_r14_same_text_from_another_person_is_flagged_repeated(app, sign_in):
    first, second = app.test_client(), app.test_client()
    sign_in(first, who="person1")
    sign_in(second, who="person2")
    propose(first, "Добавить показатель по сельским школам")
    response = propose(second, "Добавить показатель по сельским школам!")
    assert flags_of(app, response.get_json()["id"]) == ({"repeated"}, "pending")




def test_r11_votes_on_published_proposals_only(client, sign_in, app):
    sign_in(client)
    pid = propose(client, "Предложение для голосования").get_json()["id"]
    assert vote(client, f"/api/proposals/{pid}", "for").status_code == 404  # pending: invisible
    publish(app, pid)
    assert vote(client, f"/api/proposals/{pid}", "for").get_json() == {"ok": True, "value": "for"}
    totals = client.get(f"/api/documents/{OPEN}/totals").get_json()
    assert totals["proposals"] == {str(pid): {"for": 1, "against": 0}}


def test_snapshot_holds_only_public_data(client, sign_in, app, pki):
    sign_in(client)
    published = propose(client, "Опубликованное предложение").get_json()["id"]
    propose(client, "Ожидающее модерации предложение")
    publish(app, published)
    vote(client, f"/api/documents/{OPEN}", "for")
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        text = snapshot_json(conn)
    snap = json.loads(text)
    assert [p["id"] for p in snap["proposals"]] == [published]
    assert snap["documents"] == {OPEN: {"for": 1, "against": 0}}
    assert "Ожидающее" not in text and "person" not in text
    for iin in pki.iins():
        assert iin not in text


def test_rate_limit_gives_a_clear_429(app, pki, sign_in):
    app.config["RATELIMIT_VOTES"] = "2 per minute"
    client = app.test_client()
    sign_in(client)
    statuses = [vote(client, f"/api/documents/{OPEN}", "for").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = vote(client, f"/api/documents/{OPEN}", "for")
    assert response.get_json()["status"] == 429 and "Retry-After" in response.headers


def test_request_size_is_limited(client):
    response = client.post("/api/auth/eds", data="x" * (70 * 1024), content_type="application/json")
    assert response.status_code == 413 and response.get_json()["status"] == 413


def test_openapi_describes_every_route(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], (path, method)


def test_production_refuses_the_demo_signer(tmp_path):
    with pytest.raises(ConfigurationError, match="DEMO_SIGNER cannot be enabled in production"):
        create_app({"ENV": "production", "DEMO_SIGNER": True, "SECRET_KEY": "s", "IDENTITY_KEY": "k",
                    "EDS_TRUSTED_CERTS": "x.pem", "DATABASE": str(tmp_path / "db.sqlite3")})
    with pytest.raises(ConfigurationError, match="ASHYQ_IDENTITY_KEY"):
        create_app({"ENV": "production", "DATABASE": str(tmp_path / "db.sqlite3")})


def test_demo_signer_signs_in_without_ncalayer(app_factory):
    app = app_factory(DEMO_SIGNER=True, EDS_TRUSTED_CERTS=None, EDS_CRLS="")
    client = app.test_client()
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    signed = client.post("/api/auth/demo-sign", json={"challenge": challenge, "person": 2},
                         headers={"X-CSRFToken": csrf(client)}).get_json()
    assert signed["demo"] is True
    assert post_signed(client, signed["signed_xml"]).status_code == 200


def test_demo_signer_is_off_by_default(client):
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    response = client.post("/api/auth/demo-sign", json={"challenge": challenge},
                           headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 404


def test_manifest_change_is_picked_up(app, client, sign_in, small_content, build_site):
    sign_in(client)
    assert vote(client, "/api/documents/BP-2026-225-077", "for").status_code == 404
    write_document(small_content, "BP-2026-225-077")
    build_site(small_content)
    assert vote(client, "/api/documents/BP-2026-225-077", "for").status_code == 200


def test_no_iin_or_name_reaches_the_built_site(client, sign_in, app, pki, small_content, tmp_path):
    """DESIGN boundary 1: the snapshot and everything under output/ hold no personal data."""
    from generator.build import build
    import datetime as dt
    sign_in(client, who="person2")
    vote(client, f"/api/documents/{OPEN}", "against")
    published = propose(client, "Публичное предложение гражданина").get_json()["id"]
    propose(client, "Отклонённый текст, который не должен попасть на сайт")
    publish(app, published)
    snapshot = tmp_path / "snapshot.json"
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        snapshot.write_text(snapshot_json(conn), encoding="utf-8")
    site = tmp_path / "site-with-snapshot"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          snapshot=snapshot)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*") if p.is_file()]
    everything = "\n".join(texts)
    assert "Публичное предложение гражданина" in everything
    assert "Отклонённый текст" not in everything
    for secret in (*pki.iins(), "ТЕСТОВ", "ТЕСТОВИЧ"):
        assert secret not in everything
