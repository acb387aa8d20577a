"""issue 10: the rows of the long lists (discussions, press releases, compliance checks, the
manifest, the calendar) are kept between builds and made again only where what they show
changed; a list made from kept rows is the list made without them (a rebuild's rows:
tests/test_deps.py::test_a_rebuild_makes_only_the_rows_that_changed)."""
from __future__ import annotations

import datetime as dt
import logging

from generator.rows import Rows, row_key, rows_folder


def items(n: int) -> list[str]:
    return [f"item {i}" for i in range(n)]


def make_all(folder, name, things, calls):
    rows = Rows(folder, name)
    text = rows.each(things, lambda t: t.split()[1], lambda t: calls.append(t) or f"<li>{t}</li>\n")
    rows.save()
    return rows, text


def test_rows_are_kept_and_only_new_ones_made(tmp_path):
    folder = rows_folder(tmp_path, "global key 1")
    calls: list[str] = []
    first, text = make_all(folder, "kk/list", items(5), calls)
    assert first.made == 5 and text == "".join(f"<li>item {i}</li>\n" for i in range(5))
    calls.clear()
    again, text = make_all(folder, "kk/list", ["item 9", *items(5)[1:]], calls)
    assert calls == ["item 9"] and again.made == 1  # the new one; the others kept
    assert text == "<li>item 9</li>\n" + "".join(f"<li>item {i}</li>\n" for i in range(1, 5))
    # only the rows used last time are kept: item 0 was dropped
    calls.clear()
    make_all(folder, "kk/list", items(1), calls)
    assert calls == ["item 0"]
    # another output keeps its own rows
    calls.clear()
    make_all(folder, "ru/list", items(2), calls)
    assert calls == ["item 0", "item 1"]


def test_saved_rows_are_let_go_and_read_again(tmp_path):
    """After save the rows are not held (an output's maker stays listed to the build's end);
    used again, they are read from the file."""
    folder = rows_folder(tmp_path, "global key")
    rows = Rows(folder, "kk/list")
    rows.each(items(3), lambda t: t, lambda t: t.upper())
    rows.save()
    assert rows._used == {} and rows._kept is None
    assert rows.each(items(3), lambda t: t, lambda t: "never") == "ITEM 0ITEM 1ITEM 2"
    assert rows.made == 3  # counted over both uses: nothing made the second time


def test_a_changed_row_rewrites_only_its_share_of_the_kept_rows(tmp_path):
    """The rows are spread over SHARDS files by key: one row added or changed writes one
    of them again (an added passport at 20,000 rewrote a 46 MB file); a row dropped, its."""
    from generator.rows import SHARDS, shard_of

    folder = rows_folder(tmp_path, "global key")
    many = items(200)
    rows, _ = make_all(folder, "kk/list", many, [])
    files = {p.name: p.stat().st_ino for p in rows.path.iterdir()}
    assert len(files) == SHARDS
    new = "item 1000"
    make_all(folder, "kk/list", [*many, new], [])
    again = {p.name: p.stat().st_ino for p in rows.path.iterdir()}
    assert {name for name in files if files[name] != again[name]} == {f"{shard_of('1000'):02d}"}
    calls: list[str] = []
    _, text = make_all(folder, "kk/list", [*many[1:], new], calls)
    assert calls == [] and text.count("<li>") == 200  # every row kept, from every file
    last = {p.name: p.stat().st_ino for p in rows.path.iterdir()}
    assert {name for name in again if again[name] != last[name]} == {f"{shard_of('0'):02d}"}


def test_the_kept_files_hold_exactly_the_rows_used_last(tmp_path):
    """Whatever a build adds, drops or makes anew, the files hold the rows it used and no
    other (only the files of rows gone or made are written again); the keys may be given
    as a list found beforehand."""
    import marshal
    import random

    from generator.rows import SHARDS

    rng = random.Random(3)
    folder = rows_folder(tmp_path, "global key")
    present = items(300)
    for _ in range(12):
        present = [t for t in present if rng.random() > 0.05] + [
            f"item {rng.randrange(10_000)}" for _ in range(rng.randrange(4))]
        rows = Rows(folder, "kk/list")
        keys = [t.split()[1] for t in present]
        text = rows.each(present, keys, lambda t: f"<li>{t}</li>")
        assert text == "".join(f"<li>{t}</li>" for t in present)
        rows.save()
        kept = {}
        for number in range(SHARDS):
            kept.update(marshal.loads((rows.path / f"{number:02d}").read_bytes()))
        assert kept == {t.split()[1]: f"<li>{t}</li>" for t in present}


def test_another_global_key_starts_from_no_rows(tmp_path):
    """Code, templates, catalogs or settings changed: no row is kept from before."""
    old = rows_folder(tmp_path, "global key 1")
    make_all(old, "kk/list", items(3), [])
    new = rows_folder(tmp_path, "global key 2")
    assert not old.exists()
    calls: list[str] = []
    make_all(new, "kk/list", items(3), calls)
    assert len(calls) == 3


def test_a_damaged_rows_file_is_made_again(tmp_path, caplog):
    folder = rows_folder(tmp_path, "global key")
    rows, _ = make_all(folder, "kk/list", items(3), [])
    for shard in rows.path.iterdir():
        shard.write_bytes(b"\x00not marshal")
    calls: list[str] = []
    with caplog.at_level(logging.WARNING, logger="generator.rows"):
        again, text = make_all(folder, "kk/list", items(3), calls)
    assert len(calls) == 3 and text.count("<li>") == 3
    assert "made again" in caplog.text
    assert Rows(None, "kk/list").each(items(2), str, lambda t: t) == "item 0item 1"  # no folder


def test_binary_rows_are_bytes_and_the_other_kind_is_not_kept(tmp_path):
    """Binary rows (the manifest, the open data's tables: 100 MB at 20,000 neither decoded nor
    encoded) are bytes made, kept and joined; rows of the other kind found under the same
    name are made again, never joined with these."""
    folder = rows_folder(tmp_path, "global key")
    calls: list[str] = []

    def make(binary: bool):
        rows = Rows(folder, "opendata/t.csv", binary=binary)
        joined = rows.each(items(3), str, lambda t: calls.append(t) or (
            f"{t}\n".encode() if binary else f"{t}\n"))
        rows.save()
        return joined
    assert make(True) == b"item 0\nitem 1\nitem 2\n" and len(calls) == 3
    assert make(True) == b"item 0\nitem 1\nitem 2\n" and len(calls) == 3  # kept
    assert make(False) == "item 0\nitem 1\nitem 2\n" and len(calls) == 6  # made again
    assert make(True) == b"item 0\nitem 1\nitem 2\n" and len(calls) == 9
    binary = Rows(folder, "opendata/t.csv", binary=True)
    assert binary.row("item 1", lambda: b"never") == b"item 1\n"


def test_a_row_key_holds_what_a_list_shows(small_content):
    """The key changes with the document's metadata and its state body's names, not with
    another document's text."""
    from generator.content import load_content

    def key(uid="BP-2026-225-001"):
        index = load_content(small_content, dt.date(2025, 3, 5))
        return row_key(index.documents[uid], index)
    first = key()
    other = small_content / "discussions/BP-2026-261-002/BP-2026-261-002.ru.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nЕщё текст.\n", encoding="utf-8")
    assert key() == first
    admins = small_content / "administrators.toml"
    admins.write_text(admins.read_text(encoding="utf-8").replace(
        "Министерство просвещения", "Министерство"), encoding="utf-8")
    renamed = key()
    assert renamed != first
    doc = small_content / "discussions/BP-2026-225-001/BP-2026-225-001.kk.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("Бағдарлама BP", "Жаңа BP", 1),
                   encoding="utf-8")
    assert key() not in (first, renamed)


def test_the_manifest_from_kept_rows_is_the_manifest_made_whole(tmp_path):
    """issue 10: the manifest's entries kept between builds make the bytes ``json.dumps``
    makes of the whole manifest, when made and when every entry is kept."""
    from generator.content import load_content
    from generator.manifest import manifest_json
    from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT

    index = load_content(SAMPLE_CONTENT, DEMO_TODAY)
    folder = rows_folder(tmp_path, "global key")
    whole = manifest_json(index)
    for made in (len(index.discussions), 0):
        rows = Rows(folder, "manifest", binary=True)
        assert manifest_json(index, rows=rows) == whole and rows.made == made
        rows.save()
