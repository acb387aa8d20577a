"""issue 10: a large cold build makes its directory in a forked process that exits, so the
build that waits for Pagefind holds none of the content (Python keeps most of the memory of
objects it freed: 650 MB at 20,000 documents, beside Pagefind's own). Small sites, and
builds in a process with other threads, make it in their own process, letting go of the
content before Pagefind runs."""
from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import signal
import threading
import weakref
from pathlib import Path

import pytest

import generator.apart
import generator.build
import generator.content
import generator.search
from generator.build import MADE_RECORD, BuildFailed, build
from generator.builds import QUICK_STATE
from generator.content import ContentInvalid
from generator.deps import RECORD, Record
from tests.helpers import site_files, write_document

SITE = "https://budget.example"
TODAY = dt.date(2025, 3, 5)


@pytest.fixture
def apart(monkeypatch):
    """Make every build apart: any size, and no other thread seen (a test worker may keep
    an idle one)."""
    monkeypatch.setattr(generator.build, "APART_FROM", 0)
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def where_content_loads(monkeypatch, tmp_path: Path) -> Path:
    """A file each process that reads the content writes its pid into."""
    note = tmp_path / "loaded-in"
    load = generator.content.load_content

    def load_content(*args, **kwargs):
        with open(note, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        return load(*args, **kwargs)
    monkeypatch.setattr(generator.content, "load_content", load_content)
    return note


def test_a_large_cold_build_is_made_apart_and_equals_one_made_here(small_content, tmp_path,
                                                                    monkeypatch, apart):
    here = build(small_content, tmp_path / "here", cache_dir=tmp_path / "cache-here",
                 site_url=SITE, workers=1, search="background")  # not apart: indexed later
    generator.search.wait_for_search(here.build_dir)
    note = where_content_loads(monkeypatch, tmp_path)
    index_into = generator.search.index_into
    indexed_in = []

    def indexing(build_dir, record, **options):
        indexed_in.append(os.getpid())
        assert not (build_dir / RECORD).exists() and (build_dir / MADE_RECORD).exists()
        # issue 10 (1 GB): what the index reads of the record, not the whole, beside Pagefind
        assert record.index_only and record.indexed and not record.outputs
        return index_into(build_dir, record, **options)
    monkeypatch.setattr(generator.search, "index_into", indexing)
    made = build(small_content, tmp_path / "apart", cache_dir=tmp_path / "cache-apart",
                 site_url=SITE, workers=2)
    loaded_in = [int(pid) for pid in note.read_text(encoding="utf-8").split()]
    # the content was read in another process, which was gone when this one indexed
    assert len(loaded_in) == 1 and loaded_in[0] != os.getpid() and indexed_in == [os.getpid()]
    with pytest.raises(ProcessLookupError):
        os.kill(loaded_in[0], 0)
    assert (made.documents, made.pages, made.rendered, made.carried) == \
        (here.documents, here.pages, here.rendered, here.carried)
    assert not (made.build_dir / MADE_RECORD).exists()
    assert site_files(tmp_path / "apart") == site_files(tmp_path / "here")
    # the spare build for the next one was made from the whole record: every file it lists
    spare, = (p for p in made.build_dir.parent.glob("build-*") if p != made.build_dir)
    assert (spare / RECORD).read_bytes() == (made.build_dir / RECORD).read_bytes()
    outputs = Record.load(made.build_dir).outputs
    assert outputs and all((spare / path).is_file() for path in outputs)
    assert any((tmp_path / "cache-apart" / "content").iterdir())  # saved by the child
    # nothing changed: the next build reads the record and the quick key the child wrote
    again = build(small_content, tmp_path / "apart", cache_dir=tmp_path / "cache-apart",
                  site_url=SITE, workers=2)
    assert again.build_dir == made.build_dir and again.rendered == 0


def test_content_problems_found_apart_are_reported_whole(small_content, tmp_path, apart):
    """R14: a part without its id, found by the child, reaches the caller as the same
    ContentInvalid (its problems, rule and place), and nothing is built."""
    path = small_content / "discussions/BP-2026-225-001/BP-2026-225-001.ru.md"
    path.write_text(path.read_text(encoding="utf-8").replace("{#purpose}", "", 1),
                    encoding="utf-8")
    with pytest.raises(ContentInvalid) as raised:
        build(small_content, tmp_path / "out", cache_dir=tmp_path / "cache", site_url=SITE,
              today=TODAY)
    with pytest.raises(ContentInvalid) as here:
        generator.content.load_content(small_content, TODAY)
    assert raised.value.problems == here.value.problems
    assert {(p.rule, p.field) for p in raised.value.problems} == {("R14", "part id")}
    assert any(p.path.startswith(f"{path}:") for p in raised.value.problems)
    assert not (tmp_path / "out").exists()
    assert not list((tmp_path / ".out.builds").glob("build-*"))


def test_a_killed_build_process_fails_the_build_and_leaves_the_site(small_content, tmp_path,
                                                                     monkeypatch, apart):
    """Killed when its directory is made (say, out of memory): the build fails, the served
    site stays, and what the process made is not left behind."""
    import generator.publication

    first = build(small_content, tmp_path / "out", cache_dir=tmp_path / "cache", site_url=SITE,
                  today=TODAY)
    before = site_files(tmp_path / "out")

    def killed(*args):
        os.kill(os.getpid(), signal.SIGKILL)
    monkeypatch.setattr(generator.publication, "write_served", killed)  # the last step
    with pytest.raises(BuildFailed, match="ended without a result"):
        build(small_content, tmp_path / "out", cache_dir=tmp_path / "cache", site_url=SITE,
              search="wait", today=TODAY + dt.timedelta(days=1))  # a new day to make
    assert (tmp_path / "out").resolve() == first.build_dir
    assert site_files(tmp_path / "out") == before
    assert list(first.build_dir.parent.glob("build-*")) == [first.build_dir]


def test_the_build_lets_go_of_the_content_before_indexing(small_content, build_site,
                                                           monkeypatch):
    """Made in the build's own process (a small site), the content index, its cache and
    Pelican's generators are let go before Pagefind runs (together they passed 1 GB at
    20,000 documents); the content cache is saved before."""
    held, seen = [], {}
    load = generator.content.load_content

    def load_content(*args, **kwargs):
        index = load(*args, **kwargs)
        held.append(weakref.ref(index))
        return index
    index_into = generator.search.index_into

    def checked(build_dir, record, **options):
        seen["alive"] = held[0]() is not None
        seen["collector"] = gc.get_freeze_count() == 0  # nothing kept from it
        seen["cache saved"] = any((build_dir.parent.parent / "cache" / "content").iterdir())
        return index_into(build_dir, record, **options)
    monkeypatch.setattr(generator.content, "load_content", load_content)
    monkeypatch.setattr(generator.search, "index_into", checked)
    out = build_site(small_content)
    assert seen == {"alive": False, "collector": True, "cache saved": True}
    assert (out / "pagefind" / "parts.json").exists()


def test_only_one_documents_outputs_are_rendered_in_chunks(small_content, build_site):
    """A render process writes a chunk of documents' outputs; whatever reads many
    documents (lists, a state body's feed, compliance) is written by the build's own
    process before any chunk starts (``of_one_document``)."""
    from generator.deps import Record
    from generator.render import of_one_document

    for uid in ("BP-2026-225-002", "BP-2026-225-003"):  # state body 225: four documents
        write_document(small_content, uid, posted="2025-02-24")
    record = Record.load(build_site(small_content).resolve())
    chunked = {path for path, keys in record.outputs.items() if of_one_document(keys)}
    for lang in ("kk", "ru"):
        assert {f"{lang}/discussions/BP-2026-225-001/index.html",
                f"{lang}/feeds/discussions/BP-2026-225-001.xml",
                f"{lang}/press/PR-2025-001/index.html"} <= chunked
        assert not {f"{lang}/feeds/administrators/225.xml", f"{lang}/discussions/index.html",
                    f"{lang}/administrators/225/index.html", f"{lang}/compliance/225/index.html",
                    f"{lang}/feeds/press.xml"} & chunked


def test_a_large_rebuild_walks_the_tree_and_works_out_its_fingerprints_apart(
        small_content, tmp_path, monkeypatch):
    """issue 10: a rebuild of a large site walks the content tree, and works out the
    fingerprints of its inputs, each in a forked process while this one imports and reads
    the records of the served and the recycled builds; its site is the one made without."""
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    started = []
    start_apart = generator.apart.start_apart

    def starting(func, *args, **kwargs):
        started.append(func.__name__)
        texts.extend(args[-1:] if func.__name__ == "fingerprints_apart" else [])
        return start_apart(func, *args, **kwargs)
    texts = []  # whether the forked process hashed the texts (else this one)
    monkeypatch.setattr(generator.build, "reads_a_spare_record",
                        lambda output, current: len(texts) == 1)  # (the third build's)
    monkeypatch.setattr(generator.apart, "start_apart", starting)
    sites = {}
    for name, size in (("here", 10 ** 9), ("apart", 0)):
        monkeypatch.setattr(generator.build, "SCAN_APART_FROM", size)
        monkeypatch.setattr(generator.build, "FINGERPRINTS_APART_FROM", size)
        content = tmp_path / f"content-{name}"
        shutil.copytree(small_content, content)
        # cold; a passport added; its text edited (the cold build's directory recycled)
        for step in (None, {}, {"extra": {"head": "Басшы / Руководитель"}}):
            if step is not None:
                write_document(content, "BP-2026-225-901", **step)
            result = build(content, tmp_path / name, cache_dir=tmp_path / f"cache-{name}",
                           today=TODAY, site_url=SITE, workers=2, search="background")
            generator.search.wait_for_search(result.build_dir)
        sites[name] = site_files(tmp_path / name)
        del sites[name][QUICK_STATE]  # (it hashes the content's folder names: not the same)
        assert started == ([] if name == "here" else
                           ["TreeScan"] * generator.build.SCAN_SHARES + ["fingerprints_apart"]) * 2
    assert sites["apart"] == sites["here"]
    # the texts hashed by this process, then (as when it reads a kept build's record) by the
    # forked one: the same fingerprints either way (the records compared above)
    assert texts == [False, True]


def test_a_walk_apart_that_dies_fails_the_build_and_keeps_the_site(small_content, tmp_path,
                                                                    monkeypatch):
    """issue 10: the forked process that walks the tree is killed (out of memory, say): the
    build fails with a clear error, not a traceback of the fork, and the site stays."""
    from generator.content_cache import TreeScan

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    site = tmp_path / "site"
    build(small_content, site, cache_dir=tmp_path / "cache", today=TODAY, site_url=SITE,
          search="background")
    generator.search.wait_for_search(site.resolve())
    before = site_files(site)
    parent = os.getpid()

    class Dying(TreeScan):
        def __init__(self, root, share=(0, 1)):
            if os.getpid() != parent and share[0] == 1:  # one of the walkers
                os._exit(3)
            super().__init__(root, share)
    monkeypatch.setattr(generator.build, "SCAN_APART_FROM", 0)
    monkeypatch.setattr(generator.build, "TreeScan", Dying)
    write_document(small_content, "BP-2026-225-901")
    with pytest.raises(BuildFailed, match="walking the content failed"):
        build(small_content, site, cache_dir=tmp_path / "cache", today=TODAY, site_url=SITE)
    assert site_files(site) == before


def test_an_answer_is_taken_before_its_process_has_ended_and_that_is_reaped():
    """The answer is read as soon as the child hands it (its memory goes meanwhile: 0.6 s of
    a cold build at 20,000 documents, issue 10); the child is reaped after, not left a zombie;
    an exception still comes back."""
    child = generator.apart.start_apart(sum, [1, 2, 3])
    assert child.result() == 6
    generator.apart.reap_answered()
    with pytest.raises(ChildProcessError):  # reaped: no longer this process's child
        os.waitpid(child.pid, os.WNOHANG)
    with pytest.raises(ZeroDivisionError):
        generator.apart.run_apart(divmod, 1, 0)
    generator.apart.reap_answered()
    assert not generator.apart._answered  # noqa: SLF001


def test_an_answer_comes_back_though_the_output_cannot_be_flushed(monkeypatch):
    """The child flushes its output before it answers: a closed output (None: started with
    stdout closed) or a reader gone (a broken pipe) must not cost the answer."""
    import sys

    class Gone:
        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr(sys, "stdout", Gone())
    monkeypatch.setattr(sys, "stderr", None)
    assert generator.apart.run_apart(sum, [1, 2]) == 3
    generator.apart.reap_answered()
