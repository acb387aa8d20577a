"""The back office over real HTTP: roles (R8), moderation (R15), answers (R16), audit log."""
from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from portal.cli import main as cli
from submit_api import audit
from submit_api.identity import person_id
from submit_api.staff import CLI_ACTOR, grant
from tests.helpers import OPEN, answer, csrf, db, moderate, post, propose









def test_whole_workflow_from_proposal_to_answer(office, app):
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    pid = propose(citizen, "Добавить показатель по сельским школам. www.example.kz").get_json()["id"]

    queue = operator.get("/api/office/queue").get_json()
    item = next(i for i in queue["moderation"] if i["id"] == pid)
    assert item["due"] == "2025-03-07" and item["overdue"] is False  # R15: 2 working days
    assert [f["flag"] for f in item["flags"]] == ["link"]
    assert "answers" not in queue  # the operator answers nothing

    decided = moderate(operator, pid).get_json()
    assert decided["status"] == "published" and decided["code"] == "complies"
    with db(app) as conn:
        assert conn.execute("SELECT document, kind FROM site_changes").fetchall() == [(OPEN, "moderation")]

    answers = employee.get("/api/office/queue").get_json()["answers"]
    assert [(i["id"], i["due"]) for i in answers] == [(pid, "2025-03-11")]  # R16: by discussion end
    assert answer(employee, pid).get_json()["status"] == "accepted"

    mine = citizen.get("/api/me/proposals").get_json()["proposals"][0]
    assert mine["status"] == "accepted" and mine["moderation_code"] == "complies"
    assert mine["answer_text"] == "Учтём при доработке паспорта."
    with db(app) as conn:
        assert audit.verify(conn).ok
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["grant"] * 4 + ["moderate", "answer"]


def test_r15_refusal_only_on_paragraph_14_grounds_with_words(office):
    """¶15: the operator checks against ¶14 only: a refusal names one or more of its grounds
    and justifies the decision in words; "other" or any unknown ground is a 400 naming R15."""
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Текст предложения").get_json()["id"]
    for body in ({"decision": "refuse", "reason": "other", "text": "Министерство не согласно"},
                 {"decision": "refuse", "grounds": ["disagrees"], "text": "Министерство не согласно"},
                 {"decision": "refuse", "grounds": ["spam", "complies"], "text": "Спам"}):
        response = post(operator, f"/api/office/proposals/{pid}/moderation", body)
        assert response.status_code == 400, body
        error = response.get_json()["errors"][0]
        assert (error["code"], error["rule"]) == ("unknown_ground", "R15")
    typed = post(operator, f"/api/office/proposals/{pid}/moderation",
                 {"decision": "refuse", "grounds": "spam", "text": "Спам"})
    assert typed.status_code == 400 and typed.get_json()["errors"][0]["field"] == "grounds"
    for body in ({"decision": "refuse", "grounds": [], "text": "Без оснований"},
                 {"decision": "refuse", "grounds": ["spam"], "text": "  "}):
        response = post(operator, f"/api/office/proposals/{pid}/moderation", body)
        assert response.status_code == 422, body
        assert response.get_json()["errors"][0]["rule"] == "R15"
    ok = post(operator, f"/api/office/proposals/{pid}/moderation",
              {"decision": "refuse", "grounds": ["advertising", "off_topic"],
               "text": "Ссылка на магазин, к паспорту не относится"}).get_json()
    assert ok["status"] == "refused" and ok["grounds"] == ["advertising", "off_topic"]
    assert ok["reason"] == "Ссылка на магазин, к паспорту не относится"
    mine = citizen.get("/api/me/proposals?lang=ru").get_json()["proposals"][0]
    assert mine["moderation_grounds_labels"] == ["Предложение содержит рекламу",
                                                 "Предложение содержит информацию, не относящуюся к выбранному документу"]
    assert mine["moderation_reason"] == "Ссылка на магазин, к паспорту не относится"
    again = moderate(operator, pid, "publish")
    assert again.status_code == 409 and again.get_json()["errors"][0]["code"] == "already_decided"
    catalogue = operator.get("/api/office/reasons").get_json()["reasons"]
    assert sorted(r["code"] for r in catalogue if r["decision"] == "refuse") == [
        "advertising", "insult", "obscene", "off_topic", "spam", "too_long"]


def test_r15_publication_records_its_justification(office, app):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Предлагаю опубликовать").get_json()["id"]
    done = moderate(operator, pid, "publish", text="По теме паспорта, без нарушений п. 14").get_json()
    assert done["grounds"] == ["complies"] and done["reason"] == "По теме паспорта, без нарушений п. 14"
    with db(app) as conn:
        after = json.loads(conn.execute("SELECT after FROM audit_log WHERE action = 'moderate'").fetchone()[0])
    assert after == {"status": "published", "code": "complies", "grounds": ["complies"],
                     "reason": "По теме паспорта, без нарушений п. 14"}


def test_refused_text_stays_private(office, app):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Сукажан").get_json()["id"]
    moderate(operator, pid, "refuse", "obscene", text="Бейәдеп сөз")
    from submit_api.public import snapshot_json
    with db(app) as conn:
        assert "Сукажан" not in snapshot_json(conn)
    mine = citizen.get("/api/me/proposals").get_json()["proposals"][0]
    assert mine["status"] == "refused" and mine["moderation_code"] == "obscene"


@pytest.mark.parametrize("who, path, status", [
    ("person2", "answer", 403),     # the operator cannot answer (R16)
    ("person4", "answer", 403),     # an employee of 261 cannot answer on 225's document
    ("person3", "moderation", 403),  # an employee cannot moderate (R15)
    ("person1", "moderation", 403),  # a citizen is not staff
])
def test_nobody_acts_outside_their_role_or_code(office, who, path, status):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, f"Предложение для проверки прав {who} {path}").get_json()["id"]
    moderate(operator, pid)
    actor = office(who)
    response = (answer(actor, pid) if path == "answer" else moderate(actor, pid))
    assert response.status_code == status
    assert response.get_json()["errors"][0]["code"] in ("not_allowed", "not_staff")


def test_r16_answer_needs_justification_and_open_discussion(office, monkeypatch):
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    pid = propose(citizen, "Предложение о сроках").get_json()["id"]
    moderate(operator, pid)
    empty = answer(employee, pid, text="  ")
    assert empty.status_code == 422
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")  # the day after the end
    late = answer(employee, pid)
    assert late.status_code == 409 and late.get_json()["errors"][0]["rule"] == "R16"


def test_pending_proposals_cannot_be_answered(office):
    citizen, employee = office("person1"), office("person3")
    pid = propose(citizen, "Ещё не промодерировано").get_json()["id"]
    assert answer(employee, pid).status_code == 404


def test_r15_overdue_on_a_week_with_a_holiday(office, monkeypatch):
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-06T16:00:00+05:00")  # Thursday
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Предложение в четверг").get_json()["id"]
    item = lambda: next(i for i in operator.get("/api/office/queue").get_json()["moderation"]  # noqa: E731
                        if i["id"] == pid)
    assert item()["due"] == "2025-03-11"  # Fri 7th, Mon 10th is a holiday, Tue 11th
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-11T18:00:00+05:00")
    assert item()["overdue"] is False
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")
    assert item()["overdue"] is True


def test_r8_lead_manages_only_its_own_employees(office, pki, app):
    lead, employee = office("person5"), office("person3")
    new_iin = pki.leaf("person1").iin
    granted = post(lead, "/api/office/staff", {"iin": new_iin, "role": "employee", "administrator": "225"})
    assert granted.status_code == 201
    assert post(lead, "/api/office/staff", {"iin": new_iin, "role": "employee",
                                            "administrator": "261"}).status_code == 403
    assert post(lead, "/api/office/staff", {"iin": new_iin, "role": "operator"}).status_code == 403
    assert post(employee, "/api/office/staff", {"iin": new_iin, "role": "employee",
                                                "administrator": "225"}).status_code == 403
    listed = lead.get("/api/office/staff").get_json()["staff"]
    assert {r["administrator"] for r in listed} == {"225"} and len(listed) == 3
    revoked = post(lead, "/api/office/staff/revoke", {"iin": new_iin, "role": "employee",
                                                      "administrator": "225"})
    assert revoked.status_code == 200
    assert post(lead, "/api/office/staff", {"iin": "123", "role": "employee",
                                            "administrator": "225"}).get_json()["errors"][0]["code"] == "bad_iin"


def test_audit_chain_detects_an_edited_row(office, app):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Для журнала").get_json()["id"]
    moderate(operator, pid)
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'someone' WHERE id = 2")
    conn.execute("DROP TRIGGER audit_log_no_update")  # an intruder with the file
    conn.execute("UPDATE audit_log SET after = '{\"status\":\"refused\"}' WHERE action = 'moderate'")
    report = audit.verify(conn)
    conn.close()
    assert not report.ok and report.broken_at == 5 and "edited" in report.problem
    exported = operator.get("/api/office/audit").get_json()
    assert exported["chain"]["broken_at"] == 5
    assert operator.get("/api/office/audit.csv").get_data(as_text=True).startswith("id,at,actor")


def test_r13_legal_entity_key_takes_part_and_staff_keep_their_roles(app, pki, sign_in):
    """¶2(1): a legal entity's key is accepted for everyone (tests/test_legal_persons.py);
    a staff member signing with it keeps their roles as a person (R8)."""
    assert sign_in(app.test_client(), who="legal")["kind"] == "legal"
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    grant(conn, CLI_ACTOR, person_id(pki.leaf("legal").iin, app.config["IDENTITY_KEY"]), "employee", "225")
    conn.close()
    client = app.test_client()
    sign_in(client, who="legal")
    assert client.get("/api/me").get_json()["staff"] == [{"role": "employee", "administrator": "225"}]


def test_cli_staff_and_audit(app, pki, monkeypatch):
    monkeypatch.setenv("ASHYQ_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("ASHYQ_LOCALE_DIR", app.config["LOCALE_DIR"])
    runner = CliRunner()
    iin = pki.leaf("person2").iin
    result = runner.invoke(cli, ["staff", "grant", iin, "lead", "--administrator", "225"])
    assert result.exit_code == 0 and "granted lead of 225" in result.output
    listed = runner.invoke(cli, ["staff", "list"])
    assert "lead" in listed.output and iin not in listed.output
    assert runner.invoke(cli, ["staff", "grant", iin, "employee"]).exit_code == 1  # no code
    assert runner.invoke(cli, ["staff", "grant", "123456789012", "operator"]).exit_code == 1
    assert "intact: 1 entries" in runner.invoke(cli, ["audit", "verify"]).output
    assert runner.invoke(cli, ["staff", "revoke", iin, "lead", "--administrator", "225"]).exit_code == 0
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE id = 1")
    conn.close()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and "broken at entry 2" in broken.output
