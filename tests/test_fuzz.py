"""A short fuzz of our own (issue 13): hostile bodies - deep nesting, huge numbers, wrong
types, NUL bytes, invalid UTF-8, lone surrogates in JSON escapes, bidi controls - against
every POST route of the app (found in its URL map, so a new route is fuzzed too), through
Flask's test client. Never a 5xx; an /api refusal is always the one error shape."""
from __future__ import annotations

import json
import sqlite3

import pytest

from submit_api.identity import person_id
from submit_api.staff import CLI_ACTOR, grant
from tests.helpers import OPEN

SKIPPED_TO_THE_END = {"/api/auth/logout", "/office/sign-out"}  # they end the session
FIELDS = ("signed_xml", "challenge", "person", "value", "part", "text", "lang", "decision",
          "reason", "iin", "role", "administrator")
BASE = {"part": "purpose", "lang": "ru", "text": "Добавить показатель по школам.", "value": "for",
        "decision": "publish", "reason": "complies", "iin": "900101300105", "role": "employee",
        "administrator": "225", "challenge": "<login/>", "signed_xml": "<login/>", "person": 1}
VALUES = [None, True, 0, -1, 10 ** 30, 1.5, [], ["225"], {}, {"a": [1]}, "", "\x00",
          "a\x00b", "\u202eevil", "\u2066x\u2069", "x" * 70_000, "1e999", "<?xml version='1.0'?>"]
RAW_BODIES = [
    b"[" * 30_000 + b"]" * 30_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"value": 1e999999, "person": 1e400, "text": -0}',
    b'{"person": ' + b"9" * 5000 + b"}",                  # past int's digit limit
    b'{"value": NaN, "text": Infinity}',
    b"\x00", b'{"text": "a\x00b"}',                        # NUL bytes, raw
    b"\xff\xfe{", b'{"text": "\xc3("}', b"\xef\xbb\xbf{}",   # invalid UTF-8, a BOM
    b'{"text": "\\ud800", "part": "\\udfff", "lang": "\\ud83d"}',  # lone surrogates
    b'{"signed_xml": "\\ud800", "challenge": "\\udc00", "iin": "\\ud800"}',
    b'{"administrator": "\\ud800", "role": "\\ud800", "decision": "\\ud800", "reason": "\\ud800"}',
    b'"just a string"', b"[]", b"null", b"", b"{", b'{"a": 1}{"b": 2}',
    b'{"' + b"k" * 60_000 + b'": 1}',
]
FORMS = [b"text=%00&decision=publish&reason=complies", b"text=%ED%A0%80&decision=refuse&reason=other",
         b"text=%E2%80%AE&decision=accept", b"iin=%FF%FE&administrator=%00",
         b"decision=" + b"x" * 60_000, b"%%%&&&==", b"iin=900101300105&administrator=225%00"]
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "text/csv",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


@pytest.fixture
def fuzz(app_factory, sign_in, pki):
    """person1 is a citizen and staff of every kind, so each route's gate lets the body in;
    one proposal pending, one published."""
    lots = "1000000 per minute"  # not RATELIMIT_ENABLED=False: the limiter is one object, the
    # setting would stay with it for the apps of the tests that follow
    app = app_factory(WTF_CSRF_ENABLED=False, DEMO_SIGNER=True, INGEST_TOKENS={"minfin": "t0ken"},
                      RATELIMIT_PER_ADDRESS=lots, RATELIMIT_VOTES=lots, RATELIMIT_PROPOSALS=lots,
                      RATELIMIT_SIGN_IN=lots)
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    me = person_id(pki.leaf("person1").iin, app.config["IDENTITY_KEY"])
    for role, code in (("operator", None), ("lead", "225"), ("employee", "225")):
        grant(conn, CLI_ACTOR, me, role, code)
    conn.close()
    client = app.test_client()
    sign_in(client, "person1")
    ids = []
    for text in ("Первое предложение по школам.", "Второе предложение по садам."):
        response = client.post(f"/api/documents/{OPEN}/proposals",
                               json={"part": "purpose", "lang": "ru", "text": text})
        ids.append(response.get_json()["id"])
    client.post(f"/api/office/proposals/{ids[1]}/moderation",
                json={"decision": "publish", "reason": "complies"})
    return app, client, ids


def post_paths(app, ids) -> list[str]:
    """Every POST route of the URL map, its arguments filled: answers and votes on the
    published proposal, the rest on the pending one."""
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            published = rule.endpoint.endswith(("answer", "answer_proposal", "vote_on_proposal"))
            values = {"uid": OPEN, "proposal_id": ids[1] if published else ids[0], "role_id": 1}
            # other arguments (an eGov operation, a follow's token): a value nobody issued
            paths.append(adapter.build(rule.endpoint, {k: values.get(k, f"unknown-{k}")
                                                       for k in rule.arguments}))
    return sorted(paths, key=lambda p: (p in SKIPPED_TO_THE_END, p))


def bodies(path: str):
    """Raw hostile bodies and forms for every route; each field spoiled in turn for the JSON
    API; other media types for the ingest endpoint."""
    for raw in RAW_BODIES:
        yield raw, "application/json"
    for form in FORMS:
        yield form, "application/x-www-form-urlencoded"
    if path.startswith("/api/"):
        for field in FIELDS:
            for value in VALUES:
                yield json.dumps({**BASE, field: value}).encode(), "application/json"
            yield json.dumps({**BASE, field: "\ud800"}).encode(), "application/json"  # escaped
    if path.startswith("/api/ingest/"):
        for raw in RAW_BODIES[:6] + [b"PK\x03\x04junk", b"a,b\n" + b"x," * 20_000]:
            for content_type in CONTENT_TYPES[1:]:
                yield raw, content_type


#: Opened from an e-mail by a person: they answer with a page in the mail's language (issue
#: 14), not the API's JSON shape; they must still never fail with a 5xx.
MAIL_LINK_PAGES = ("/api/follows/confirm/", "/api/follows/unsubscribe/")


def test_no_hostile_body_makes_a_server_error_on_any_post_route(fuzz):
    app, client, ids = fuzz
    paths = post_paths(app, ids)
    assert len(paths) >= 16 and "/api/documents/BP-2026-225-001/proposals" in paths
    failures, statuses = [], set()
    for path in paths:
        for data, content_type in bodies(path):
            response = client.post(path, data=data, content_type=content_type,
                                   headers={"Authorization": "Bearer t0ken"})
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{path} {content_type} {data[:60]!r}: {response.status_code}")
            elif response.status_code >= 400 and path.startswith("/api/") \
                    and not path.startswith(MAIL_LINK_PAGES):
                body = response.get_json(silent=True)
                if not (isinstance(body, dict) and set(body) == {"ok", "status", "error", "errors"}):
                    failures.append(f"{path} {data[:60]!r}: not the error shape")
    assert not failures, failures[:20]
    assert {400, 422}.issubset(statuses) and len(statuses) > 5  # it reached past the gates
