"""The rebuild worker: decisions reach the static page; votes refresh totals; a new day
triggers a full build."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from portal.worker import RebuildWorker, export_snapshot
from generator.build import build
from tests.helpers import OPEN, propose, vote
from tests.helpers import answer, moderate


@pytest.fixture
def served(app, small_content, tmp_path):
    """A site built from the app's database, and a worker watching it."""
    database = Path(app.config["DATABASE"])
    site = tmp_path / "served"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          snapshot=export_snapshot(database, tmp_path / "snapshot.json"))
    worker = RebuildWorker(database, small_content, site, tmp_path / "cache", debounce=0.05,
                           totals_every=0)
    return site, worker


def page(site: Path, lang: str = "ru") -> str:
    return (site / lang / "discussions" / OPEN / "index.html").read_text(encoding="utf-8")


def test_a_decision_reaches_the_static_page(office, served):
    site, worker = served
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    pid = propose(citizen, "Опубликуйте меня, пожалуйста.").get_json()["id"]
    worker.tick()  # loads the site; a pending proposal changes nothing public
    assert "Опубликуйте меня" not in page(site)
    moderate(operator, pid)
    assert worker.tick() == []  # inside the debounce window: wait for more
    time.sleep(0.06)
    assert worker.tick() == [OPEN]
    assert "Опубликуйте меня, пожалуйста." in page(site) and "Опубликуйте меня" in page(site, "kk")
    answer(employee, pid, "accept", "Принято к исполнению.")
    time.sleep(0.06)
    worker.tick()
    assert "Принято к исполнению." in page(site)
    assert worker.tick() == []  # nothing new


def test_vote_totals_are_refreshed(office, served):
    site, worker = served
    worker.tick()  # first pass remembers the totals
    citizen = office("person1")
    vote(citizen, f"/api/documents/{OPEN}", "for")
    assert worker.tick() == [OPEN]
    assert 'data-total="for">1<' in page(site)


def test_a_new_day_rebuilds_the_site(served, monkeypatch):
    site, worker = served
    worker.tick()
    first = site.resolve()
    assert "На обсуждении" in page(site)
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T08:00:00+05:00")  # after the discussion end
    worker.tick()
    assert site.resolve() != first and "Обсуждение завершено" in page(site)


def test_a_worker_started_on_a_later_day_rebuilds_before_anything_else(served, monkeypatch):
    import json

    site, worker = served
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T08:00:00+05:00")  # the build was made on 03-05
    first = site.resolve()
    assert worker.catch_up() is True
    manifest = json.loads((site / "opendata" / "documents.json").read_text(encoding="utf-8"))
    assert {d["uid"]: d["status"] for d in manifest["documents"]}[OPEN] == "closed"
    assert site.resolve() != first and "Обсуждение завершено" in page(site)
    assert worker.catch_up() is False  # today's build: nothing to do


def test_r17_report_generated_published_and_mailed_once(office, app, small_content, tmp_path,
                                                        monkeypatch):
    database = Path(app.config["DATABASE"])
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    pid = propose(citizen, "Предложение в итоговый отчет.").get_json()["id"]
    moderate(operator, pid)
    answer(employee, pid, "reject", "Отклонено: средства не предусмотрены.")
    vote(citizen, f"/api/documents/{OPEN}", "against")
    site = tmp_path / "served"
    reports, outbox = tmp_path / "reports", tmp_path / "outbox"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          snapshot=export_snapshot(database, tmp_path / "snapshot.json"))
    worker = RebuildWorker(database, small_content, site, tmp_path / "cache", debounce=0,
                           reports_dir=reports, reports_every=0,
                           mail_config={"MAIL_OUTBOX": str(outbox)})
    worker.tick()
    assert not (site / "ru/discussions" / OPEN / "report").exists()  # still open: no report

    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T08:00:00+05:00")  # the discussion has ended
    worker.tick()  # a new day: full build; the report is generated and queued for mail
    worker.tick()  # the report's page and files come in
    report_dir = site / "ru/discussions" / OPEN / "report"
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "Предложение в итоговый отчет." in html and "Отклонено: средства не предусмотрены." in html
    assert "BP-2026-225-001" in html
    assert {p.name for p in report_dir.iterdir()} == {"index.html", "report.csv", "report.xlsx",
                                                      "report.pdf", "report.json",
                                                      "report.sha256.json",
                                                      "report.sha256.json.p7s"}
    assert "pdfsig report.pdf" in html                  # issue 15: how anyone checks it
    assert (site / "kk/discussions" / OPEN / "report/report.pdf").read_bytes().startswith(b"%PDF")
    assert 'href="report/"' in (site / "ru/discussions" / OPEN / "index.html").read_text(encoding="utf-8")
    mails = sorted(p.name for p in outbox.glob("*.eml"))  # both closed discussions, once each
    assert mails == ["report-BP-2026-225-001-v1.eml", "report-BP-2026-261-002-v1.eml"]
    worker.tick()
    assert sorted(p.name for p in outbox.glob("*.eml")) == mails  # never sent twice
    # A full build of the same state shows the same report page, byte for byte.
    again = tmp_path / "again"
    build(small_content, again, cache_dir=tmp_path / "cache2",
          snapshot=export_snapshot(database, tmp_path / "snapshot2.json"),
          settings={"ASHYQ_REPORTS": str(reports)})
    assert (again / "ru/discussions" / OPEN / "report/index.html").read_bytes() == \
        (report_dir / "index.html").read_bytes()

    # Issue 15: a regenerated report keeps version 1 downloadable, signed, with its reason;
    # the portal's certificate is published for anyone to check against.
    from submit_api import portal_key
    from submit_api.reports import sign
    from submit_api.reports.store import regenerate

    key = portal_key.demo(tmp_path / "portal-demo-key")   # the worker's demo key beside reports
    documents = __import__("json").loads((site / "opendata/documents.json").read_text())
    conn = __import__("sqlite3").connect(database)
    try:
        regenerate(conn, OPEN, documents["documents"], dt.date(2025, 3, 20), reports,
                   deliver=False, reason="Исправлен код администратора", key=key)
    finally:
        conn.close()
    third = tmp_path / "third"
    certificate = tmp_path / "portal-certificate.pem"
    certificate.write_bytes(key.certificate_pem())
    build(small_content, third, cache_dir=tmp_path / "cache3",
          snapshot=export_snapshot(database, tmp_path / "snapshot3.json"),
          settings={"ASHYQ_REPORTS": str(reports), "ASHYQ_PORTAL_CERTIFICATE": str(certificate)})
    folder = third / "ru/discussions" / OPEN / "report"
    html = (folder / "index.html").read_text(encoding="utf-8")
    versions = html.split('id="versions-h"')[1]
    assert "Версия 2" in versions and "Исправлен код администратора" in versions
    assert "Версия 1" in versions and 'href="v1/report.pdf"' in versions
    trusted = sign.load_certificates(third / "opendata/portal-certificate.pem")
    for path in (folder / "v1" / "report.pdf", folder / "report.pdf"):
        assert all(v.ok for v in sign.verify_file(path, trusted)), path
    assert all(v.ok for v in sign.verify_file(folder / "v1" / "report.csv", trusted))


def test_r8_ingested_content_triggers_a_full_build(app, small_content, tmp_path):
    database = Path(app.config["DATABASE"])
    site = tmp_path / "served"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5))
    flag = tmp_path / "rebuild-needed"
    worker = RebuildWorker(database, small_content, site, tmp_path / "cache", rebuild_flag=flag)
    worker.tick()
    first = site.resolve()
    flag.write_text("{}")
    worker.tick()
    assert site.resolve() != first and not flag.exists()


def test_a_stop_asked_by_a_signal_ends_the_loop_at_its_next_pass(tmp_path, monkeypatch):
    """``ashyq worker``'s SIGTERM handler raises the exit wherever the process is; raised in
    a finalizer it is only printed. The flag it sets first (a plain assignment: no lock)
    ends the loop at its next pass all the same."""
    import threading

    worker = RebuildWorker(tmp_path / "db.sqlite3", tmp_path, tmp_path / "out",
                           tmp_path / "cache", poll=0.01)
    passes = []
    monkeypatch.setattr(worker, "catch_up", lambda: None)
    monkeypatch.setattr(worker, "tick", lambda: passes.append(1))
    loop = threading.Thread(target=worker.run, daemon=True)
    loop.start()
    while not passes:
        time.sleep(0.01)
    worker.stopping = True  # (what the handler does before its exit, which may be lost)
    loop.join(timeout=5)
    assert not loop.is_alive()
