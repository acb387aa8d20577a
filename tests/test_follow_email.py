"""E-mail follow (issue 14) with a real SMTP server (aiosmtpd), driven by the rebuild worker:
follow -> confirmation link -> event -> e-mail with List-Unsubscribe (RFC 8058) -> one-click
unsubscribe -> no more e-mail; exactly once; a crash mid-send sends nothing twice; the staff
digest (R15, R16); addresses never leave the database."""
from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest

from ashyq.i18n import translations
from ashyq.manifest import read_manifest
from portal.worker import RebuildWorker
from submit_api.store import follows as store
from submit_api.follow.mails import DIGEST_SUBJECT, PROPOSAL, SUBJECTS
from submit_api.follow.run import deliver
from tests.helpers import OPEN, answer, csrf, moderate, propose

ADDRESS = "citizen.follows@example.kz"


def follow(client, target_type="document", target_id=OPEN, email=ADDRESS, lang="ru"):
    return client.post("/api/follows", json={"target_type": target_type, "target_id": target_id,
                                             "email": email, "lang": lang},
                       headers={"X-CSRFToken": csrf(client)})


@pytest.fixture
def worker(app, small_content, tmp_path, smtp):
    config = dict(smtp.config, MAIL_OPERATORS="operators@budget.example")
    return RebuildWorker(Path(app.config["DATABASE"]), small_content, tmp_path / "out",
                         tmp_path / "cache", site_url="https://budget.example",
                         mail_config=config, follow_every=0, reports_every=3600)


def link_path(text: str, kind: str) -> str:
    found = re.search(rf"https://budget\.example(/api/follows/{kind}/[A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def mails_to(smtp, address):
    return [m for m in smtp.messages() if address in m["To"]]


def test_follow_confirm_event_unsubscribe_round_trip(office, app, worker, smtp, monkeypatch,
                                                     caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    assert follow(citizen).status_code == 202
    # Nothing is sent but the confirmation; the address is not echoed back.
    assert ADDRESS not in citizen.get("/api/follows").get_data(as_text=True)
    worker.tick()
    confirm = mails_to(smtp, ADDRESS)
    assert len(confirm) == 1 and confirm[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = confirm[0].get_content()
    page = app.test_client().get(link_path(body, "confirm"))  # a mail scanner opening the link
    assert page.status_code == 200 and "<form method=\"post\"" in page.get_data(as_text=True)
    assert citizen.get("/api/follows").get_json()["follows"][0]["confirmed"] is False
    assert app.test_client().post(link_path(body, "confirm")).status_code == 200
    assert citizen.get("/api/follows").get_json()["follows"][0]["confirmed"] is True

    # An event after the confirmation: a proposal on the document is published (R15).
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-05T11:00:00+05:00")
    pid = propose(citizen, "Предлагаю добавить показатель охвата сельских школ.").get_json()["id"]
    assert moderate(operator, pid).status_code == 200
    worker.tick()
    letters = mails_to(smtp, ADDRESS)
    assert len(letters) == 2
    event = letters[1]
    ru = translations(app.config["LOCALE_DIR"], "ru").gettext
    assert event["Subject"].startswith(ru(SUBJECTS["published"]).split("%")[0])
    assert ru(PROPOSAL) % {"id": pid, "part": "Цель"} in event.get_content()
    unsubscribe = event["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://budget.example/api/follows/unsubscribe/")
    assert event["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    worker.tick()
    assert len(mails_to(smtp, ADDRESS)) == 2  # exactly once

    # One-click unsubscribe, as a mail client does it (RFC 8058): a POST, no CSRF, no page.
    path = unsubscribe.removeprefix("https://budget.example")
    done = app.test_client().post(path, data="List-Unsubscribe=One-Click",
                                  content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    assert citizen.get("/api/follows").get_json()["follows"] == []
    with sqlite3.connect(app.config["DATABASE"]) as conn:  # the address is forgotten at once
        assert conn.execute("SELECT email FROM follows").fetchall() == [("",)]
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-05T12:00:00+05:00")
    assert answer(employee, pid).status_code == 200  # another event (R16) ...
    worker.tick()
    assert len(mails_to(smtp, ADDRESS)) == 2  # ... and no more e-mail

    # The address lives only in the database: not in the portal's logs (the SMTP server's own
    # log, aiosmtpd's "mail.log", is the mail server's), the site or its open data.
    assert not [r for r in caplog.records
                if not r.name.startswith("mail.log") and ADDRESS in r.getMessage()]
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".xml", ".ics"):
            assert ADDRESS not in path.read_text(encoding="utf-8", errors="ignore"), path


def test_state_body_follow_gets_its_documents_events(office, app, worker, smtp, monkeypatch):
    citizen, operator = office("person1"), office("person2")
    assert follow(citizen, "administrator", "225", lang="kk").status_code == 202
    worker.tick()
    body = mails_to(smtp, ADDRESS)[0].get_content()
    app.test_client().post(link_path(body, "confirm"))
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-05T11:00:00+05:00")
    pid = propose(citizen, "Ұсыныс: ауыл мектептерін қамту көрсеткішін қосу.", lang="kk").get_json()["id"]
    moderate(operator, pid)
    worker.tick()
    letters = mails_to(smtp, ADDRESS)
    assert len(letters) == 2 and letters[1]["Content-Language"] == "kk"


def test_refusals_are_4xx_in_the_one_shape(office, app, client):
    citizen = office("person1")
    for response, status, code in (
            (follow(client), 401, "sign_in_required"),
            (follow(citizen, email="not an address"), 422, "email_invalid"),
            (follow(citizen, target_id="NO-SUCH"), 404, "follow_target_unknown"),
            (follow(citizen, "administrator", "999"), 404, "follow_target_unknown"),
            (follow(citizen, lang="en"), 422, "lang_invalid")):
        body = response.get_json()
        assert response.status_code == status and body["status"] == status, body
        assert body["errors"][0]["code"] == code
    assert app.test_client().get("/api/follows/unsubscribe/nonsense").status_code == 404


def test_a_crash_mid_send_does_not_send_twice(office, app, worker, smtp):
    citizen = office("person1")
    follow(citizen)
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    claimed = store.claim(conn, 1e12, set())  # the worker took the row and died before sending
    assert claimed["kind"] == "confirm"
    worker.tick()
    assert mails_to(smtp, ADDRESS) == []
    assert conn.execute("SELECT status FROM follow_mails").fetchone()[0] == "sending"
    conn.close()


def test_staff_digest_once_a_day(office, app, worker, smtp, monkeypatch):
    citizen, operator = office("person1"), office("person2")
    first = propose(citizen, "Первое предложение о цели программы.").get_json()["id"]
    second = propose(citizen, "Второе предложение о задачах программы.", part="objectives").get_json()["id"]
    moderate(operator, second)
    worker.tick()
    operators = mails_to(smtp, "operators@budget.example")
    assert len(operators) == 1 and f"№ {first}" in operators[0].get_content()
    state_body = mails_to(smtp, "budget225@edu.example")
    assert len(state_body) == 1 and f"№ {second}" in state_body[0].get_content()
    worker.tick()
    assert len(mails_to(smtp, "operators@budget.example")) == 1  # once a day
    # Three working days later the pending one is overdue (R15) in the next day's digest.
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-10T09:00:00+05:00")
    worker.tick()
    operators = mails_to(smtp, "operators@budget.example")
    assert len(operators) == 2
    ru = translations(app.config["LOCALE_DIR"], "ru").gettext
    assert ru(DIGEST_SUBJECT) % {"new": 0, "overdue": 1} in operators[1]["Subject"]
    assert f"№ {first}" in operators[1].get_content()


def test_failures_back_off_and_never_log_the_address(office, app, small_content, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    citizen = office("person1")
    follow(citizen)
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    documents = [d.entry for d in read_manifest(tmp_path / "out").values()]
    counts = deliver(conn, documents, {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": 9, "MAIL_TIMEOUT": 2},
                     "https://budget.example", tmp_path / "locale", {}, now=1000.0)
    assert counts["failed"] == 1
    status, error, due = conn.execute("SELECT status, last_error, next_attempt_at FROM follow_mails").fetchone()
    assert status == "failed" and ADDRESS not in (error or "") and due == 1060.0
    assert not [r for r in caplog.records if ADDRESS in r.getMessage()]
    conn.close()


def test_link_pages_are_valid_html(office, app, tmp_path):
    from tests.helpers import JAVA, check
    if JAVA is None:
        pytest.skip("no Java runtime")
    follow(office("person1"))
    token = sqlite3.connect(app.config["DATABASE"]).execute("SELECT token FROM follows").fetchone()[0]
    files = []
    for name, path in (("confirm", f"/api/follows/confirm/{token}"),
                       ("unsubscribe", f"/api/follows/unsubscribe/{token}"),
                       ("unknown", "/api/follows/unsubscribe/nonsense")):
        target = tmp_path / f"{name}.html"
        target.write_bytes(app.test_client().get(path).get_data())
        files.append(target)
    assert not check(files)
