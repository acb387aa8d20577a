"""issue 10: a rebuild lists again only the documents whose outputs may change; every other
document's outputs are taken from the previous build's record (listing 130,000 outputs was a
quarter of an edit at 20,000 documents). The result stays byte-identical to a cold build
(tests/test_deps.py runs every kind of change)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import generator.listing
from generator.build import build
from generator.deps import RECORD, Record
from generator.search import wait_for_search
from tests.helpers import holds_files_of, served_at_swap, site_files, write_document

SITE = "https://budget.example"
TODAY = dt.date(2025, 3, 5)


def build_at(content: Path, out: Path, cache: Path, today: dt.date = TODAY):
    result = build(content, out, cache_dir=cache, today=today, site_url=SITE)
    wait_for_search(result.build_dir)
    return result


def edit(content: Path, uid: str) -> None:
    """Change the text (not the headings or metadata) of ``uid`` in both languages."""
    for lang, new in (("kk", "жаңа мәтін"), ("ru", "новый текст")):
        path = content / "discussions" / uid / f"{uid}.{lang}.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"purpose {lang}.", f"purpose {lang}: {new}."),
                        encoding="utf-8")


def listed_documents(monkeypatch) -> list[tuple[str, str]]:
    """(language, uid) of every document whose outputs are listed from now on."""
    listed = []
    real = generator.listing.document_outputs

    def document_outputs(gen, doc, sink):
        listed.append((gen.lang, doc.uid))
        return real(gen, doc, sink)
    monkeypatch.setattr(generator.listing, "document_outputs", document_outputs)
    return listed


def test_an_edit_lists_only_the_edited_document_again(small_content, tmp_path, monkeypatch):
    first = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    listed = listed_documents(monkeypatch)
    edit(small_content, "BP-2026-225-001")
    again = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    assert sorted(listed) == [("kk", "BP-2026-225-001"), ("ru", "BP-2026-225-001")]
    record, before = Record.load(again.build_dir), Record.load(first.build_dir)
    assert record.groups == before.groups and record.outputs == before.outputs
    assert {"kk/discussions/BP-2026-225-001/index.html",
            "kk/feeds/discussions/BP-2026-225-001.xml"} <= set(record.groups["kk:BP-2026-225-001"])
    listed.clear()
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache")
    assert sorted(f"{lang}:{uid}" for lang, uid in listed) == sorted(record.groups)  # all
    assert site_files(tmp_path / "live") == site_files(tmp_path / "cold")


def test_a_new_day_lists_the_documents_whose_status_changes(small_content, tmp_path,
                                                            monkeypatch):
    """R9: BP-2026-225-001's discussion ends on 2025-03-14; ten days later it is closed (its
    status is part of its metadata: every output of it is listed again)."""
    build_at(small_content, tmp_path / "live", tmp_path / "cache")
    listed = listed_documents(monkeypatch)
    later = TODAY + dt.timedelta(days=10)
    build_at(small_content, tmp_path / "live", tmp_path / "cache", later)
    assert {("kk", "BP-2026-225-001"), ("ru", "BP-2026-225-001")} <= set(listed)
    assert ("kk", "CB-2026") not in listed  # a material's outputs do not change with the day
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache", later)
    assert site_files(tmp_path / "live") == site_files(tmp_path / "cold")


def test_a_carried_file_lost_from_the_previous_build_is_made_again(small_content, tmp_path,
                                                                   monkeypatch):
    """A document not listed again has its outputs linked from the previous build; when a
    file is missing there, the document is listed again to make it."""
    first = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    lost = "kk/discussions/BP-2026-261-002/index.html"
    (first.build_dir / lost).unlink()
    for spare in first.build_dir.parent.glob("build-*"):  # no recycled copy holds it either
        if spare != first.build_dir:
            shutil.rmtree(spare)
    listed = listed_documents(monkeypatch)
    edit(small_content, "BP-2026-225-001")
    again = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    assert ("kk", "BP-2026-261-002") in listed and ("ru", "BP-2026-261-002") not in listed
    assert (again.build_dir / lost).is_file()
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache")
    assert site_files(tmp_path / "live") == site_files(tmp_path / "cold")


def test_a_cold_build_leaves_a_spare_the_first_edit_recycles(small_content, tmp_path,
                                                              monkeypatch):
    """issue 10: the build after a cold build found no older build to recycle and made
    70,000 folders and linked 130,000 files at 20,000 documents (a third of an editor's first
    edit). The cold build leaves a spare: its files linked into a directory of their own,
    with its record; the first edit recycles it; the served build is never written. After
    each build the one served before holds its files (a mirror): the next recycles it."""
    first = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    seen = served_at_swap(monkeypatch)
    spare, = [p for p in first.build_dir.parent.glob("build-*") if p != first.build_dir]
    assert Record.load(spare) == Record.load(first.build_dir)
    page = "kk/discussions/BP-2026-261-002/index.html"
    assert (spare / page).stat().st_ino == (first.build_dir / page).stat().st_ino
    folder = (spare / page).parent.stat().st_ino
    before = site_files(tmp_path / "live")
    edit(small_content, "BP-2026-225-001")
    again = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    assert (again.build_dir / page).parent.stat().st_ino == folder  # the spare's folders
    assert not spare.exists() and seen == [before]
    assert holds_files_of(first.build_dir, again.build_dir)
    # builds after an incremental one recycle the one before: no spare is made
    edit(small_content, "BP-2026-261-002")
    third = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    assert len(list(first.build_dir.parent.glob("build-*"))) == 2
    assert not first.build_dir.exists() and holds_files_of(again.build_dir, third.build_dir)


def test_a_spare_left_half_made_is_thrown_away(small_content, tmp_path):
    """A build killed while it linked the spare leaves ``.spare-*``: never recycled, never
    kept in place of the previous build; the next build throws it away. A spare that
    cannot be made (here a listed file is missing) fails nothing and leaves nothing."""
    from generator.builds import SPARE_WORK, older_builds, prepare_spare

    first = build_at(small_content, tmp_path / "live", tmp_path / "cache")
    folder = first.build_dir.parent
    half = folder / f"{SPARE_WORK}1"
    (half / "kk").mkdir(parents=True)
    assert half not in older_builds(tmp_path / "live")
    edit(small_content, "BP-2026-225-001")
    build_at(small_content, tmp_path / "live", tmp_path / "cache")
    assert not half.exists()
    current = (tmp_path / "live").resolve()
    for old in older_builds(tmp_path / "live"):
        shutil.rmtree(old)  # as after a cold build: no older build
    (current / "kk/discussions/BP-2026-261-002/index.html").unlink()
    assert prepare_spare(tmp_path / "live", current, Record.load(current)) is None
    assert not list(folder.glob(SPARE_WORK + "*")) and older_builds(tmp_path / "live") == []


def test_a_file_added_to_an_earlier_report_version_changes_the_report_key(small_content,
                                                                           tmp_path):
    """R17, issue 15: the report page publishes every version's files (``report/vN/``), so
    which files an earlier version has decides the document's outputs: the ``report:`` key
    covers them (an unchanged key lets the rebuild carry the document's outputs)."""
    import json

    from generator.content import load_content
    from generator.deps import fingerprints

    reports, uid = tmp_path / "reports", "BP-2026-261-002"
    for version in (1, 2):
        for lang in ("kk", "ru"):
            folder = reports / uid / f"v{version}" / lang
            folder.mkdir(parents=True)
            (folder / "report.csv").write_text("a\r\n", encoding="utf-8")
    (reports / uid / "versions.json").write_text(
        json.dumps({"versions": [{"version": 1}, {"version": 2}]}), encoding="utf-8")
    index = load_content(small_content, TODAY)
    before = fingerprints(index, {}, str(reports), [])[f"report:{uid}"]
    (reports / uid / "v1" / "kk" / "report.sha256.json").write_text("{}", encoding="utf-8")
    assert fingerprints(index, {}, str(reports), [])[f"report:{uid}"] != before


def test_the_build_kept_beside_is_the_served_one_s_files_until_it_changes_in_place(
        small_content, tmp_path, monkeypatch):
    """After each build the one served before is kept as its files - each output one file
    with the served one's, and its record file - so the next build recycles it without
    reading its record (0.2 s at 20,000 passports). The worker's updates rewrite the served
    build in place, its record too, and give the kept one what they wrote; a record written
    anew otherwise says the kept one is no longer its files: the next build reads the kept
    one's own record (and still equals a cold build)."""
    from generator.incremental import IncrementalSite

    def append(uid: str) -> None:
        for lang in ("kk", "ru"):
            path = small_content / "discussions" / uid / f"{uid}.{lang}.md"
            path.write_text(path.read_text(encoding="utf-8") + "\nЕщё / тағы.\n",
                            encoding="utf-8")
    live, cache = tmp_path / "live", tmp_path / "cache"
    build_at(small_content, live, cache)
    append("BP-2026-225-001")
    second = build_at(small_content, live, cache)
    kept, = [p for p in second.build_dir.parent.glob("build-*") if p != second.build_dir]
    assert holds_files_of(kept, second.build_dir)
    loaded: list[str] = []
    real = Record.load.__func__
    monkeypatch.setattr(Record, "load", classmethod(lambda cls, folder: (
        loaded.append(Path(folder).name if folder else ""), real(cls, folder))[1]))
    append("BP-2026-261-002")
    third = build_at(small_content, live, cache)
    assert kept.name not in loaded and not kept.exists()  # recycled, its record not read
    assert holds_files_of(second.build_dir, third.build_dir)
    # the worker's updates in place keep it the live build's files...
    IncrementalSite(live, small_content, cache, TODAY, SITE).refresh_open_data({})
    assert holds_files_of(second.build_dir, third.build_dir)
    append("BP-2026-225-001")
    loaded.clear()
    fourth = build_at(small_content, live, cache)
    assert loaded == [third.build_dir.name]  # the served build's record only
    assert holds_files_of(third.build_dir, fourth.build_dir)
    # ...and a record written anew by anything else (an older worker) says it is not
    Record.load(live).save(live.resolve())
    assert not holds_files_of(third.build_dir, fourth.build_dir)
    append("BP-2026-261-002")
    loaded.clear()
    build_at(small_content, live, cache)
    assert third.build_dir.name in loaded  # its own record: not the served one's files
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache")
    assert site_files(live) == site_files(tmp_path / "cold")


def test_a_build_kept_half_made_is_not_recycled(small_content, tmp_path, monkeypatch):
    """Keeping the build served before as the new one's files fails half-way (a full disk;
    killed, it stops as well): its record went first, so no build takes it for anything;
    the build that failed to keep it is served, and the next build is a cold build's."""
    import os

    import generator.build
    from generator.builds import keep_mirror

    live, cache = tmp_path / "live", tmp_path / "cache"
    build_at(small_content, live, cache)
    edit(small_content, "BP-2026-225-001")
    build_at(small_content, live, cache)
    links, real_link = [], os.link

    def failing_link(source, target):
        links.append(target)
        if len(links) == 3:
            raise OSError(28, "No space left on device")
        real_link(source, target)

    def keep_half(*args):
        monkeypatch.setattr(os, "link", failing_link)
        try:
            return keep_mirror(*args)
        finally:
            monkeypatch.setattr(os, "link", real_link)
    monkeypatch.setattr(generator.build, "keep_mirror", keep_half)
    edit(small_content, "BP-2026-261-002")
    third = build_at(small_content, live, cache)
    assert len(links) == 3 and live.resolve() == third.build_dir
    kept, = [p for p in third.build_dir.parent.glob("build-*") if p != third.build_dir]
    assert not (kept / RECORD).exists()
    monkeypatch.setattr(generator.build, "keep_mirror", keep_mirror)
    write_document(small_content, "BP-2026-225-031", posted="2025-03-03")
    build_at(small_content, live, cache)
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache")
    assert site_files(live) == site_files(tmp_path / "cold")


def test_large_files_the_kept_build_gives_up_wait_for_the_next_build_s_writes(
        small_content, tmp_path, monkeypatch):
    """The build kept beside gives up its own large files when it is made the new build's
    files (``generator.retired``): they wait beside the build directories, never served,
    and the next build deletes as many bytes of them just before each large write (on the
    benchmark's VM a file written into pages freed a moment before is written ~20 times
    faster); a recycled directory's own old version goes just before its new one is written;
    the spare a cold build leaves has copies of the large files, to be such old versions.
    The served site still equals a cold build's."""
    import os

    import generator.build
    import generator.retired
    from generator.builds import builds_dir, older_builds
    from generator.manifest import MANIFEST_PATH

    monkeypatch.setattr(generator.retired, "RETIRE_FROM", 2000)  # the sample's manifest: large
    live, cache = tmp_path / "live", tmp_path / "cache"
    pool = builds_dir(live) / generator.retired.RETIRED
    first = build_at(small_content, live, cache)
    manifest = (first.build_dir / MANIFEST_PATH).read_bytes()
    assert len(manifest) >= 2000 and not pool.exists()
    spare, = older_builds(live)
    assert (spare / MANIFEST_PATH).read_bytes() == manifest
    assert not os.path.samefile(spare / MANIFEST_PATH, first.build_dir / MANIFEST_PATH)
    log, real_retire = tmp_path / "retired.log", generator.retired.retire

    def retire(path, builds):  # (called in the processes that render too)
        moved = real_retire(path, builds)
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{Path(path).relative_to(builds).as_posix()} {moved}\n")
        return moved
    monkeypatch.setattr(generator.retired, "retire", retire)
    # the worker's updates in place replace the served build's large files (its own: the
    # spare has copies), never set them aside: a reader would miss them meanwhile
    from generator.incremental import IncrementalSite

    served = {p: os.stat(first.build_dir / p).st_ino for p in Record.load(live).outputs}
    IncrementalSite(live, small_content, cache, TODAY, SITE).refresh_open_data({})
    assert not [line for line in log.read_text().splitlines()
                if line.startswith(f"{first.build_dir.name}/") and line.endswith(" True")]
    assert any(os.stat(first.build_dir / p).st_ino != ino for p, ino in served.items())
    write_document(small_content, "BP-2026-225-003", posted="2025-03-03")
    second = build_at(small_content, live, cache)
    # the recycled spare's own copy went just before the new manifest was written
    assert f"{second.build_dir.name}/{MANIFEST_PATH} True" in log.read_text().splitlines()
    assert holds_files_of(first.build_dir, second.build_dir)
    set_aside = {p.name: p.read_bytes() for p in pool.iterdir()}
    assert manifest in set_aside.values()  # the first build's own, no longer anyone's
    assert all(len(data) >= 2000 for data in set_aside.values())
    assert all(p.stat().st_nlink == 1 for p in pool.iterdir())
    assert pool not in older_builds(live)
    left_at_swap = []
    real_swap = generator.build.swap_in
    monkeypatch.setattr(generator.build, "swap_in", lambda output, build_dir: (
        left_at_swap.append({p.name for p in pool.iterdir()}), real_swap(output, build_dir)))
    write_document(small_content, "BP-2026-261-004", posted="2025-03-04", admin="261")
    third = build_at(small_content, live, cache)
    assert not left_at_swap[0] & set_aside.keys()  # taken by the third build's large writes
    assert holds_files_of(second.build_dir, third.build_dir) and pool.is_dir()
    build_at(small_content, tmp_path / "cold", tmp_path / "cold-cache")
    assert site_files(live) == site_files(tmp_path / "cold")
