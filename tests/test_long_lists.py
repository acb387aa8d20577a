"""Issue 10: the long lists bounded for phones (generator/long_lists.py).

A list page shows at most LIST_LIMIT items - the discussions open now first, then the
upcoming, then the closed; the newest press releases - and says how many there are; every
discussion stays on its state body's page, which the discussions page links with its counts.
A site within the limit lists everything. The limits are made small here, so a few documents
stand for 20,000.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generator import long_lists
from generator.build import build
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, write_document, write_release

TODAY = dt.date(2025, 3, 5)
RANK = {status: i for i, status in enumerate(("open", "scheduled", "closed"))}


def make_site(content: Path, out: Path, cache: Path):
    result = build(content, out, cache_dir=cache, today=TODAY,
                   site_url="https://budget.example", search="background")
    manifest = json.loads((out / "opendata" / "documents.json").read_text(encoding="utf-8"))
    return result, manifest["documents"]


def listed_uids(html: str) -> list[str]:
    """The documents in the discussions table, in its order."""
    table = html.split('<table class="docs cards">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/(?:kk|ru)/discussions/([^/"]+)/"', table)


@pytest.fixture
def busy_content(small_content: Path) -> Path:
    """Nine discussions of two bodies, open, scheduled and closed, and three releases."""
    for n, posted in enumerate(["2025-01-10", "2025-02-26", "2025-03-20", "2025-03-03",
                                "2024-12-02", "2025-04-01"]):
        write_document(small_content, f"BP-2026-261-0{n + 10}", posted=posted,
                       admin="261" if n % 2 else "225")
    write_release(small_content, "PR-2025-007", "2025-03-01", "BP-2026-261-010", "225",
                  {"kk": "Талқылау басталды.", "ru": "Обсуждение началось."})
    write_release(small_content, "PR-2025-008", "2025-03-04", "BP-2026-261-011", "261",
                  {"kk": "Талқылау жалғасуда.", "ru": "Обсуждение продолжается."})
    return small_content


def test_a_site_within_the_limit_lists_everything(busy_content, tmp_path):
    _, documents = make_site(busy_content, tmp_path / "out", tmp_path / "cache")
    assert len(documents) <= long_lists.LIST_LIMIT
    page = (tmp_path / "out" / "ru" / "discussions" / "index.html").read_text(encoding="utf-8")
    assert listed_uids(page) == [d["uid"] for d in documents]  # all, in the manifest's order
    assert "Всего обсуждений" not in page
    assert "class=\"note\"" not in (tmp_path / "out/ru/feeds/index.html").read_text(encoding="utf-8")


def test_long_lists_show_the_first_and_each_body_lists_all_its_own(busy_content, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(long_lists, "LIST_LIMIT", 4)
    monkeypatch.setattr(long_lists, "HOME_OPEN_LIMIT", 1)
    _, documents = make_site(busy_content, tmp_path / "out", tmp_path / "cache")
    out = tmp_path / "out"
    statuses = {d["uid"]: d["status"] for d in documents}
    assert len(documents) > 4 and {"open", "scheduled", "closed"} <= set(statuses.values())
    for lang in ("kk", "ru"):
        page = (out / lang / "discussions" / "index.html").read_text(encoding="utf-8")
        shown = listed_uids(page)
        # the open first, then the scheduled, then the closed; newest first within each
        assert shown == [d["uid"] for d in sorted(documents, key=lambda d: RANK[d["status"]])][:4]
        note = re.search(r'<p class="note">([^<]*)</p>', page).group(1)  # says how many
        assert re.findall(r"\d+", note) in (["9", "4"], ["4", "9"]) and len(documents) == 9
        # every state body with its counts, linked; its page lists all of its discussions
        for code in {d["administrator"]["code"] for d in documents}:
            mine = [d for d in documents if d["administrator"]["code"] == code]
            row = re.search(rf'<tr>\s*<td><a href="/{lang}/administrators/{code}/">.*?</tr>',
                            page, re.S)
            assert row, code
            counts = re.findall(r'<td data-label="[^"]+">(\d+)</td>', row.group(0))
            assert counts == [str(sum(d["status"] == "open" for d in mine)), str(len(mine))]
            body = (out / lang / "administrators" / code / "index.html").read_text(
                encoding="utf-8")
            assert all(f"/{lang}/discussions/{d['uid']}/" in body for d in mine)
        home = (out / lang / "index.html").read_text(encoding="utf-8")
        opened = [d["uid"] for d in documents if d["status"] == "open"]
        assert len(opened) > 1 and listed_uids(home) == opened[:1]
        assert f"{len(opened)}" in home.split('<table class="docs cards">')[0].rsplit("<h2", 1)[1]
        feeds = (out / lang / "feeds" / "index.html").read_text(encoding="utf-8")
        followed = re.findall(r'/feeds/discussions/([^/"]+)\.xml', feeds)
        having = [d for d in documents if d["status"] != "scheduled"]
        assert list(dict.fromkeys(followed)) == [
            d["uid"] for d in sorted(having, key=lambda d: RANK[d["status"]])][:4]
        overview = (out / lang / "compliance" / "index.html").read_text(encoding="utf-8")
        note = re.search(r'<p class="note">([^<]*)</p>', overview).group(1)
        shown = overview.split('<table class="checks cards">', 1)[1].count("<tr>") - 1
        assert shown == 4 and int(max(re.findall(r"\d+", note), key=int)) > 4
        press = (out / lang / "press" / "index.html").read_text(encoding="utf-8")
        releases = re.findall(r'<li><a href="/\w+/press/([^/"]+)/"', press)
        total = re.search(r'class="note">\D*?(\d+)\D+(\d+)', press)
        assert len(releases) == 4 and total and int(max(total.groups(), key=int)) > 4


def test_bounded_lists_are_a_cold_build_s_after_a_passport_is_added(busy_content, tmp_path,
                                                                   monkeypatch):
    """The kept rows of a bounded list (generator/rows.py) after an added passport moves
    another out of the first LIST_LIMIT: the same bytes as a cold build's."""
    from tests.helpers import site_files

    monkeypatch.setattr(long_lists, "LIST_LIMIT", 4)
    make_site(busy_content, tmp_path / "live", tmp_path / "cache")
    before = listed_uids((tmp_path / "live/kk/discussions/index.html").read_text("utf-8"))
    write_document(busy_content, "BP-2026-225-031", posted="2025-03-03")  # open, newest
    make_site(busy_content, tmp_path / "live", tmp_path / "cache")
    after = listed_uids((tmp_path / "live/kk/discussions/index.html").read_text("utf-8"))
    assert after[0] == "BP-2026-225-031" and after[1:] == before[:3]
    make_site(busy_content, tmp_path / "cold", tmp_path / "cold-cache")
    live, cold = site_files(tmp_path / "live"), site_files(tmp_path / "cold")
    assert {k: v for k, v in live.items() if not k.startswith("pagefind")} == \
        {k: v for k, v in cold.items() if not k.startswith("pagefind")}


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_choosing_a_state_body_in_a_bounded_list_links_all_of_its_discussions(
        busy_content, tmp_path, monkeypatch):
    """In Chromium: the filter of a bounded list shows only the listed rows, so choosing a
    state body offers its page, which has all of them (with their number), and another
    filter alone says that it sees only the listed rows."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setattr(long_lists, "LIST_LIMIT", 4)
    _, documents = make_site(busy_content, tmp_path / "out", tmp_path / "cache")
    mine = [d for d in documents if d["administrator"]["code"] == "261"]
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "out"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 360, "height": 740})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"http://127.0.0.1:{server.server_port}/ru/discussions/")
            more, hint = page.locator("#filters .more"), page.locator("#filters .hint")
            assert more.is_hidden() and hint.is_hidden()
            page.select_option("select[name=status]", "closed")  # among the listed only:
            assert hint.is_visible() and more.is_hidden()  # says so, points at the bodies
            assert hint.locator("a").get_attribute("href") == "#by-body"
            page.select_option("select[name=status]", "")
            assert hint.is_hidden()
            page.select_option("select[name=admin]", "261")
            assert more.is_visible() and hint.is_hidden()
            link = more.locator("a")
            assert link.get_attribute("href") == "/ru/administrators/261/"
            assert f"({len(mine)})" in link.inner_text()
            shown = page.locator("table.docs tbody tr[data-admin='261']:not([hidden])").count()
            assert 0 < shown < len(mine)  # the list shows some of them: the page has all
            page.select_option("select[name=admin]", "")
            assert more.is_hidden()
            assert errors == []
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
