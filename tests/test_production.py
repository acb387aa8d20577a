"""Production settings: the public origin and TLS cookies required, the client's address from
trusted proxies only, and the vote writer (group commit, the per-person limit in its
transaction)."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from submit_api import ConfigurationError, create_app
from tests.helpers import OPEN, vote

PRODUCTION = {"ENV": "production", "SECRET_KEY": "s", "IDENTITY_KEY": "k",
              "EDS_TRUSTED_CERTS": "x.pem"}


def test_production_requires_the_public_https_origin(tmp_path):
    with pytest.raises(ConfigurationError, match="ASHYQ_AUDIENCE"):
        create_app({**PRODUCTION, "DATABASE": str(tmp_path / "db.sqlite3")})
    with pytest.raises(ConfigurationError, match="ASHYQ_AUDIENCE"):
        create_app({**PRODUCTION, "AUDIENCE": "http://budget.example",
                    "DATABASE": str(tmp_path / "db.sqlite3")})


def test_production_cookies_travel_over_tls_only(tmp_path, pki):
    app = create_app({**PRODUCTION, "AUDIENCE": "https://budget.example",
                      "EDS_TRUSTED_CERTS": str(pki.trusted_bundle), "EDS_REVOCATION": "off",
                      "DATABASE": str(tmp_path / "db.sqlite3"),
                      "LOCALE_DIR": str(tmp_path / "locale")})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/api/csrf", base_url="https://budget.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def remaining(client, **headers) -> int:
    response = client.get("/api/auth/challenge", headers=headers)
    assert response.status_code == 200
    return int(response.headers["X-RateLimit-Remaining"])


def test_a_client_cannot_choose_its_address_without_trusted_proxies(app_factory):
    client = app_factory().test_client()
    first = remaining(client, **{"X-Forwarded-For": "203.0.113.1"})
    # a forged header does not give the client a fresh bucket
    assert remaining(client, **{"X-Forwarded-For": "203.0.113.2"}) == first - 1


def test_behind_one_trusted_proxy_the_proxy_entry_names_the_client(app_factory):
    client = app_factory(TRUSTED_PROXIES=1).test_client()
    # nginx appends the address it saw: "<whatever the client sent>, <client>"
    first = remaining(client, **{"X-Forwarded-For": "203.0.113.1, 198.51.100.7"})
    assert remaining(client, **{"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}) == first - 1
    # another client behind the same proxy has a bucket of its own
    assert remaining(client, **{"X-Forwarded-For": "198.51.100.8"}) == first


def test_r11_the_vote_limit_is_counted_per_person_in_the_vote_transaction(app_factory, sign_in):
    app = app_factory(RATELIMIT_VOTES="3 per minute")
    alice, bob = app.test_client(), app.test_client()
    sign_in(alice, who="person1")
    sign_in(bob, who="person2")
    statuses = [vote(alice, f"/api/documents/{OPEN}", "for").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = vote(alice, f"/api/documents/{OPEN}", "against")
    assert refused.get_json()["errors"][0]["code"] == "too_many_votes"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert vote(bob, f"/api/documents/{OPEN}", "against").status_code == 200  # bob's own count
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        values = sorted(v for (v,) in conn.execute("SELECT value FROM votes"))
    assert values == ["against", "for"]  # the refused change was not written


def test_r13_a_vote_with_an_ended_session_is_refused(app, sign_in):
    client = app.test_client()
    sign_in(client)
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        conn.execute("UPDATE sessions SET expires_at = 0")
    response = vote(client, f"/api/documents/{OPEN}", "for")
    assert response.status_code == 401 and response.get_json()["errors"][0]["rule"] == "R13"


def test_votes_from_many_threads_are_committed_in_batches_and_all_kept(app, sign_in):
    from submit_api.vote_writer import writer_for

    clients = []
    for n in range(1, 6):
        client = app.test_client()
        sign_in(client, who=f"person{n}")
        clients.append(client)
    acknowledged: dict[int, str] = {}

    def load(i: int) -> None:
        for k in range(20):
            value = ("for", "against")[(i + k) % 2]
            assert vote(clients[i], f"/api/documents/{OPEN}", value).status_code == 200
            acknowledged[i] = value

    threads = [threading.Thread(target=load, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        stored = sorted(v for (v,) in conn.execute("SELECT value FROM votes"))
    assert stored == sorted(acknowledged.values())
    assert writer_for(app.config["DATABASE"], app.config["SQLITE_SYNCHRONOUS"]).batches >= 1
