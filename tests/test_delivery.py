"""R17 delivery: each final report is e-mailed once to its administrator, with the PDF and XLSX
in both languages attached; failures back off and retry; without an SMTP host the message is
written to an outbox folder. A real SMTP server (aiosmtpd) listens on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import email
import shutil
from email import policy

import pytest

from submit_api.db import connect
from submit_api.reports.mail import (backoff, deliver_pending, load_administrator_emails,
                                     requeue, stuck_deliveries)
from submit_api.reports.store import generate_due_reports
from tests.helpers import ROOT, free_port
from tests.helpers import REPORT_ADMINISTRATORS as ADMINISTRATORS, DOCUMENT, GENERATED, UID, make_example
from tests.helpers import moderate_pending

MESSAGE_ID = f"<report-{UID}-v1@ashyq.portal>"
ATTACHMENTS = {f"{UID}-v1-{lang}.{ext}" for lang in ("kk", "ru")
               for ext in ("pdf", "xlsx", "sha256.json", "sha256.json.p7s")}
T0 = 1_750_000_000.0   # a fixed "now" for the state machine


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A database with one generated report and its files, made once; each test copies it."""
    base = tmp_path_factory.mktemp("delivery")
    conn = make_example(base / "ashyq.sqlite3")
    moderate_pending(conn)
    generate_due_reports(conn, [DOCUMENT], GENERATED, base / "reports", ADMINISTRATORS)
    conn.close()
    return base


@pytest.fixture
def fresh(generated, tmp_path):
    for name in ("ashyq.sqlite3", "reports"):
        src = generated / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, tmp_path / name)
    conn = connect(tmp_path / "ashyq.sqlite3")
    yield conn, tmp_path / "reports"
    conn.close()


def delivery(conn) -> dict:
    row = conn.execute("SELECT status, attempts, next_attempt_at, last_error, sent_at, recipient, "
                       "message_id FROM deliveries").fetchone()
    return dict(zip(("status", "attempts", "next_attempt_at", "last_error", "sent_at",
                     "recipient", "message_id"), tuple(row)))


def test_r17_report_is_emailed_once_with_both_languages_attached(fresh, smtp):
    conn, reports = fresh
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS) == {"sent": 1, "failed": 0}
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS) == {"sent": 0, "failed": 0}
    [envelope] = smtp.accepted
    assert envelope.rcpt_tos == ["budget225@edu.example"]
    [msg] = smtp.messages()
    assert msg["Message-ID"] == MESSAGE_ID and msg["To"] == "budget225@edu.example"
    assert "Жария талқылаудың аяқталуы туралы есеп" in msg["Subject"]
    assert "Отчет о завершении публичного обсуждения" in msg["Subject"] and UID in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "Құрметті әріптестер" in body and "Уважаемые коллеги" in body
    attached = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(attached) == ATTACHMENTS
    for lang in ("kk", "ru"):
        for ext in ("pdf", "xlsx"):
            part = attached[f"{UID}-v1-{lang}.{ext}"]
            assert part.get_content() == (reports / UID / "v1" / lang / f"report.{ext}").read_bytes()
    assert attached[f"{UID}-v1-kk.pdf"].get_content_type() == "application/pdf"
    assert "pdfsig" in body and "ashyq reports verify" in body


def test_r17_an_emailed_xlsx_is_checked_against_the_emailed_signed_manifest(generated, fresh, smtp,
                                                                           tmp_path):
    """Issue 15: what the state body receives can be checked as received, by file name."""
    from submit_api.reports.sign import verify_file
    from submit_api.reports.store import signing_key

    conn, reports = fresh
    deliver_pending(conn, reports, smtp.config, ADMINISTRATORS)
    [msg] = smtp.messages()
    saved = tmp_path / "mailbox"
    saved.mkdir()
    for part in msg.iter_attachments():
        (saved / part.get_filename()).write_bytes(part.get_content())
    trusted = [signing_key(generated / "reports").root]   # the demo key they were signed with
    for name in (f"{UID}-v1-ru.xlsx", f"{UID}-v1-kk.pdf"):
        verdicts = verify_file(saved / name, trusted)
        assert len(verdicts) == (2 if name.endswith(".pdf") else 1)
        assert all(v.ok for v in verdicts), [v.problems for v in verdicts]
    xlsx = saved / f"{UID}-v1-ru.xlsx"
    xlsx.write_bytes(xlsx.read_bytes() + b"\0")
    [verdict] = verify_file(xlsx, trusted)
    assert not verdict.ok and "differs from the signed SHA-256" in verdict.problems[0]
    state = delivery(conn)
    assert state["status"] == "sent" and state["attempts"] == 1 and state["sent_at"]


def test_r17_refused_by_the_server_backs_off_then_is_sent_once(fresh, smtp):
    conn, reports = fresh
    smtp.refuse = 1
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS, now=T0) == {
        "sent": 0, "failed": 1}
    state = delivery(conn)
    assert state["status"] == "failed" and state["attempts"] == 1 and "451" in state["last_error"]
    assert state["next_attempt_at"] == T0 + 60
    # not yet due: nothing is tried
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS, now=T0 + 59) == {
        "sent": 0, "failed": 0}
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS, now=T0 + 60) == {
        "sent": 1, "failed": 0}
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS, now=T0 + 9999) == {
        "sent": 0, "failed": 0}
    assert [m["Message-ID"] for m in smtp.messages()] == [MESSAGE_ID]
    state = delivery(conn)
    assert state["status"] == "sent" and state["attempts"] == 2 and state["last_error"] is None


def test_r17_unreachable_server_backs_off_exponentially(fresh, smtp):
    conn, reports = fresh
    down = dict(smtp.config, MAIL_PORT=free_port())     # nothing listens there
    deliver_pending(conn, reports, down, ADMINISTRATORS, now=T0)
    assert delivery(conn)["next_attempt_at"] == T0 + 60
    deliver_pending(conn, reports, down, ADMINISTRATORS, now=T0 + 60)
    state = delivery(conn)
    assert state["status"] == "failed" and state["attempts"] == 2
    assert "Connection" in state["last_error"] and state["next_attempt_at"] == T0 + 60 + 120
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS, now=T0 + 180) == {
        "sent": 1, "failed": 0}
    assert len(smtp.accepted) == 1


def test_r17_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 4, 6, 7, 50)] == [60, 120, 240, 480, 1920, 3600, 3600]


def test_r17_without_mail_host_the_message_goes_to_the_outbox_once(fresh, tmp_path):
    conn, reports = fresh
    config = {"MAIL_OUTBOX": str(tmp_path / "outbox")}
    assert deliver_pending(conn, reports, config, ADMINISTRATORS) == {"sent": 1, "failed": 0}
    assert deliver_pending(conn, reports, config, ADMINISTRATORS) == {"sent": 0, "failed": 0}
    [eml] = (tmp_path / "outbox").iterdir()
    assert eml.name == f"report-{UID}-v1.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Message-ID"] == MESSAGE_ID
    assert {p.get_filename() for p in msg.iter_attachments()} == ATTACHMENTS


def test_r17_a_row_left_sending_is_reported_not_resent(fresh, smtp):
    conn, reports = fresh
    conn.execute("UPDATE deliveries SET status = 'sending', attempts = 1")   # a crash mid-send
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS) == {"sent": 0, "failed": 0}
    assert smtp.accepted == []
    [stuck] = stuck_deliveries(conn)
    assert stuck["document"] == UID and stuck["message_id"] == MESSAGE_ID
    assert requeue(conn, stuck["id"])                 # a person checked the mail log
    assert deliver_pending(conn, reports, smtp.config, ADMINISTRATORS) == {"sent": 1, "failed": 0}
    assert stuck_deliveries(conn) == [] and not requeue(conn, stuck["id"])


def test_r17_tampered_files_or_no_address_are_not_sent(fresh, smtp):
    conn, reports = fresh
    (reports / UID / "v1" / "kk" / "report.pdf").write_bytes(b"%PDF-1.7 forged")
    assert deliver_pending(conn, reports, smtp.config, {}, now=T0) == {"sent": 0, "failed": 1}
    assert "do not match" in delivery(conn)["last_error"] and smtp.accepted == []
    conn.execute("UPDATE deliveries SET recipient = ''")
    assert deliver_pending(conn, reports, smtp.config, {}, now=T0 + 60) == {"sent": 0, "failed": 1}
    assert "no e-mail address for administrator 225" in delivery(conn)["last_error"]


def test_r17_administrator_emails_come_from_the_content_file():
    emails = load_administrator_emails(ROOT / "content" / "administrators.toml")
    assert emails["225"] == "budget225@edu.example" and emails["217"] == "budget217@minfin.example"
    assert all("@" in address for address in emails.values())


def test_r17_sent_at_is_kazakhstan_time(fresh, tmp_path):
    conn, reports = fresh
    deliver_pending(conn, reports, {"MAIL_OUTBOX": str(tmp_path / "o")}, ADMINISTRATORS, now=T0)
    sent = dt.datetime.fromisoformat(delivery(conn)["sent_at"])
    assert sent.utcoffset() == dt.timedelta(hours=5) and sent.timestamp() == T0
