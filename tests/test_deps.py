"""Issue 10: a build renders only what changed, and its result is byte for byte a cold build's.

Each kind of change - a text edit, a new document, a removed document, a state body renamed, a
new day, a template change - is built twice: incrementally over the previous build, and cold
into an empty output with an empty cache. The two sites (search index included, once its
background rebuild is done) must hold the same files with the same bytes. A build killed
half-way (SIGKILL, a real process) leaves the previous site serving, untouched.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from generator.build import build
from generator.deps import RECORD, Record
from generator.search import wait_for_search
from tests.helpers import (
    ROOT, holds_files_of, served_at_swap, site_files, write_document, write_release,
)

TODAY = dt.date(2025, 3, 5)
THEME = ROOT / "themes" / "ashyq"


@pytest.fixture
def theme(tmp_path) -> Path:
    copy = tmp_path / "theme"
    shutil.copytree(THEME, copy)
    return copy


def run(content, out, cache, theme, today=TODAY, **kwargs):
    result = build(content, out, cache_dir=cache, today=today, site_url="https://budget.example",
                   settings={"THEME": str(theme)}, **kwargs)
    wait_for_search(result.build_dir)
    return result


def edit_text(content, theme):
    for lang in ("kk", "ru"):
        path = content / "discussions/BP-2026-225-001" / f"BP-2026-225-001.{lang}.md"
        text = path.read_text(encoding="utf-8")
        new = {"kk": "жаңа мәтін", "ru": "новый текст"}[lang]  # each still passes R3
        edited = text.replace(f"purpose {lang}.", f"purpose {lang}: {new}.")
        assert edited != text
        path.write_text(edited, encoding="utf-8")


def kazakh_text_in_russian(content, theme):
    """R3: the Kazakh version's text becomes Russian; the compliance pages must say so."""
    folder = content / "discussions/BP-2026-225-001"
    head = (folder / "BP-2026-225-001.kk.md").read_text(encoding="utf-8").partition("\n\n")[0]
    body = (folder / "BP-2026-225-001.ru.md").read_text(encoding="utf-8").partition("\n\n")[2]
    (folder / "BP-2026-225-001.kk.md").write_text(head + "\n\n" + body.replace(
        "purpose ru.", "purpose kk. " + ("Это предложение написано по-русски, а не на казахском "
                                          "языке, хотя файл казахский. " * 4)), encoding="utf-8")


def add_document(content, theme):
    write_document(content, "BP-2026-225-031", posted="2025-03-03")


def remove_document(content, theme):
    shutil.rmtree(content / "discussions/BP-2026-261-002")


def rename_administrator(content, theme):
    path = content / "administrators.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Министерство просвещения", "Министерство просвещения Республики Казахстан"),
        encoding="utf-8")


def name_the_central_body(content, theme):
    """R4: the budget reporting is charged to the central body; naming one moves checks."""
    path = content / "administrators.toml"
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition('code = "225"\n')
    assert sep
    path.write_text(head + sep + "central_body = true\n" + rest, encoding="utf-8")


def add_decreed_holiday(content, theme):
    """A decree adds a day off inside a discussion: its end (R9), the compliance checks'
    working days and the calendar's source move."""
    (content / "decrees.toml").write_text(
        '[[holiday]]\ndate = 2025-03-04\nname = "Decree of the test"\n', encoding="utf-8")


def change_template(content, theme):
    base = theme / "templates" / "document.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "<dt>{{ _(\"Unique number\") }}</dt>", "<dt class=\"uid\">{{ _(\"Unique number\") }}</dt>"),
        encoding="utf-8")


def change_theme_script(content, theme):
    script = theme / "static" / "js" / "participate.js"  # a new served name on every page
    script.write_text(script.read_text(encoding="utf-8") + "window.ashyqTheme = 12;\n",
                      encoding="utf-8")


def add_budget_period(content, theme):
    """R4: a month's budget execution imported (its pages, open data and sitemap entries)."""
    dataset = json.loads((ROOT / "content" / "reporting" / "data" / "2026-10.json").read_text(
        encoding="utf-8"))
    dataset["rows"] = [r for r in dataset["rows"] if r["administrator"] == "225"]
    folder = content / "reporting" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-10.json").write_text(json.dumps(dataset, ensure_ascii=False),
                                         encoding="utf-8")


def attach_file(content, theme):
    """R10: a supporting file attached to a passport (its page lists it, the file is served)."""
    folder = content / "discussions/BP-2026-225-001"
    (folder / "files").mkdir(exist_ok=True)
    (folder / "files" / "smeta.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for lang in ("kk", "ru"):
        path = folder / f"BP-2026-225-001.{lang}.md"
        head, sep, body = path.read_text(encoding="utf-8").partition("\n\n")
        path.write_text(f"{head}\nattachments: smeta.csv | {lang}{sep}{body}", encoding="utf-8")


def add_press_release(content, theme):
    """R12: a press release written by the state body (the press lists, feeds, its page)."""
    write_release(content, "PR-2025-009", "2025-03-03", "BP-2026-261-002", "261",
                  {"kk": "Талқылау жалғасуда.", "ru": "Обсуждение продолжается."})


def add_administrator(content, theme):
    """A state body joins (its page, feed and compliance page; every list of bodies)."""
    path = content / "administrators.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[[administrator]]\ncode = "226"\n'
                    'level = "republican"\nname.kk = "Денсаулық сақтау министрлігі"\n'
                    'name.ru = "Министерство здравоохранения"\nemail = "b226@health.example"\n',
                    encoding="utf-8")


def move_posting_date(content, theme):
    """A passport posted later (R9): its dates, status and place in every list move."""
    for lang in ("kk", "ru"):
        path = content / "discussions/BP-2026-261-002" / f"BP-2026-261-002.{lang}.md"
        text = path.read_text(encoding="utf-8")
        assert "posted: 2025-01-03" in text
        path.write_text(text.replace("posted: 2025-01-03", "posted: 2025-03-05"),
                        encoding="utf-8")


CHANGES = {"text edit": edit_text, "budget period added": add_budget_period,
           "file attached": attach_file, "press release added": add_press_release,
           "administrator added": add_administrator, "posting date moved": move_posting_date, "R3 verdict changes": kazakh_text_in_russian,
           "new document": add_document,
           "removed document": remove_document, "administrator renamed": rename_administrator,
           "holiday decreed": add_decreed_holiday, "central body named": name_the_central_body,
           "template change": change_template, "theme script change": change_theme_script,
           "new day": None}


@pytest.mark.parametrize("change", list(CHANGES))
def test_incremental_build_equals_a_cold_build(change, small_content, theme, tmp_path,
                                               monkeypatch):
    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme)
    before = site_files(live)
    seen, was = served_at_swap(monkeypatch), inodes(live)
    today = TODAY
    if CHANGES[change]:
        CHANGES[change](small_content, theme)
    else:
        today = TODAY + dt.timedelta(days=10)  # statuses change: BP-2026-225-001 closes
    again = run(small_content, live, tmp_path / "cache", theme, today)
    cold = run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme, today)
    assert site_files(live) == site_files(tmp_path / "cold")
    assert seen[0] == before  # the previous build was not touched while it was served...
    assert holds_files_of(first.build_dir, again.build_dir)  # ...then kept as the new one's
    assert again.rendered < cold.rendered or change in ("template change", "theme script change")
    if change == "text edit":  # the document's pages and what judges texts, not the lists
        fresh = [p for p in again_rendered(live, was) if p.endswith(".html")]
        assert {f"{lang}/discussions/BP-2026-225-001/index.html" for lang in ("kk", "ru")} \
            <= set(fresh)
        assert all(p.startswith(("kk/discussions/BP-2026-225-001/", "ru/discussions/BP-2026-225-001/",
                                 "kk/compliance/", "ru/compliance/")) for p in fresh), fresh
        # of the compliance pages, at most the document's state body's: the overview lists
        # violations only, and the edited texts still pass R3
        assert {p for p in fresh if "/compliance/" in p} <= {
            f"{lang}/compliance/225/index.html" for lang in ("kk", "ru")}
    if change == "new document":  # a state body's page lists its own documents only
        fresh = set(again_rendered(live, was))
        assert "kk/administrators/225/index.html" in fresh
        assert "kk/administrators/261/index.html" not in fresh
    if change == "R3 verdict changes":
        assert {"kk/compliance/index.html", "kk/compliance/225/index.html"} <= set(
            again_rendered(live, was))


def inodes(site: Path) -> dict[str, int]:
    """The inode of each file of the served build (a file carried over keeps its inode)."""
    root = site.resolve()
    return {p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*")
            if p.is_file()}


def again_rendered(site: Path, was: dict[str, int]) -> list[str]:
    """The files of the live build that are not the files of the build before it (``was``:
    its :func:`inodes`; a count of links says nothing: the build served before is kept as
    the new one's files, ``generator.builds.keep_mirror``)."""
    return [path for path, inode in inodes(site).items()
            if was.get(path) != inode and not path.rpartition("/")[2].startswith(".ashyq")]


def test_nothing_changed_renders_nothing(small_content, theme, tmp_path):
    first = run(small_content, tmp_path / "live", tmp_path / "cache", theme)
    again = run(small_content, tmp_path / "live", tmp_path / "cache", theme)
    assert again.rendered == 0 and again.build_dir == first.build_dir  # no new build at all
    was = inodes(tmp_path / "live")
    touched = run(small_content, tmp_path / "live", tmp_path / "cache", theme,
                  TODAY + dt.timedelta(days=1))  # a new day: the lists, not every page
    assert touched.rendered > 0
    closed = "ru/discussions/BP-2026-261-002/index.html"  # closed before
    assert (touched.build_dir / closed).stat().st_ino == was[closed]  # carried, not written
    # Only the pages whose bytes change are written: every other file is the previous
    # build's, by hard link (the lists a new day renders again too, when they come out equal).
    same = 0
    for path in touched.build_dir.rglob("*"):
        name = path.relative_to(touched.build_dir).as_posix()
        old = first.build_dir / name
        if path.is_file() and not path.is_symlink() and old.is_file() \
                and not name.startswith((".ashyq", "theme/", "pagefind")) \
                and old.read_bytes() == path.read_bytes():
            assert path.stat().st_ino == old.stat().st_ino, name
            same += 1
    assert same > touched.rendered


def test_an_unchanged_tree_is_known_without_reading_it(small_content, theme, tmp_path):
    """The quick key: names and stat keys of the content (and the day, the snapshot, the
    code) equal to the served build's mean no content is even loaded."""
    from generator.builds import read_build_state

    live, cache = tmp_path / "live", tmp_path / "cache"
    first = run(small_content, live, cache, theme)
    shutil.rmtree(cache / "content")
    again = run(small_content, live, cache, theme)
    assert again.build_dir == first.build_dir and again.rendered == 0
    assert not (cache / "content").exists()  # the content was not read
    assert (again.documents, again.pages) == (first.documents, first.pages)
    # changes_upto alone moves on (the worker has shown them): still no build, state kept
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text('{"changes_upto": 7}', encoding="utf-8")
    noted = run(small_content, live, cache, theme, snapshot=snapshot)
    assert noted.build_dir == first.build_dir and read_build_state(live)["changes_upto"] == 7
    # a file touched with the same bytes: read again, the record finds nothing changed and
    # the key is renewed
    path = small_content / "discussions/BP-2026-225-001/BP-2026-225-001.ru.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    touched = run(small_content, live, cache, theme)
    assert touched.build_dir == first.build_dir and (cache / "content").exists()
    shutil.rmtree(cache / "content")
    assert run(small_content, live, cache, theme).build_dir == first.build_dir
    assert not (cache / "content").exists()
    # the next day is another build, even with every file as it was
    assert run(small_content, live, cache, theme, TODAY + dt.timedelta(days=1)).rendered > 0


KILLER = textwrap.dedent("""
    import datetime as dt, os, signal, sys
    from pathlib import Path
    from generator import render
    from generator.build import build
    content, out, cache, theme = map(Path, sys.argv[1:5])
    real, written = render.RenderPath._write, []
    def write_then_die(self, output):
        real(self, output)
        written.append(output.path)
        if len(written) == 3:  # some pages of the new build are on disk: die here
            os.kill(os.getpid(), signal.SIGKILL)
    render.RenderPath._write = write_then_die
    build(content, out, cache_dir=cache, today=dt.date(2025, 3, 5),
          site_url="https://budget.example", settings={"THEME": str(theme)}, workers=1)
""")


def build_killed_half_way(content: Path, live: Path, cache: Path, theme: Path) -> None:
    """A build in a real process, killed (SIGKILL) after writing three pages."""
    proc = subprocess.run([sys.executable, "-c", KILLER, str(content), str(live), str(cache),
                           str(theme)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True)
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_recycling_build_leaves_the_old_site(small_content, theme, tmp_path):
    """A third build recycles the first build's directory and is killed half-way: the second
    build still serves, and the half-changed directory is never trusted again."""
    live = tmp_path / "live"
    run(small_content, live, tmp_path / "cache", theme)
    edit_text(small_content, theme)
    second = run(small_content, live, tmp_path / "cache", theme)
    before = site_files(live)
    add_document(small_content, theme)
    remove_document(small_content, theme)
    build_killed_half_way(small_content, live, tmp_path / "cache", theme)
    assert live.resolve() == second.build_dir and site_files(live) == before
    half = [p for p in live.parent.glob(".live.builds/build-*") if p != second.build_dir]
    assert len(half) == 1 and not (half[0] / RECORD).exists()  # no record: never a spare
    run(small_content, live, tmp_path / "cache", theme)
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme)
    assert site_files(live) == site_files(tmp_path / "cold")
    assert folders(live) == folders(tmp_path / "cold")


def test_a_killed_incremental_build_leaves_the_old_site(small_content, theme, tmp_path):
    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme)
    before = site_files(live)
    add_document(small_content, theme)
    edit_text(small_content, theme)
    build_killed_half_way(small_content, live, tmp_path / "cache", theme)
    half = [p for p in live.parent.glob(".live.builds/build-*") if p != first.build_dir]
    assert half and any(p.is_file() for p in half[0].rglob("*.html"))  # it got that far
    assert live.resolve() == first.build_dir and site_files(live) == before
    assert (live / RECORD).is_file()
    # The next build starts over from the served site and is complete.
    run(small_content, live, tmp_path / "cache", theme)
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme)
    assert site_files(live) == site_files(tmp_path / "cold")


def folders(root: Path) -> set[str]:
    """The site's folders (the search index's bundle left out)."""
    base = root.resolve()
    return {Path(d).relative_to(base).as_posix() for d, _, _ in os.walk(base)
            if "pagefind" not in Path(d).relative_to(base).parts}


def test_recycled_build_directories_equal_cold_builds(small_content, theme, tmp_path):
    """From the third build on, a build takes over the oldest kept build's directory and
    changes only what differs; after each kind of change the site is a cold build's, file for
    file and folder for folder (a removed document leaves no empty folder behind)."""
    live, cache = tmp_path / "live", tmp_path / "cache"
    first = run(small_content, live, cache, theme)
    first_inode = first.build_dir.stat().st_ino
    today, inodes = TODAY, []
    steps = [edit_text, add_document, remove_document, rename_administrator, None,
             kazakh_text_in_russian, change_template, change_theme_script, edit_text]
    for i, step in enumerate(steps):
        if step is None:
            today += dt.timedelta(days=10)
        elif step is edit_text and i:
            for lang in ("kk", "ru"):  # a second edit of the same text
                path = small_content / "discussions/BP-2026-225-001" / f"BP-2026-225-001.{lang}.md"
                path.write_text(path.read_text(encoding="utf-8") + "\nЕщё / тағы.\n",
                                encoding="utf-8")
        else:
            step(small_content, theme)
        result = run(small_content, live, cache, theme, today)
        inodes.append(result.build_dir.stat().st_ino)
        cold = tmp_path / f"cold-{i}"
        run(small_content, cold, tmp_path / f"cold-cache-{i}", theme, today)
        assert site_files(live) == site_files(cold), step
        assert folders(live) == folders(cold), step
        assert len(list(live.parent.glob(".live.builds/build-*"))) <= 2  # served + one kept
    assert inodes[1] == first_inode  # the third build took over the first one's directory
    assert "kk/discussions/BP-2026-261-002" not in folders(live)  # removed, folder gone


def test_every_generated_file_goes_through_the_render_path(small_content, theme, tmp_path):
    """A file written beside the render path would be missed by the dependency record: it
    would go stale in incremental builds. Only Pelican's copy of the theme's static files, the
    search index (a link) and the build's own state are not listed."""
    result = run(small_content, tmp_path / "live", tmp_path / "cache", theme)
    record = {"outputs": Record.load(result.build_dir).outputs}
    on_disk = {p.relative_to(result.build_dir).as_posix() for p in result.build_dir.rglob("*")
               if p.is_file() and not p.is_symlink()}
    unlisted = {p for p in on_disk - set(record["outputs"])
                if not p.startswith(("theme/", ".ashyq-"))}
    assert unlisted == set()
    assert set(record["outputs"]) <= on_disk


def test_builds_of_one_site_take_turns(small_content, theme, tmp_path):
    """A second build of the same site waits for the first (the lock beside the builds): it
    starts from what the first swapped in, so it recycles nothing twice and swaps in last."""
    import threading

    from generator import build as builder

    live = tmp_path / "live"
    run(small_content, live, tmp_path / "cache", theme)
    edit_text(small_content, theme)
    events, real = [], builder._build

    def noting(*args, **kwargs):
        events.append("start")
        result = real(*args, **kwargs)
        events.append("end")
        return result
    builder._build = noting
    try:
        threads = [threading.Thread(target=build, args=(small_content, live),
                                    kwargs={"cache_dir": tmp_path / f"cache-{i}", "today": TODAY,
                                            "site_url": "https://budget.example",
                                            "settings": {"THEME": str(theme)}})
                   for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        builder._build = real
    assert events == ["start", "end", "start", "end"]
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme)
    assert site_files(live) == site_files(tmp_path / "cold")


def test_a_text_edit_leaves_open_data_alone(small_content, theme, tmp_path, monkeypatch):
    """A body edit changes no list (``index``), the snapshot or the budget data: the open data
    tables are carried over without even being listed again (their names come from the
    previous record; computing them reads every document)."""
    import generator.opendata

    run(small_content, tmp_path / "live", tmp_path / "cache", theme)
    listed = []
    original = generator.opendata.open_data_names
    monkeypatch.setattr(generator.opendata, "open_data_names",
                        lambda *a: listed.append(1) or original(*a))
    edit_text(small_content, theme)
    was = inodes(tmp_path / "live")
    edited = run(small_content, tmp_path / "live", tmp_path / "cache", theme)
    assert not [p for p in again_rendered(tmp_path / "live", was) if p.startswith("opendata/")]
    assert listed == [] and edited.rendered > 0
    # A new day changes the index (statuses): the tables are listed and made again.
    run(small_content, tmp_path / "live", tmp_path / "cache", theme, TODAY + dt.timedelta(days=30))
    assert listed == [1]


def test_freshness_of_outputs_against_a_saved_record():
    """An output is fresh when it was made from exactly these keys and none of their
    fingerprints moved; a key the record has no fingerprint for counts as changed, before
    and after the record is saved and read back."""
    record = Record("g", {"src:a": "1", "meta:a": "2", "index": "3"},
                    {"kk/a/index.html": ("meta:a", "src:a"), "kk/index.html": ("index",),
                     "kk/odd.html": ("index", "lost")}, {"kk/a/index.html": "2025Q1/x"})
    back = Record.from_bytes(record.to_bytes())
    assert back == record and back.unknown == frozenset({"lost"})
    assert Record.from_bytes(b"not a record") is None
    import marshal

    from generator.deps import _PYTHON, RECORD_VERSION
    damaged = (RECORD_VERSION, _PYTHON, "g", {}, [], ["kk/index.html"], [7], {}, [])
    assert Record.from_bytes(marshal.dumps(damaged)) is None  # refers to no key list
    for saved in (record, back):
        fresh = saved.freshness({"src:a": "1", "meta:a": "2", "index": "4", "lost": "5"})
        assert fresh("kk/a/index.html", ("meta:a", "src:a"))
        assert not fresh("kk/a/index.html", ("meta:a", "src:a", "admin:x"))  # other keys
        assert not fresh("kk/index.html", ("index",))  # its fingerprint moved
        assert not fresh("kk/odd.html", ("index", "lost")) and not fresh("kk/new.html", ())
        assert not saved.freshness({"src:a": "9", "meta:a": "2", "index": "3"})(
            "kk/a/index.html", ("meta:a", "src:a"))


def test_a_document_added_to_one_body_renders_only_its_compliance_page(
        small_content, theme, tmp_path, monkeypatch):
    """A state body's compliance page judges its own documents (and what its checks read of
    others'): a passport added to body 225 renders 225's page again, not 261's (its bytes
    would come out the same; at 20,000 documents the 40 pages took 7 s of every add)."""
    import generator.render as render

    live = tmp_path / "live"
    run(small_content, live, tmp_path / "cache", theme)
    written: list[str] = []
    write = render.RenderPath._write
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**6)  # in this process, to be seen
    monkeypatch.setattr(render, "SITE_WIDE_FROM", 10**6)
    monkeypatch.setattr(render.RenderPath, "_write",
                        lambda self, output: (written.append(output.path), write(self, output)))
    add_document(small_content, theme)
    run(small_content, live, tmp_path / "cache", theme)
    assert {f"{lang}/compliance/225/index.html" for lang in ("kk", "ru")} <= set(written)
    assert not {f"{lang}/compliance/261/index.html" for lang in ("kk", "ru")} & set(written)


def test_a_text_edit_checks_its_body_alone(small_content, theme, tmp_path, monkeypatch):
    """A text edit changes its R3 shares (shown on its state body's compliance page, not on
    the overview): the rebuild judges that body's documents alone (``check_body``), never the
    whole site's - and the page equals a cold build's (test_incremental_build_equals_a_cold_build,
    "text edit")."""
    import generator.compliance as compliance
    import generator.render as render

    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme)
    documents = first.documents
    judged: list[int] = []
    check = compliance.check
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**6)  # in this process, to be seen
    monkeypatch.setattr(compliance, "check", lambda index, *args, **kwargs: (
        judged.append(len(index.documents)), check(index, *args, **kwargs))[1])
    edit_text(small_content, theme)
    was = inodes(live)
    run(small_content, live, tmp_path / "cache", theme)
    assert {f"{lang}/compliance/225/index.html" for lang in ("kk", "ru")} & set(
        again_rendered(live, was))
    assert judged and max(judged) < documents  # 225's documents and the ones all bodies' read


def count_forks(monkeypatch) -> list[int]:
    """The pids of the processes this one forks from now on (filled as they start)."""
    forks: list[int] = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid
    monkeypatch.setattr(os, "fork", fork)
    return forks


def test_chunked_render_processes_write_what_one_process_writes(small_content, theme,
                                                                 tmp_path, monkeypatch):
    """issue 10: a cold build renders in short-lived forked processes, a chunk of outputs
    each, ``workers`` at a time (long-lived ones copied the whole index and kept what
    rendering left behind); the outputs that read every document are written by the build's
    own process meanwhile, one render process beside it (its lists on one core left the other
    idle for 15 s at 20,000), each ended one replaced. Chunks of 7 outputs: the same files as
    one process writes, and the same pages listed for the search index."""
    from generator import render, render_procs

    one = run(small_content, tmp_path / "one", tmp_path / "cache-one", theme, workers=1)
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render_procs, "RENDER_CHUNK", 7)
    # render forks only when no other thread runs; a test worker may keep an idle one
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    forks, parent, own_written = count_forks(monkeypatch), os.getpid(), []
    real_write = render.RenderPath._write

    def write(self, output):  # this process's own outputs, slowed: chunks end meanwhile
        if os.getpid() == parent and not render.of_one_document(output.keys):
            time.sleep(0.02)
            own_written.append(len(forks))
        real_write(self, output)
    monkeypatch.setattr(render.RenderPath, "_write", write)
    many = run(small_content, tmp_path / "many", tmp_path / "cache-many", theme, workers=2)
    monkeypatch.setattr(render.RenderPath, "_write", real_write)
    record = Record.load(many.build_dir)
    documents_outputs = sum(map(render.of_one_document, record.outputs.values()))
    # a process per chunk of documents' outputs, none kept; the site's lists written here
    assert len(forks) == -(-documents_outputs // 7) > 2
    assert own_written[0] == 1 and own_written[-1] > 2  # render processes beside, renewed
    assert documents_outputs < many.rendered
    assert site_files(tmp_path / "many") == site_files(tmp_path / "one")
    assert record.indexed.keys() == Record.load(one.build_dir).indexed.keys()
    assert not list(many.build_dir.glob(".ashyq-searched*"))
    # A template change is a full build again (rebuilds: the test below): chunks as above.
    change_template(small_content, theme)
    forks.clear()
    again = run(small_content, tmp_path / "many", tmp_path / "cache-many", theme, workers=2)
    assert again.carried == 0 and len(forks) == -(-documents_outputs // 7)
    run(small_content, tmp_path / "one", tmp_path / "cache-one", theme, workers=1)
    assert site_files(tmp_path / "many") == site_files(tmp_path / "one")


@pytest.mark.parametrize("slow", ["lists", "tables beside"])
def test_an_added_passport_s_lists_are_shared_between_two_processes(slow, small_content, theme,
                                                                     tmp_path, monkeypatch):
    """issue 10: a passport added dirties few outputs but many lists (tenths of a second each
    at 5,000 documents): they are shared between this process and a forked one, with the same
    files as one process writes. The manifest and the open data's tables made from kept rows
    (a second at 20,000) are made first, by a process beside the listing; the second render
    process starts only once it has ended (two cores: no more processes, nor copies of the
    index, than cores), and the open data's package and page, which read the tables, wait
    for them. Slowed here: the lists (the render process starts and takes some), or the
    tables (the page must wait; meanwhile this process takes the lightest tasks, leaving the
    heaviest to the render process to come)."""
    from generator import opendata_rows, render

    run(small_content, tmp_path / "many", tmp_path / "cache-many", theme, workers=2)
    run(small_content, tmp_path / "one", tmp_path / "cache-one", theme, workers=1)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as above
    forks, written, shared, parent = count_forks(monkeypatch), [], [], os.getpid()
    real_write, real_parallel = render.RenderPath._write, render.RenderPath._render_parallel

    def write(self, output):
        if slow == "lists" and os.getpid() == parent and not render.of_one_document(output.keys):
            time.sleep(0.1)
        written.append((output.path, time.time()))
        real_write(self, output)
    monkeypatch.setattr(render.RenderPath, "_write", write)
    monkeypatch.setattr(render.RenderPath, "_render_parallel",
                        lambda self, dirty: (shared.append(dirty), real_parallel(self, dirty)))
    beside, real_start = [], render.start_apart
    monkeypatch.setattr(render, "start_apart", lambda work, outputs: (
        beside.append([o.path for o in outputs]), real_start(work, outputs))[1])
    if slow == "tables beside":
        real_tables = opendata_rows.rows_tables
        monkeypatch.setattr(opendata_rows, "rows_tables",
                            lambda *a: (time.sleep(0.5), real_tables(*a))[1])
    real_fork = os.fork
    forked_at = []
    monkeypatch.setattr(os, "fork", lambda: (forked_at.append(time.time()), real_fork())[1])
    add_document(small_content, theme)
    many = run(small_content, tmp_path / "many", tmp_path / "cache-many", theme, workers=2)
    assert beside == [["opendata/documents.json", "opendata/documents.csv",
                       "opendata/parts.csv", "opendata/parts.json"]]
    pages, = shared  # one flush: the lists, the rest of the open data, the sitemap
    assert {"opendata/index.html", "opendata/datapackage.json", "sitemap.xml"} <= {
        o.path for o in pages} and not set(beside[0]) & {o.path for o in pages}
    assert len(pages) < render.PARALLEL_FROM
    assert sum(not render.of_one_document(o.keys) for o in pages) >= render.SITE_WIDE_FROM
    assert len(forks) == len(shared) + 1  # and the process beside
    ended = (many.build_dir / "opendata/parts.json").stat().st_mtime  # its last output
    assert forked_at[0] < ended <= forked_at[1]  # beside, then the render process
    mine = [path for path, _ in written]  # this process's (the others' are theirs)
    if slow == "lists":  # the render process took some of the lists
        assert 0 < len(mine) < many.rendered - len(beside[0])
    else:  # alone while the tables were made: the lightest first, the heaviest left
        from generator.shares import tasks_of
        lightest = [t for t in tasks_of(pages) if not any(o.waits for o in t)][-1]
        assert mine[0] == lightest[0].path
    one = run(small_content, tmp_path / "one", tmp_path / "cache-one", theme, workers=1)
    assert site_files(tmp_path / "many") == site_files(tmp_path / "one")
    # the pages for the search index: noted by this process and by the forked one
    assert Record.load(many.build_dir).indexed == Record.load(one.build_dir).indexed


def test_a_failed_render_process_fails_the_build(small_content, theme, tmp_path, monkeypatch):
    """A render process that fails (here: one page cannot be made) fails the whole build;
    the site served before stays and nothing half-built is left."""
    from generator import render, render_procs
    from generator.render import RenderFailed

    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme)
    before = site_files(live)
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render_procs, "RENDER_CHUNK", 5)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as above
    real = render.RenderPath._write

    def write(self, output):
        if output.path == "kk/discussions/BP-2026-225-001/index.html":
            raise OSError("disk full")
        real(self, output)
    monkeypatch.setattr(render.RenderPath, "_write", write)
    change_template(small_content, theme)  # every page again
    with pytest.raises(RenderFailed):
        run(small_content, live, tmp_path / "cache", theme, workers=2)
    assert live.resolve() == first.build_dir and site_files(live) == before
    assert sorted(p.name for p in live.parent.glob(".live.builds/build-*")) == [first.build_dir.name]


@pytest.mark.parametrize("where", ["own share", "beside the listing"])
def test_a_failure_in_the_build_s_own_share_or_beside_fails_the_build(where, small_content, theme,
                                                                      tmp_path, monkeypatch):
    """A rebuild's lists are shared between this process and a forked one, and the manifest
    and the open data's tables are made beside the listing by another: a list this process
    cannot write fails the build with its own error, a table the process beside cannot write
    with the error it reported. Either way every forked process is reaped, the site served
    before stays and nothing half-built is left."""
    from generator import render
    from generator.render import RenderFailed

    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme, workers=2)
    before = site_files(live)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as above
    forks, parent, real = count_forks(monkeypatch), os.getpid(), render.RenderPath._write

    def fails(output) -> bool:
        if where == "own share":
            return os.getpid() == parent and not render.of_one_document(output.keys)
        return os.getpid() != parent and output.path == "opendata/documents.json"

    def write(self, output):
        if fails(output):
            raise OSError("disk full")
        real(self, output)
    monkeypatch.setattr(render.RenderPath, "_write", write)
    add_document(small_content, theme)
    error, message = (OSError, "^disk full") if where == "own share" else \
        (RenderFailed, "beside the listing failed: disk full")
    with pytest.raises(error, match=message):
        run(small_content, live, tmp_path / "cache", theme, workers=2)
    assert forks  # the lists were shared, the tables made beside
    for pid in forks:  # every render process reaped (none left a zombie)
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    assert live.resolve() == first.build_dir and site_files(live) == before
    assert sorted(p.name for p in live.parent.glob(".live.builds/build-*")) == [first.build_dir.name]


def test_pages_rendered_beside_are_noted_however_many(tmp_path, monkeypatch):
    """The process beside the listing notes the pages it wrote for the search index in a
    file, not through its answer's pipe: 2,000 pages' note would fill the pipe, and that
    process wait for a reader while this one, making a page that reads what it wrote, waits
    for its end."""
    from generator.render import SEARCH_MARK, RenderPath

    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as above
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    sink = RenderPath(new, Record("k", {"a": "2"}), previous=Record("k", {"a": "1"}),
                      previous_dir=old, workers=2)
    page = f"<main {SEARCH_MARK}>"
    for n in range(2000):
        sink.emit(f"kk/p{n}/index.html", ("a",), lambda n=n: f"{page}{n}</main>")
    sink.flush(beside=True)
    assert sink._beside is not None  # rendered beside
    sink.emit("kk/index.html", ("a",), lambda: (sink.wait_beside(), page)[1], waits=True)
    def deadlocked(*_):
        raise TimeoutError("the render path waits for the process beside, which waits")
    before = signal.signal(signal.SIGALRM, deadlocked)
    signal.alarm(30)  # (a deadlock fails the test, not the run)
    try:
        sink.flush()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
        sink.stop_beside()
    assert len(sink.record.indexed) == 2001
    assert [(new / f"kk/p{n}/index.html").read_text() for n in (0, 1999)] == [
        f"{page}0</main>", f"{page}1999</main>"]
    assert not list(new.glob(".ashyq-searched*"))


@pytest.mark.parametrize("change", ["new document", "administrator renamed"])
def test_a_rebuild_makes_only_the_rows_that_changed(change, small_content, theme, tmp_path,
                                                    monkeypatch):
    """A passport added: one new row in each long list, the others kept; a state body
    renamed: its documents' rows made again. The site equals a cold build's."""
    from generator import rows
    from generator.rows import Rows
    from tests.helpers import sitemap_urls

    for n in range(4):  # lists of a few documents of both bodies
        write_document(small_content, f"BP-2026-261-01{n}", posted="2025-01-10", admin="261")
    run(small_content, tmp_path / "live", tmp_path / "cache", theme, workers=1)
    before = sitemap_urls(tmp_path / "live", "https://budget.example")
    made: dict[str, int] = {}
    real_save = Rows.save

    def counting_save(self):
        made[self.name] = made.get(self.name, 0) + self.made
        real_save(self)
    monkeypatch.setattr(rows.Rows, "save", counting_save)
    (add_document if change == "new document" else rename_administrator)(small_content, theme)
    run(small_content, tmp_path / "live", tmp_path / "cache", theme, workers=1)
    lists = ("kk/discussions/index.html", "ru/discussions/index.html",
             "opendata/documents.json", "kk/feeds/discussions.ics")
    if change == "new document":
        assert all(made[name] == 1 for name in lists), made
    else:  # "Министерство просвещения" is 225's: its two discussions, not 261's five
        assert all(made[name] == 2 for name in lists), made
    new_urls = sitemap_urls(tmp_path / "live", "https://budget.example").keys() - before.keys()
    assert (len(new_urls) > 0) == (change == "new document")
    monkeypatch.setattr(rows.Rows, "save", real_save)
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme, workers=1)
    assert site_files(tmp_path / "live") == site_files(tmp_path / "cold")


def test_a_large_site_s_sitemap_is_split_within_the_limit(small_content, theme, tmp_path,
                                                          monkeypatch):
    """Search engines ignore a sitemap of more than 50,000 addresses (70,000 at 20,000
    passports): ``/sitemap.xml`` is an index of files of PAGES_PER_FILE pages at most (here
    5), every public page in one of them in both languages, and an added document's rebuild
    writes what a cold build writes."""
    from generator import sitemap
    from tests.helpers import sitemap_urls

    monkeypatch.setattr(sitemap, "PAGES_PER_FILE", 5)
    live = tmp_path / "live"
    run(small_content, live, tmp_path / "cache", theme)
    add_document(small_content, theme)
    run(small_content, live, tmp_path / "cache", theme)
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme)
    assert site_files(live) == site_files(tmp_path / "cold")
    files = sorted(live.glob("sitemap-*.xml"))
    assert len(files) > 2
    for path in files:  # each page in both languages (and /opendata/ once)
        assert path.read_text(encoding="utf-8").count("<url>") <= 2 * 5 + 1
    site = "https://budget.example"
    urls = sitemap_urls(live, site)
    pages = {f"{site}/{p.parent.relative_to(live).as_posix()}/" for lang in ("kk", "ru")
             for p in (live / lang).rglob("index.html")}
    private = {u for u in pages if "/me/" in u or "/search/" in u}
    assert set(urls) == pages - private | {f"{site}/opendata/"}
    assert "kk/discussions/BP-2026-225-031/" in " ".join(urls)  # the added document


@pytest.mark.parametrize("site", ["https://budget.example", "https://x.example/a&b?c='d'",
                                  'https://x.example/"q"', "http://127.0.0.1:8000"])
def test_a_sitemap_s_lines_joined_by_the_path_are_the_escaped_lines(site):
    """issue 10: a plain page path is joined into the lines' pieces (one call, not a dozen);
    the lines equal those escaping and quoting each address make, for any site address and
    for paths that need escaping (made the slow way)."""
    import random

    from generator.sitemap import _page_lines, page_lines

    rng = random.Random(7)
    letters = "abz09-_./&<>\"'\n\t\r әқ%?#="
    paths = ["", "discussions/", "discussions/BP-2026-225-001/", "press/PR-1/", "a&b/",
             "<x>/", "q\"/", "it's/", "tab\t/"] + [
        "".join(rng.choice(letters) for _ in range(rng.randrange(1, 12))) + "/"
        for _ in range(300)]
    make = page_lines(site.rstrip("/"))
    assert [make(p) for p in paths] == [_page_lines(site.rstrip("/"), p) for p in paths]


def test_what_the_served_build_lost_is_made_before_what_reads_it(small_content, theme, tmp_path):
    """The open data's page reads the manifest from the build directory. When the served
    build lost its manifest (deleted by hand; no older build to recycle) and the budget data
    changed, the manifest is made again before the open data, in listing order, not after
    it (the build failed on the missing file), and the site is what a cold build makes."""
    live = tmp_path / "live"
    first = run(small_content, live, tmp_path / "cache", theme)
    for other in first.build_dir.parent.glob("build-*"):
        if other != first.build_dir:  # the spare made for the next build: none to recycle
            shutil.rmtree(other)
    (first.build_dir / "opendata" / "documents.json").unlink()
    add_budget_period(small_content, theme)
    run(small_content, live, tmp_path / "cache", theme)
    run(small_content, tmp_path / "cold", tmp_path / "cold-cache", theme)
    assert site_files(live) == site_files(tmp_path / "cold")


def test_generated_releases_are_fingerprinted_alike_before_and_after_they_are_made(
        small_content, tmp_path):
    """issue 10: an edit at 20,000 documents works out the fingerprints in a forked process
    while the build makes the generated press releases (0.25 s it waited for the child to
    make them too). Their fingerprints come from their documents: the same before the index
    has them and after; each one made is fingerprinted, and the release committed for one
    discussion announces it (no release is made for it)."""
    from ashyq.i18n import compile_catalogs
    from generator.content import load_content
    from generator.deps import fingerprints_but_days
    from generator.site import prepare_index
    from tests.helpers import SNAPSHOT

    index = load_content(small_content, TODAY)
    before = fingerprints_but_days(index, SNAPSHOT, None, [])
    prepare_index(index, compile_catalogs(tmp_path / "locale"))
    made = {uid for uid, doc in index.documents.items() if doc.generated}
    assert made == {"PR-BP-2026-261-002", "PR-IR-2024-225-001"}
    assert fingerprints_but_days(index, SNAPSHOT, None, []) == before
    assert {f"src:{uid}" for uid in made} <= before.keys()
    assert before["announce:BP-2026-225-001"] == "PR-2025-001"
    assert before["announce:BP-2026-261-002"] == "PR-BP-2026-261-002"


def test_a_record_read_for_the_search_index_alone_is_never_saved(tmp_path):
    """issue 10 (1 GB): the build and the background indexer read only what the index needs
    of a record while Pagefind runs beside them; such a record cannot overwrite a whole one."""
    record = Record("key", {"doc:A": "1"}, {"kk/a/index.html": ("doc:A",)},
                    {"kk/a/index.html": "2026Q1/x"})
    record.save(tmp_path)
    part = Record.load(tmp_path, index_only=True)
    assert (part.global_key, part.indexed) == ("key", record.indexed)
    assert part.index_only and not part.outputs and not part.inputs
    with pytest.raises(ValueError):
        part.save(tmp_path)
    assert Record.load(tmp_path) == record
