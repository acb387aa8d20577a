"""The vote lane (submit_api/vote_lane.py, issue 12): a signed-in vote on an open discussion is
answered before Flask with the same bytes and headers Flask's view sends, written by the same
vote writer; every other request - and every refusal - reaches Flask with its body intact and
gets the one error shape."""
from __future__ import annotations

import sqlite3

import pytest
from flask import request_started

from tests.helpers import CLOSED, OPEN, csrf, propose, publish


@pytest.fixture
def flask_saw(app):
    """The paths of the requests Flask itself handled."""
    seen: list[str] = []

    def started(sender, **_extra):
        from flask import request
        seen.append(request.path)
    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def post_vote(client, target: str, value, token: str, **kwargs):
    return client.post(f"{target}/votes", json={"value": value}, headers={"X-CSRFToken": token},
                       **kwargs)


def stored_vote(app, target_id: str) -> list[tuple]:
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        return conn.execute("SELECT target_id, value FROM votes WHERE target_id = ?",
                            (target_id,)).fetchall()


def answer(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, response.get_data(), headers


def test_r11_the_lane_answers_a_known_voter_with_flasks_own_answer(app, client, sign_in,
                                                                   flask_saw):
    sign_in(client, who="person1")
    token = csrf(client)
    flask_saw.clear()
    first = post_vote(client, f"/api/documents/{OPEN}", "for", token)    # token checked in full
    assert flask_saw == [f"/api/documents/{OPEN}/votes"]
    second = post_vote(client, f"/api/documents/{OPEN}", "against", token)
    third = post_vote(client, f"/api/documents/{OPEN}", "for", token)
    assert flask_saw == [f"/api/documents/{OPEN}/votes"]                  # the lane answered both
    assert answer(third) == answer(first)                                 # bytes and headers
    assert first.get_json() == {"ok": True, "value": "for"}
    assert second.get_json() == {"ok": True, "value": "against"}
    assert first.headers["Content-Security-Policy"] and first.headers["Vary"] == "Cookie"
    assert stored_vote(app, OPEN) == [(OPEN, "for")]                      # one vote, changed (R11)
    totals = client.get(f"/api/documents/{OPEN}/totals").get_json()
    assert totals["votes"] == {"for": 1, "against": 0} and totals["my_vote"] == "for"


def test_r11_votes_on_a_published_proposal_take_the_lane(app, client, sign_in, flask_saw):
    sign_in(client)
    token = csrf(client)
    pid = propose(client, "Предложение для голосования").get_json()["id"]
    assert post_vote(client, f"/api/proposals/{pid}", "for", token).status_code == 404  # pending
    publish(app, pid)
    post_vote(client, f"/api/proposals/{pid}", "for", token)
    flask_saw.clear()
    assert post_vote(client, f"/api/proposals/{pid}", "against", token).get_json() == {
        "ok": True, "value": "against"}
    assert flask_saw == [] and stored_vote(app, str(pid)) == [(str(pid), "against")]


@pytest.mark.parametrize("case, status, code", [
    ("closed discussion", 409, "discussion_closed"),
    ("not a vote", 422, "bad_vote"),
    ("bad JSON", 400, "json_malformed"),
    ("forged token", 400, "csrf"),
    ("signed out", 401, "sign_in_required"),
    ("unknown document", 404, "unknown_document"),
])
def test_everything_else_reaches_flask_with_its_body(app, client, sign_in, flask_saw, case,
                                                     status, code):
    sign_in(client)
    token = csrf(client)
    assert post_vote(client, f"/api/documents/{OPEN}", "for", token).status_code == 200
    target, value, kwargs = f"/api/documents/{OPEN}", "against", {}
    if case == "closed discussion":
        target = f"/api/documents/{CLOSED}"
    elif case == "not a vote":
        value = "maybe"
    elif case == "bad JSON":
        kwargs = {"data": b'{"value": "for"', "content_type": "application/json"}
    elif case == "forged token":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "signed out":
        with sqlite3.connect(app.config["DATABASE"]) as conn:
            conn.execute("DELETE FROM sessions")                  # the session ended (R13)
    elif case == "unknown document":
        target = "/api/documents/BP-1999-000-000"
    flask_saw.clear()
    if kwargs:
        response = client.post(f"{target}/votes", headers={"X-CSRFToken": token}, **kwargs)
    else:
        response = post_vote(client, target, value, token)
    body = response.get_json()
    assert flask_saw == [f"{target}/votes"]
    assert response.status_code == status and body["status"] == status
    assert body["errors"][0]["code"] == code and body["error"]
    assert stored_vote(app, OPEN) == [(OPEN, "for")]              # nothing else was written


def test_r11_a_person_over_the_limit_gets_flasks_429(app, client, sign_in, flask_saw):
    app.config["RATELIMIT_VOTES"] = "2 per minute"
    sign_in(client)
    token = csrf(client)
    statuses = [post_vote(client, f"/api/documents/{OPEN}", v, token).status_code
                for v in ("for", "against", "for")]
    assert statuses == [200, 200, 429]
    assert flask_saw[-1] == f"/api/documents/{OPEN}/votes"          # the refusal is Flask's
    assert stored_vote(app, OPEN) == [(OPEN, "against")]


def test_without_the_lane_flask_answers_every_vote(app_factory, sign_in):
    app = app_factory(VOTE_LANE=False)
    client = app.test_client()
    seen = []
    request_started.connect(lambda sender, **_: seen.append(1), app, weak=False)
    sign_in(client)
    token = csrf(client)
    seen.clear()
    for value in ("for", "against"):
        assert post_vote(client, f"/api/documents/{OPEN}", value, token).status_code == 200
    assert len(seen) == 2
