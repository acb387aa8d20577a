"""No proposal lost to the calendar (paragraphs 15-17, RULES.md interpretation): a proposal
sent on the last day is moderated within the operator's 2 working days, after the end; the
final report waits for it; the administrator may answer it until the report is formed, and the
report marks that answer as given after the end. Real dates of the 2025 calendar (8 March fell
on a Saturday, so Monday 10 March was a day off), a real build, the real worker and reports."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from portal.worker import RebuildWorker, export_snapshot
from ashyq.workdays import load_calendar
from generator.build import build
from submit_api.reports.store import waiting_for
from tests.helpers import OPEN, answer, moderate, propose

LAST_DAY = "2025-03-11T17:30:00+05:00"   # the discussion of OPEN ends on Tuesday 11 March 2025


def make_worker(app, small_content, tmp_path):
    database = Path(app.config["DATABASE"])
    site = tmp_path / "served"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 11),
          snapshot=export_snapshot(database, tmp_path / "snapshot.json"))
    worker = RebuildWorker(database, small_content, site, tmp_path / "cache", debounce=0,
                           reports_dir=tmp_path / "reports", reports_every=0,
                           mail_config={"MAIL_OUTBOX": str(tmp_path / "outbox")})
    return site, worker


def reports_of(app) -> list[str]:
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        return [r[0] for r in conn.execute("SELECT document FROM reports ORDER BY document")]


def test_p15_p17_last_day_proposal_is_answered_after_the_end_and_marked(
        office, app, small_content, tmp_path, monkeypatch):
    monkeypatch.setenv("ASHYQ_NOW", LAST_DAY)
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    in_time = propose(citizen, "Предложение, опубликованное в срок").get_json()["id"]
    moderate(operator, in_time)
    sent = propose(citizen, "Предложение в последний день обсуждения").get_json()
    assert sent["moderation_due"] == "2025-03-13"   # R15: Wed 12, Thu 13 March
    site, worker = make_worker(app, small_content, tmp_path)

    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")  # the day after the end
    worker.tick()
    assert reports_of(app) == ["BP-2026-261-002"]   # OPEN's report waits for moderation
    assert not (site / "ru/discussions" / OPEN / "report").exists()
    # a proposal published in time stays under R16: its answer was due by the end
    assert answer(employee, in_time).status_code == 409

    monkeypatch.setenv("ASHYQ_NOW", "2025-03-13T10:00:00+05:00")  # operator, on the due day
    moderate(operator, sent["id"], text="Соответствует пункту 14")
    done = answer(employee, sent["id"], "accept", "Учтём при доработке паспорта.")
    assert done.status_code == 200, done.get_json()            # answered after the end
    queue = employee.get("/api/office/queue").get_json()["answers"]
    assert [(i["id"], i["after_end"], i["overdue"]) for i in queue] == [(in_time, False, True)]
    worker.tick()                                   # nothing waits now: the report is formed
    assert reports_of(app) == [OPEN, "BP-2026-261-002"]
    too_late = answer(employee, sent["id"], "reject", "Передумали.")
    assert too_late.status_code == 409 and too_late.get_json()["errors"][0]["rule"] == "R16"

    worker.tick()
    report = json.loads((site / "ru/discussions" / OPEN / "report/report.json").read_text("utf-8"))
    rows = {r["id"]: r for r in report["rows"]}
    assert rows[sent["id"]]["answer"] == {"decision": "accept", "text": "Учтём при доработке паспорта.",
                                          "date": "2025-03-13", "after_end": True}
    assert rows[in_time]["answer"] is None and report["header"]["discussion_end"] == "2025-03-11"
    html = (site / "ru/discussions" / OPEN / "report/index.html").read_text("utf-8")
    assert "Ответ дан после завершения обсуждения" in html
    assert "Русские подписи – перевод портала" in html          # annex labels: whose words
    kk = (site / "kk/discussions" / OPEN / "report/index.html").read_text("utf-8")
    assert "Жауап талқылау аяқталғаннан кейін берілді" in kk


def test_p16_late_published_proposal_holds_the_report_two_working_days(office, app, monkeypatch):
    """Unanswered, a proposal published after the end holds the report for the administrator's
    2 working days after its publication, then the report is formed without an answer."""
    monkeypatch.setenv("ASHYQ_NOW", LAST_DAY)
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Ещё одно предложение в последний день").get_json()["id"]
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-13T10:00:00+05:00")
    moderate(operator, pid)
    document = {"uid": OPEN, "discussion_end": "2025-03-11"}
    calendar = load_calendar()
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        assert waiting_for(conn, document, dt.date(2025, 3, 13), calendar) == "late_answer"
        assert waiting_for(conn, document, dt.date(2025, 3, 17), calendar) == "late_answer"  # Fri 14, Mon 17
        assert waiting_for(conn, document, dt.date(2025, 3, 18), calendar) is None
        conn.execute("UPDATE proposals SET status = 'pending' WHERE id = ?", (pid,))
        assert waiting_for(conn, document, dt.date(2025, 4, 1), calendar) == "moderation"
