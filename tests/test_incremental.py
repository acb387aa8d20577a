"""Incremental publishing: a decision re-renders only the document's pages, and the result is
byte-identical to a full build of the same state."""
from __future__ import annotations

import datetime as dt
import filecmp
import json
import sqlite3
from pathlib import Path

from generator.build import build
from generator.builds import QUICK_STATE
from generator.deps import RECORD
from generator.incremental import IncrementalSite
from submit_api.public import public_snapshot
from tests.helpers import OPEN, answer, moderate, propose, without_index_versions, write_document

TODAY = dt.date(2025, 3, 5)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def without_record(files: dict[str, bytes]) -> dict[str, bytes]:
    """The build's bookkeeping left out: the record (updated in place) and the quick key
    (dropped by an update in place: the build then shows more than it was built from)."""
    return {name: data for name, data in files.items() if name not in (RECORD, QUICK_STATE)}


def full_build(content, out, cache, snapshot_dict, tmp_path):
    path = tmp_path / f"snapshot-{out.name}.json"
    path.write_text(json.dumps(snapshot_dict, ensure_ascii=False), encoding="utf-8")
    build(content, out, cache_dir=cache, today=TODAY, snapshot=path)
    return out


def test_incremental_output_equals_a_full_build(office, app, small_content, tmp_path):
    db = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    first = propose(citizen, "Первое предложение: уточнить цель.").get_json()["id"]
    moderate(operator, first)
    before = public_snapshot(db)
    live = full_build(small_content, tmp_path / "live", tmp_path / "cache-live", before, tmp_path)
    untouched = {name: data for name, data in tree(live).items() if f"/{OPEN}/" not in name}

    # Decisions after the build: an answer, a second published proposal, votes on both.
    answer(employee, first, "reject", "Цель уже закреплена законом.")
    second = propose(citizen, "Второе предложение: задачи по регионам.", part="objectives").get_json()["id"]
    moderate(operator, second)
    site = IncrementalSite(live, small_content, tmp_path / "cache-live", TODAY)
    changed = [r[0] for r in db.execute("SELECT DISTINCT document FROM site_changes WHERE id > ?",
                                        (site.changes_upto,))]
    assert changed == [OPEN]
    written = site.render_documents(changed, public_snapshot(db, changed))
    site.refresh_open_data(public_snapshot(db))
    # It shows more than it was built from: the next build must not take it as unchanged.
    assert not (live / QUICK_STATE).exists()
    assert sorted(p.relative_to(live.resolve()).as_posix() for p in written) == sorted(
        [f"{lang}/discussions/{OPEN}/index.html" for lang in ("kk", "ru")]
        + [f"{lang}/feeds/discussions/{OPEN}{suffix}" for lang in ("kk", "ru")
           for suffix in (".xml", ".atom")])  # issue 14: the discussion's own feeds too

    fresh = full_build(small_content, tmp_path / "fresh", tmp_path / "cache-fresh",
                       public_snapshot(db), tmp_path)
    # Byte for byte, the state file included; the dependency record differs: it remembers
    # that pages judging the whole snapshot (compliance) were made from the earlier one.
    assert without_record(tree(live)) == without_record(tree(fresh))
    page = (live / f"ru/discussions/{OPEN}/index.html").read_text(encoding="utf-8")
    assert "Цель уже закреплена законом." in page and "Второе предложение" in page
    def other_pages(files):  # all but the document's pages and feeds, its body's feeds, the
        # open data, the state and the record
        return {n: d for n, d in files.items() if f"/{OPEN}/" not in n and f"/{OPEN}." not in n
                and "/feeds/administrators/225." not in n
                and not n.startswith("opendata/") and not n.startswith(".ashyq-")}
    assert other_pages(tree(live)) == other_pages(untouched)
    # The next build over the live site renders what the record knows to be stale, and then
    # equals the full build in every byte, the record included (issue 10; less the pages'
    # index versions, which remember the builds before).
    full_build(small_content, live, tmp_path / "cache-live", public_snapshot(db), tmp_path)
    assert without_index_versions(tree(live)) == without_index_versions(tree(fresh))


def test_a_new_full_build_is_noticed(small_content, tmp_path):
    live = tmp_path / "site"
    build(small_content, live, cache_dir=tmp_path / "cache", today=TODAY)
    site = IncrementalSite(live, small_content, tmp_path / "cache", TODAY)
    assert site.current and site.changes_upto == 0
    build(small_content, live, cache_dir=tmp_path / "cache", today=TODAY)
    assert site.current  # nothing changed: the served build stays (issue 10)
    write_document(small_content, "BP-2026-225-031", posted="2025-03-03")
    build(small_content, live, cache_dir=tmp_path / "cache", today=TODAY)
    assert not site.current
    page = "kk/discussions/BP-2026-261-002/index.html"  # unchanged, and the old build is kept
    assert filecmp.cmp(live / page, site.build_dir / page, shallow=False)
