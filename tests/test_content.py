"""Validation of the content tree: every refusal names the file, the field and the rule."""
import datetime as dt
from pathlib import Path

import pytest

from generator.content import ContentInvalid, load_content
from tests.helpers import PARTS, document_text, write_document, write_simple

TODAY = dt.date(2025, 3, 5)


def problems_of(content):
    with pytest.raises(ContentInvalid) as info:
        load_content(content, TODAY)
    return info.value.problems


def test_small_content_is_valid(small_content):
    index = load_content(small_content, TODAY)
    doc = index.documents["BP-2026-225-001"]
    assert [p.id for p in doc.parts] == ["purpose", "objectives", "expenses"]
    assert doc.parts[0].title == {"kk": "Мақсаты", "ru": "Цель"}
    assert doc.discussion_end == dt.date(2025, 3, 11) and doc.status == "open"
    assert index.documents["BP-2026-261-002"].status == "closed"


@pytest.mark.parametrize("field, rule", [
    ("head", "R9"), ("posted", "R9"), ("administrator", "R9"), ("period", "R9"),
    ("budget_type", "R9"), ("program", "R9"), ("title", "R3"),
])
def test_missing_required_field_names_file_field_and_rule(small_content, field, rule):
    write_document(small_content, "BP-2026-225-009", drop=(field,))
    problem = next(p for p in problems_of(small_content) if p.field == field)
    assert problem.path.endswith("BP-2026-225-009.kk.md") and problem.rule == rule
    assert "missing" in problem.message


def test_missing_language_is_refused_r3(small_content):
    base = write_document(small_content, "BP-2026-225-010")
    (base / "BP-2026-225-010.ru.md").unlink()
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("language", "R3")
    assert "no ru version" in problem.message and problem.path.endswith(".kk.md")


def test_r9_discussion_shorter_than_ten_working_days_is_refused(small_content):
    write_document(small_content, "BP-2026-225-011", posted="2025-02-24",
                   extra={"discussion_end": "2025-03-10"})
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("discussion_end", "R9")
    assert "2025-03-11" in problem.message


def test_r10_report_discussion_shorter_than_allowed_is_refused(small_content):
    write_document(small_content, "IR-2024-225-002", doc_type="implementation_report",
                   posted="2025-03-14", extra={"discussion_end": "2025-03-20"})
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("discussion_end", "R10")


def test_r9_later_discussion_end_is_kept(small_content):
    write_document(small_content, "BP-2026-225-012", extra={"discussion_end": "2025-04-30"})
    assert load_content(small_content, TODAY).documents["BP-2026-225-012"].discussion_end == \
        dt.date(2025, 4, 30)


def test_r14_heading_without_stable_id_is_refused(small_content):
    parts = [("purpose", "Мақсаты"), (None, "Міндеттері")]
    base = write_document(small_content, "BP-2026-225-013")
    (base / "BP-2026-225-013.kk.md").write_text(
        document_text("BP-2026-225-013", "kk", parts=parts), encoding="utf-8")
    found = problems_of(small_content)
    assert any(p.rule == "R14" and p.field == "part id" and "Міндеттері" in p.message
               and p.path.endswith(".kk.md:17") for p in found)


def test_r14_part_ids_must_match_across_languages(small_content):
    base = write_document(small_content, "BP-2026-225-014")
    (base / "BP-2026-225-014.ru.md").write_text(
        document_text("BP-2026-225-014", "ru", parts=PARTS["ru"][::-1]), encoding="utf-8")
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("part id", "R14")


def test_shared_fields_must_agree_across_languages(small_content):
    base = write_document(small_content, "BP-2026-225-015")
    (base / "BP-2026-225-015.ru.md").write_text(
        document_text("BP-2026-225-015", "ru", posted="2025-02-25"), encoding="utf-8")
    (problem,) = problems_of(small_content)
    assert problem.field == "posted" and problem.path.endswith(".ru.md")


def test_unknown_administrator_is_refused(small_content):
    write_document(small_content, "BP-2026-999-001", admin="999")
    assert {(p.field, p.rule) for p in problems_of(small_content)} == {("administrator", "R8")}


def test_r12_press_release_must_announce_a_real_discussion(small_content):
    write_simple(small_content, "press", "PR-BAD", "press_release",
                 {"date": "2025-02-24", "document": "NO-SUCH-DOC"})
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("document", "R12")


def test_bad_date_is_refused(small_content):
    write_document(small_content, "BP-2026-225-016", posted="24.02.2025")
    assert any(p.field == "posted" and "not a date" in p.message for p in problems_of(small_content))


def test_r10_attachment_must_exist(small_content):
    write_document(small_content, "IR-2024-225-003", doc_type="implementation_report",
                   posted="2025-03-14", extra={"attachments": "akt.pdf | Акт"})
    (problem,) = problems_of(small_content)
    assert (problem.field, problem.rule) == ("attachments", "R10")


def test_all_problems_are_reported_at_once(small_content):
    write_document(small_content, "BP-2026-225-017", drop=("head",))
    write_document(small_content, "BP-2026-999-002", admin="999")
    message = str(pytest.raises(ContentInvalid, load_content, small_content, TODAY).value)
    assert "BP-2026-225-017.kk.md: head" in message and "code 999" in message


def test_r14_part_ids_are_stable_when_text_is_edited(small_content):
    before = load_content(small_content, TODAY).documents["BP-2026-225-001"].parts
    path = small_content / "discussions" / "BP-2026-225-001" / "BP-2026-225-001.kk.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## Мақсаты", "## Бағдарламаның мақсаты (жаңа редакция)")
                    .replace("Бөлімнің мәтіні purpose kk.", "Мүлдем жаңа мәтін."), encoding="utf-8")
    after = load_content(small_content, TODAY).documents["BP-2026-225-001"].parts
    assert [p.id for p in after] == [p.id for p in before]
    assert after[0].title["kk"] == "Бағдарламаның мақсаты (жаңа редакция)"


def test_sample_content_is_valid():
    from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT
    index = load_content(SAMPLE_CONTENT, DEMO_TODAY)
    statuses = {d.status for d in index.discussions}
    assert {"open", "closed"} <= statuses


def test_the_tree_scan_sees_every_file_beside_a_broken_link(small_content, tmp_path):
    """The quick key and the content reader share one scan of the tree: a broken link (an
    attachment deleted under its link) must not hide the files beside it - a scan that
    stopped at it would miss an edit there and call the build unchanged."""
    import os

    from generator.content_cache import TreeScan, key_of

    folder = small_content / "discussions"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for name in ("0-gone", "zz-gone"):  # before and after the files, whatever the order
        (folder / name).symlink_to(tmp_path / "missing")
    scan = TreeScan(small_content)
    assert {p for p in scan.files if p.startswith(str(folder))} == {str(p) for p in files}
    assert scan.files[str(files[0])] == key_of(os.stat(files[0]))
    before = scan.digest()
    files[-1].write_text(files[-1].read_text(encoding="utf-8") + "\nМәтін.\n", encoding="utf-8")
    assert TreeScan(small_content).digest() != before
    attachments = files[0].parent
    assert TreeScan(small_content).folder(str(attachments)) == tuple(sorted(
        (p.name, key_of(os.stat(p))) for p in attachments.iterdir() if p.is_file()))
    # a document's files/ may be a link to a folder elsewhere: the scan does not walk into
    # it, its attachments are read as the folder they are
    elsewhere = tmp_path / "shared-files"
    elsewhere.mkdir()
    (elsewhere / "a.pdf").write_bytes(b"%PDF-1.4")
    linked = small_content / "discussions" / "linked-files"
    linked.symlink_to(elsewhere, target_is_directory=True)
    assert TreeScan(small_content).folder(str(linked)) == (
        ("a.pdf", key_of(os.stat(elsewhere / "a.pdf"))),)


def test_the_tree_walked_in_shares_is_the_tree_walked_whole(small_content, tmp_path):
    """issue 10: a large site's tree is walked by two processes, each the documents' folders
    of its share (and the first the files above them): joined, their scans are the one
    walk's - every file once, the links, the same digest (the quick key)."""
    from generator.content_cache import TreeScan

    (small_content / "discussions" / "linked").symlink_to(tmp_path, target_is_directory=True)
    whole = TreeScan(small_content)
    shares = [TreeScan(small_content, (n, 2)) for n in range(2)]
    assert all(scan.files for scan in shares)  # (both walked some documents)
    assert not shares[0].files.keys() & shares[1].files.keys()
    # the files above the documents' folders (administrators.toml, ...) are the first's only
    assert all(len(Path(p).relative_to(small_content).parts) > 2 for p in shares[1].files)
    joined = TreeScan.joined(shares)
    assert (joined.files, joined.links, joined.digest()) == (whole.files, whole.links,
                                                             whole.digest())
    assert joined.links == {str(small_content / "discussions" / "linked")}


def test_the_content_cache_writes_again_only_the_shards_that_changed(small_content, tmp_path):
    """An edit rewrites the shards of its files and its document, not the whole cache; a
    removed document leaves it; what a cached read finds equals an uncached read."""
    import shutil

    from generator.content_cache import SHARDS, ContentCache, shard_of

    folder = tmp_path / "content-cache"
    day = dt.date(2025, 3, 1)

    def load():
        cache = ContentCache(folder)
        index = load_content(small_content, day, cache=cache)
        cache.save()
        return index, {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    first, written = load()
    assert len(written) > 2
    edited = small_content / "discussions/BP-2026-225-001/BP-2026-225-001.ru.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "Текст раздела", "Изменённый текст раздела"), encoding="utf-8")
    second, rewritten = load()
    changed = {name for name in written if rewritten[name] != written[name]}
    # the shard of the document's folder: its entries, and its documents kept whole
    assert changed == {f"{shard_of('BP-2026-225-001'):02d}.entries",
                       f"{shard_of('BP-2026-225-001'):02d}.docs"}
    cold = load_content(small_content, day)
    assert second.documents["BP-2026-225-001"].source_digest == \
        cold.documents["BP-2026-225-001"].source_digest != \
        first.documents["BP-2026-225-001"].source_digest
    removed = small_content / "discussions/BP-2026-261-002"
    shutil.rmtree(removed)
    load()
    left = ContentCache(folder)
    left.load(range(SHARDS + 1))
    assert "BP-2026-261-002" not in left.docs and "BP-2026-225-001" in left.docs
    assert not [name for name in left.files if name.startswith(str(removed.resolve()))]


def test_many_files_are_read_by_processes_sharing_them(small_content, tmp_path, monkeypatch):
    """issue 10: a cold build's 40,000 files are read by forked processes, each a share; what
    they read is what one process reads, and it is cached as if read here."""
    import os
    import threading

    import generator.content_cache
    from generator.content_cache import SHARDS, ContentCache, TreeScan

    scan = TreeScan(small_content.resolve())
    files = scan.markdown_files()
    monkeypatch.setattr(generator.content_cache, "READ_APART_FROM", len(files))
    # forked only when no other thread runs; a test worker may keep an idle one
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    cache = ContentCache(tmp_path / "shared")
    cache.read_beforehand(files, lambda data: (os.getpid(), len(data)), workers=3)

    def never(data):
        raise AssertionError("read again")
    shard = {path: number for number, paths in scan.groups.items() for path in paths}
    read = {name: cache.file(name, never, key, shard[name]) for name, key in files.items()}
    assert len({pid for pid, _ in read.values()}) == 3 and os.getpid() in \
        {pid for pid, _ in read.values()}
    assert {name: size for name, (_, size) in read.items()} == \
        {name: os.path.getsize(name) for name in files}
    one = load_content(small_content, TODAY, cache=ContentCache(tmp_path / "one"))
    shared_cache = ContentCache(tmp_path / "two")
    shared = load_content(small_content, TODAY, cache=shared_cache, workers=2)
    shared_cache.save()
    assert {u: (d.meta, d.parts, d.letters, d.source_digest, d.meta_digest)
            for u, d in shared.documents.items()} == \
        {u: (d.meta, d.parts, d.letters, d.source_digest, d.meta_digest)
         for u, d in one.documents.items()}
    again = ContentCache(tmp_path / "two")
    again.load(range(SHARDS + 1))
    assert set(again.files) == set(files)
    # fewer files than the threshold: all read here
    monkeypatch.setattr(generator.content_cache, "READ_APART_FROM", len(files) + 1)
    alone = ContentCache(tmp_path / "alone")
    alone.read_beforehand(files, lambda data: (os.getpid(), len(data)), workers=3)
    assert not alone._read


@pytest.mark.parametrize("name", [
    "a/b/BP-1.kk.md", "a/b/BP-1.ru.md", "a/b/x.y.kk.md", "a/.kk.md", "a/kk.md", "a/b/BP-1.md",
    "a/b/BP-1.en.md", "a/b/BP-1.kk.txt", "a/b.kk/x.md", "a/b/x.KK.md", "a/b/xkk.md", "kk.ru.md"])
def test_the_language_of_a_file_is_its_last_but_one_suffix(name):
    """R3: ``<name>.kk.md`` and ``<name>.ru.md`` (read by slicing: the same as splitting)."""
    from generator.content import LANGUAGES, _language_of

    parts = Path(name).name.split(".")
    expected = parts[-2] if len(parts) >= 3 and parts[-1] == "md" and parts[-2] in LANGUAGES \
        else None
    assert _language_of(name) == expected


def test_documents_of_unchanged_folders_are_taken_whole_as_they_were_read(
        small_content, tmp_path, monkeypatch):
    """issue 10: a rebuild takes whole the documents of the folders (by shard) whose files,
    context and first-serving days are as an earlier build read them, and reads only the
    other folders' files; the index - its documents, their order, the problems - is what
    reading every file finds, after each kind of change."""
    from generator.content_cache import ContentCache, shard_of

    for n in range(8):
        write_document(small_content, f"BP-2026-225-1{n:02d}")
    real, read = ContentCache.file, []

    def counting(self, path, *args):
        read.append(Path(path).parent.name)
        return real(self, path, *args)
    monkeypatch.setattr(ContentCache, "file", counting)
    sections = {"press", "citizens-budget"}  # files above the documents' folders: read

    def load(day=TODAY, served=None):
        """The folders whose files were read with the cache; the index equals a full read."""
        read.clear()
        cache = ContentCache(tmp_path / "cache")
        try:
            index = load_content(small_content, day, served, cache=cache)
        except ContentInvalid as exc:
            with pytest.raises(ContentInvalid) as cold:
                load_content(small_content, day, served)
            assert exc.problems == cold.value.problems
            return None
        cache.save()
        folders = set(read)
        assert list(index.documents.items()) == \
            list(load_content(small_content, day, served).documents.items())
        return folders
    assert "BP-2026-225-101" in load()
    assert load() == sections  # nothing changed: no document's file read
    edited = small_content / "discussions/BP-2026-225-101/BP-2026-225-101.ru.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nЕщё текст.\n", encoding="utf-8")
    folders = load()
    assert "BP-2026-225-101" in folders and {shard_of(f) for f in folders - sections} == {
        shard_of("BP-2026-225-101")}
    write_document(small_content, "BP-2026-225-050")  # sorts among the kept ones
    assert "BP-2026-225-050" in load() and load() == sections
    # a document's files in two folders of different shards: read each time
    one, other = next((a, b) for a in ("sp-a", "sp-b", "sp-c") for b in ("sp-d", "sp-e")
                      if shard_of(a) != shard_of(b))
    for folder, lang in ((one, "kk"), (other, "ru")):
        (small_content / "discussions" / folder).mkdir()
        (small_content / "discussions" / folder / f"SP-1.{lang}.md").write_text(
            document_text("BP-2026-225-900", lang), encoding="utf-8")
    load()
    assert {one, other} <= load()
    # a kept document's uid in a new file: the same problems as reading everything
    twin = small_content / "discussions" / "twin"
    twin.mkdir()
    (twin / "x.kk.md").write_text(document_text("BP-2026-225-102", "kk"), encoding="utf-8")
    assert load() is None
    (twin / "x.kk.md").unlink()
    assert load() is not None
    # served later than declared (R9): the days differ, so the document's shard is read
    assert "BP-2026-225-103" in load(served={"BP-2026-225-103": dt.date(2025, 2, 27)})
    assert "BP-2026-225-103" not in load(served={"BP-2026-225-103": dt.date(2025, 2, 27)})
    import holidays  # another calendar package (R9, R10: the discussions' ends): all read

    monkeypatch.setattr(holidays, "__version__", holidays.__version__ + "+other")
    assert "BP-2026-225-104" in load(served={"BP-2026-225-103": dt.date(2025, 2, 27)})
    assert "BP-2026-225-104" in load(dt.date(2025, 3, 6))  # a new day: all read


def test_a_uid_in_two_shards_kept_is_told_as_reading_every_file_tells_it(small_content,
                                                                         tmp_path):
    """issue 10: two shards kept whole by different builds could hold one uid (a folder
    moved out and back with its files untouched, the cache's documents of then put back):
    the build reads every file and reports the uid twice (R3), as a full read does."""
    import shutil

    from generator.content_cache import ContentCache, shard_of

    here, there = next((a, b) for a in ("dir-a", "dir-b", "dir-c") for b in ("dir-d", "dir-e")
                       if shard_of(a) != shard_of(b))
    folder = small_content / "discussions"
    write_document(small_content, "BP-2026-225-700", folder=f"discussions/{here}")
    write_document(small_content, "BP-2026-225-701", folder=f"discussions/{there}")
    cache_dir = tmp_path / "cache"

    def load():
        cache = ContentCache(cache_dir)
        index = load_content(small_content, TODAY, cache=cache)
        cache.save()
        return index
    load()
    kept_then = (cache_dir / f"{shard_of(here):02d}.docs").read_bytes()
    shutil.move(folder / here, tmp_path / here)  # out of the tree, files untouched
    shutil.copytree(tmp_path / here / "BP-2026-225-700", folder / there / "BP-2026-225-700")
    load()  # the uid now only in the other folder
    shutil.move(tmp_path / here, folder / here)  # back: the same files as the first time
    (cache_dir / f"{shard_of(here):02d}.docs").write_bytes(kept_then)
    with pytest.raises(ContentInvalid) as kept:
        load()
    assert kept.value.problems == problems_of(small_content)
    assert any("BP-2026-225-700" in p.message and "also used" in p.message
               for p in kept.value.problems)
