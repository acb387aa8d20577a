"""Legal persons take part (paragraph 2(1): an information user is a natural or legal person;
paragraphs 11 and 13, R11, R13): a legal entity's AUTH key (key user 1.2.398.3.3.4.1.2.x, BIN
in the subject) signs in as its organisation; one vote per organisation; proposals recorded for
the organisation; the BIN and the signer's IIN are kept only as keyed hashes. Real signatures
from the test PKI, a real build's manifest, a real SQLite file."""
from __future__ import annotations

import sqlite3

from submit_api.identity import organisation_id, person_id
from submit_api.staff import CLI_ACTOR, grant
from tests.helpers import OPEN, csrf, propose, publish, vote


def totals(client):
    return client.get(f"/api/documents/{OPEN}/totals").get_json()


def test_p2_legal_entity_key_signs_in_as_the_organisation(app, pki, sign_in):
    client = app.test_client()
    body = sign_in(client, who="legal")
    assert body["kind"] == "legal" and body["organisation"] == "ТОО ТЕСТ"
    me = client.get("/api/me").get_json()
    assert (me["signed_in"], me["kind"], me["as"], me["staff"]) == (True, "legal", "organisation", [])
    person = app.test_client()
    sign_in(person, who="person1")
    assert person.get("/api/me").get_json()["as"] == "person"


def test_p11_one_vote_per_organisation_whoever_signs(app, pki, sign_in):
    ceo, employee, other = (app.test_client() for _ in range(3))
    sign_in(ceo, who="legal")
    sign_in(employee, who="legal2")        # same BIN, another person
    sign_in(other, who="legal_other")      # another organisation
    assert vote(ceo, f"/api/documents/{OPEN}", "for").status_code == 200
    assert vote(employee, f"/api/documents/{OPEN}", "against").status_code == 200
    assert vote(other, f"/api/documents/{OPEN}", "for").status_code == 200
    live = totals(ceo)
    assert live["votes"] == {"for": 1, "against": 1}   # the organisation's vote was changed
    assert live["my_vote"] == "against" and totals(employee)["my_vote"] == "against"
    key = app.config["IDENTITY_KEY"]
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        voters = {r[0] for r in conn.execute("SELECT person FROM votes")}
    assert voters == {organisation_id(pki.leaf("legal").bin, key),
                      organisation_id(pki.leaf("legal_other").bin, key)}


def test_p13_proposal_is_the_organisations_with_its_signer_keyed(app, pki, sign_in):
    ceo, employee = app.test_client(), app.test_client()
    sign_in(ceo, who="legal")
    sign_in(employee, who="legal2")
    pid = propose(ceo, "Предложение организации по цели программы").get_json()["id"]
    # the same organisation sends the same text again through another person at once: the
    # same proposal (answered as already sent, like a double tap), never a second one
    again = propose(employee, "Предложение организации по цели программы")
    assert again.status_code == 200 and again.get_json()["id"] == pid
    assert again.get_json()["repeated"] is True
    mine = employee.get("/api/me/proposals").get_json()["proposals"]
    assert [p["id"] for p in mine] == [pid]          # the organisation's proposals, for each signer
    key = app.config["IDENTITY_KEY"]
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        row = conn.execute("SELECT person, signer FROM proposals WHERE id = ?", (pid,)).fetchone()
        dump = "\n".join(conn.iterdump())
    assert row == (organisation_id(pki.leaf("legal").bin, key), person_id(pki.leaf("legal").iin, key))
    for number in pki.iins() + pki.bins():
        assert number not in dump                    # never in clear
    assert "ТОО ТЕСТ" not in dump and "ТЕСТОВ" not in dump
    publish(app, pid)
    assert vote(employee, f"/api/proposals/{pid}", "for").status_code == 200
    assert vote(ceo, f"/api/proposals/{pid}", "for").status_code == 200
    assert totals(ceo)["proposals"][str(pid)] == {"for": 1, "against": 0}


def test_r8_staff_roles_stay_with_the_person_not_the_organisation(app, pki, sign_in):
    """A state body's employee signs in with the organisation's key: the roles are theirs as a
    person (R8); a colleague with the same BIN gets no role."""
    with sqlite3.connect(app.config["DATABASE"], isolation_level=None) as conn:
        grant(conn, CLI_ACTOR, person_id(pki.leaf("legal").iin, app.config["IDENTITY_KEY"]),
              "operator", None)
    staff, colleague = app.test_client(), app.test_client()
    sign_in(staff, who="legal")
    sign_in(colleague, who="legal2")
    assert staff.get("/api/me").get_json()["staff"] == [{"role": "operator", "administrator": None}]
    assert staff.get("/api/office/queue").status_code == 200
    assert colleague.get("/api/office/queue").status_code == 403
    assert vote(staff, f"/api/documents/{OPEN}", "for").status_code == 200


def test_p2_signing_out_ends_the_organisations_session(app, sign_in):
    client = app.test_client()
    sign_in(client, who="legal")
    client.post("/api/auth/logout", headers={"X-CSRFToken": csrf(client)})
    assert client.get("/api/me").get_json()["signed_in"] is False
    assert vote(client, f"/api/documents/{OPEN}", "for").status_code == 401
