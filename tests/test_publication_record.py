"""The publication record (R9, R10, R12: "the posting date is when the portal first showed it,
not a date typed in"): every build lists what it serves (.ashyq-served.json), the worker
records each document version's first serving in the hash-chained audit log, the public
snapshot hands the record to the next build. A real build, the real worker, real dates
(Wednesday 5 March 2025; 10 March 2025 was a day off)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from portal.worker import RebuildWorker, export_snapshot
from generator import compliance
from generator.build import build
from generator.content import load_content
from generator.publication import first_served_dates, record_from_snapshot
from submit_api import audit
from submit_api.public import public_snapshot, publication_record
from tests.helpers import write_document

NEW = "BP-2026-225-009"


def manifest_entry(site: Path, uid: str) -> dict | None:
    data = json.loads((site / "opendata" / "documents.json").read_text(encoding="utf-8"))
    return next((d for d in data["documents"] if d["uid"] == uid), None)


def judged(content: Path, database: Path, today: dt.date) -> list:
    with sqlite3.connect(database) as conn:
        snapshot = public_snapshot(conn)
    index = load_content(content, today, first_served_dates(record_from_snapshot(snapshot)))
    return compliance.check(index, snapshot)


def test_r9_first_serving_is_recorded_and_a_back_dated_passport_caught(
        app, small_content, tmp_path, monkeypatch):
    database = Path(app.config["DATABASE"])
    site, flag = tmp_path / "served", tmp_path / "rebuild-needed"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          snapshot=export_snapshot(database, tmp_path / "snapshot.json"))
    served = json.loads((site / ".ashyq-served.json").read_text(encoding="utf-8"))
    assert {d["uid"] for d in served["documents"]} >= {"BP-2026-225-001", "IR-2024-225-001"}
    assert all(len(d["version"]) == 64 for d in served["documents"])
    worker = RebuildWorker(database, small_content, site, tmp_path / "cache", debounce=0,
                           rebuild_flag=flag)
    worker.tick()   # the record begins: what was served before it is the baseline, not judged
    with sqlite3.connect(database) as conn:
        record = publication_record(conn)
    assert set(record) == {d["uid"] for d in served["documents"]}
    assert all(entry["baseline"] for entry in record.values())

    # Wednesday 5 March: an editor adds a passport whose header says Monday 3 March
    write_document(small_content, NEW, posted="2025-03-03")
    flag.write_text("{}")
    worker.tick()   # content changed: full build (the end counted from the typed date, 18 March)
    assert manifest_entry(site, NEW)["discussion_end"] == "2025-03-18"
    worker.tick()   # first serving recorded on 5 March: later than typed, so build again
    entry = manifest_entry(site, NEW)
    assert (entry["posted"], entry["discussion_end"]) == ("2025-03-05", "2025-03-20")  # R9
    with sqlite3.connect(database) as conn:
        assert audit.verify(conn).ok
        rows = conn.execute("SELECT actor, target, after FROM audit_log WHERE action = "
                            "'first_served' AND target LIKE ?", (f"document:{NEW}@%",)).fetchall()
    assert len(rows) == 1 and rows[0][0] == "system"
    assert json.loads(rows[0][2])["posted"] == "2025-03-03" and "baseline" not in json.loads(rows[0][2])

    back_dated = [c for c in judged(small_content, database, dt.date(2025, 3, 5))
                  if c.document == NEW and c.kind == "posting_recorded"]
    assert [(c.rule, c.ok, c.due, c.done) for c in back_dated] == [
        ("R9", False, dt.date(2025, 3, 3), dt.date(2025, 3, 5))]
    page = (site / "ru/compliance/index.html").read_text(encoding="utf-8")
    assert "не задним числом" in page and NEW in page

    # a new version (edited text) is recorded too; the first serving stays the first
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-06T09:00:00+05:00")
    source = small_content / "discussions" / NEW / f"{NEW}.ru.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nДополнение.\n", encoding="utf-8")
    worker.full_build()
    worker.tick()
    with sqlite3.connect(database) as conn:
        versions = publication_record(conn)[NEW]["versions"]
    assert len(versions) == 2 and sorted(v[:10] for v in versions.values()) == ["2025-03-05", "2025-03-06"]
    assert manifest_entry(site, NEW)["posted"] == "2025-03-05"


def test_r10_a_removed_report_is_still_accounted_for(app, small_content, tmp_path):
    """Deleting an overdue document does not make the compliance page look better."""
    database = Path(app.config["DATABASE"])
    with sqlite3.connect(database, isolation_level=None) as conn:
        from submit_api.publication import record_served
        record_served(conn, {"documents": [{"uid": "OLD", "version": "0" * 64}]})  # the baseline
        record_served(conn, {"documents": [{"uid": "IR-2024-261-404", "version": "1" * 64,
                                            "type": "implementation_report",
                                            "administrator": "261", "posted": "2025-03-20"}]})
    withdrawn = [c for c in judged(small_content, database, dt.date(2025, 12, 1))
                 if c.kind == "withdrawn"]
    assert [(c.rule, c.document, c.administrator, c.ok) for c in withdrawn] == [
        ("R10", "IR-2024-261-404", "261", False)]
