"""Site search: a Pagefind index per language built before the swap, a search form on every
page that works without script, and real searches in headless Chromium on the sample site."""
from __future__ import annotations

import datetime as dt
import json
import time
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.test import Client

from portal.web import StaticSite
from generator.build import BuildFailed
from generator.search import search_policy, wait_for_search
from tests.helpers import (search_entries as entries, search_page_count as page_count,
                           search_parts as parts, served as serve_app, write_document)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: A sample passport and a word of its title in each language.
SAMPLE_DOC = "BP-2027-225-040"
WORDS = {"kk": "Инклюзивті", "ru": "инклюзивного"}


class Forms(HTMLParser):
    """The search forms of a page: their attributes, inputs and labels."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.labels: dict[str, str] = {}
        self.main: dict | None = None
        self._label: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("role") == "search":
            self.forms.append({**attrs, "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attrs)
        elif tag == "label":
            self._label = attrs.get("for")
            self.labels[self._label] = ""
        elif tag == "main":
            self.main = attrs

    def handle_data(self, data):
        if self._label:
            self.labels[self._label] += data

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None


def first_part(site: Path) -> str:
    return parts(site)[0]


def parse(html: str) -> Forms:
    forms = Forms()
    forms.feed(html)
    return forms


def test_search_form_on_every_page_works_without_script(small_content, build_site):
    site = build_site(small_content)
    for lang, word in (("kk", "Іздеу"), ("ru", "Поиск")):
        pages = sorted((site / lang).rglob("*.html"))
        kinds = {p.relative_to(site / lang).parts[0] for p in pages}
        assert {"index.html", "discussions", "press", "administrators", "search",
                "404.html", "me"} <= kinds
        for page in pages:
            parsed = parse(page.read_text(encoding="utf-8"))
            header = parsed.forms[0]
            assert header["action"] == f"/{lang}/search/", page
            assert header["method"] == "get", page  # a plain GET: no script needed
            (field,) = [i for i in header["inputs"] if i.get("name") == "q"]
            assert field["type"] == "search" and parsed.labels[field["id"]].strip() == word, page
    client = Client(StaticSite(site))
    response = client.get("/ru/search/?q=" + quote("Программа"))
    html = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert '<html lang="ru">' in html and 'name="q"' in html
    assert re.search(r'<script src="/theme/js/search\.[0-9a-f]{10}\.js" defer></script>', html)
    assert "<noscript>" in html  # says what to do without script


def test_search_index_per_language_is_built_before_the_swap(small_content, build_site):
    site = build_site(small_content)
    entry, = entries(site)  # a small site: one part
    assert set(entry["languages"]) == {"kk", "ru"}
    assert all(info["page_count"] > 0 for info in entry["languages"].values())
    assert (site / "pagefind" / first_part(site) / "pagefind.js").exists()
    assert (site / "theme/js/search.js").exists()


def test_index_depends_on_the_content_alone(small_content, tmp_path):
    """Same site, same bytes; and decisions (proposals, answers, totals), which the rebuild
    worker shows without re-indexing, do not change the index."""
    from generator.build import build
    from tests.helpers import SNAPSHOT

    def index_of(name: str, snapshot: dict | None) -> dict[str, bytes]:
        path = None
        if snapshot is not None:
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
        out = tmp_path / name
        build(small_content, out, cache_dir=tmp_path / f"cache-{name}", snapshot=path,
              today=dt.date(2025, 3, 7))
        bundle = out / "pagefind"
        return {p.relative_to(bundle).as_posix(): p.read_bytes()
                for p in sorted(bundle.rglob("*")) if p.is_file()}

    first = index_of("first", None)
    assert first == index_of("second", None)
    assert first == index_of("decided", SNAPSHOT)
    page = (tmp_path / "decided/ru/discussions/BP-2026-225-001/index.html").read_text("utf-8")
    assert "Принято, задача будет добавлена." in page  # shown on the page, not indexed
    # a closed discussion's result (its totals) neither: answers come after it closes
    closed = {**SNAPSHOT, "documents": {**SNAPSHOT["documents"],
                                        "BP-2026-261-002": {"for": 4321, "against": 17}}}
    assert first == index_of("closed", closed)
    page = (tmp_path / "closed/ru/discussions/BP-2026-261-002/index.html").read_text("utf-8")
    assert re.search(r'id="result".*>4\s321<', page, re.S)


def indexed_texts(site: Path) -> dict[str, str]:
    """The text Pagefind keeps of each page (its fragments: gzip, a signature, JSON)."""
    import gzip

    texts = {}
    for key in parts(site):
        for fragment in (site / "pagefind" / key / "fragment").iterdir():
            raw = gzip.decompress(fragment.read_bytes())
            data = json.loads(raw[raw.index(b"{"):])
            texts[data["url"]] = data["content"]
    return texts


def test_the_index_keeps_a_documents_words_not_its_figures_nor_what_every_page_says(
        small_content, build_site):
    """issue 10: the figures in tables (Pagefind splits "12 345" into two words found
    anywhere; a third of a passport's words) and what every document page says alike (its
    feed links, following by e-mail) are not indexed; a table's row and column names are."""
    for lang, label, unit in (("kk", "Салынған мектептер", "бірлік"),
                              ("ru", "Построено школ", "единиц")):
        path = small_content / "discussions/BP-2026-225-001" / f"BP-2026-225-001.{lang}.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n| Показатель | Ед. | 2027 |\n"
                        f"|---|---|---:|\n| {label} | {unit} | 12 345 678 |\n", encoding="utf-8")
    site = build_site(small_content)
    texts = indexed_texts(site)
    page = texts["/ru/discussions/BP-2026-225-001/"]
    html = (site / "ru/discussions/BP-2026-225-001/index.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="num">12\s345\s678</td>', html) and "RSS" in html
    assert "Построено школ" in page and "единиц" in page and "2027" in page
    assert "345" not in page and "678" not in page  # the figures: on the page, not indexed
    assert "RSS" not in page and "Atom" not in page  # the feed links
    follow = re.search(r'<h2 id="follow-h">([^<]+)<', html).group(1)
    assert follow not in page
    assert "Салынған мектептер" in texts["/kk/discussions/BP-2026-225-001/"]


def test_indexed_facts_keep_their_words_apart(small_content, build_site):
    """A fact's name and value are two words in the index (a search result's excerpt read
    "Уникальный номерBP-…" when <dt> and <dd> touched)."""
    texts = indexed_texts(build_site(small_content))
    page = texts["/ru/discussions/BP-2026-225-001/"]
    assert "Уникальный номер BP-2026-225-001" in page
    assert not re.search(r"номерBP", "".join(texts.values()))


def test_a_state_body_page_is_found_by_the_body_not_its_documents(small_content, build_site):
    """issue 10: a state body's page lists every document it posted; the search indexes the
    body (its name, code, region) and finds each document on the document's own page. With
    the list indexed, a passport's title found its body's page too, and at 20,000 documents
    Pagefind's run over the 40 state bodies' pages took 650 MB, the build's peak."""
    site = build_site(small_content)
    texts = indexed_texts(site)
    body, document = texts["/ru/administrators/225/"], texts["/ru/discussions/BP-2026-225-001/"]
    html = (site / "ru/administrators/225/index.html").read_text(encoding="utf-8")
    name = re.search(r"<h1>([^<]+)</h1>", html).group(1)
    assert name in body
    listed = re.search(r'href="/ru/discussions/BP-2026-225-001/">([^<]+)<', html).group(1)
    assert listed in document and listed not in body


def test_only_content_pages_are_indexed(small_content, build_site):
    site = build_site(small_content)
    for lang in ("kk", "ru"):
        for path, indexed in (("discussions/BP-2026-225-001/index.html", True),
                              ("press/PR-2025-001/index.html", True),
                              # generated (R12): its discussion's title and dates, found there
                              ("press/PR-BP-2026-261-002/index.html", False),
                              ("administrators/225/index.html", True),
                              # its checks list every document of the body (issue 10)
                              ("compliance/225/index.html", False),
                              ("index.html", False), ("discussions/index.html", False),
                              ("search/index.html", False), ("404.html", False)):
            main = parse((site / lang / path).read_text(encoding="utf-8")).main
            assert ("data-pagefind-body" in main) is indexed, (lang, path)
    indexed = sum(1 for p in (site / "kk").rglob("*.html")
                  if "data-pagefind-body" in p.read_text(encoding="utf-8"))
    assert page_count(site, "kk") == indexed


def test_pagefind_loads_on_the_search_page_only(small_content, build_site):
    site = build_site(small_content)
    for page in site.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        html = page.read_text(encoding="utf-8")
        is_search = page.parent.name == "search"
        assert ("/theme/js/search." in html) is is_search, page
        assert "pagefind.js" not in html and "pagefind-ui" not in html, page
        # No page's <meta> allows WebAssembly; the search page has no <meta> policy at all:
        # its policy, with 'wasm-unsafe-eval', is a header (test below).
        assert "wasm-unsafe-eval" not in html, page
        assert ('http-equiv="Content-Security-Policy"' in html) is not is_search, page
    client = Client(StaticSite(site, "default-src 'self'; script-src 'self'"))
    for path, wasm in (("/kk/search/", True), (f"/pagefind/{first_part(site)}/pagefind.js", True),
                       ("/kk/", False)):
        response = client.get(path)
        response.get_data()
        response.close()
        assert ("'wasm-unsafe-eval'" in response.headers["Content-Security-Policy"]) is wasm, path


def test_search_policy_adds_webassembly_to_scripts_only():
    policy = "default-src 'self'; script-src 'self'; style-src 'self'"
    assert search_policy(policy) == ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
                                     "style-src 'self'")
    assert search_policy(search_policy(policy)) == search_policy(policy)
    assert search_policy("default-src 'self'").endswith("script-src 'self' 'wasm-unsafe-eval'")


def test_a_failed_index_fails_the_build_and_keeps_the_site(small_content, build_site,
                                                           monkeypatch, tmp_path):
    from generator.build import build

    site = build_site(small_content)
    before = site.resolve()
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'pagefind exploded' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    write_document(small_content, "BP-2026-225-031", posted="2025-02-25")  # pages change
    with pytest.raises(BuildFailed, match="pagefind exploded"):  # an index made before the swap
        build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
              search="wait")
    assert site.resolve() == before and (site / "pagefind" / first_part(site) / "pagefind.js").exists()
    leftovers = [p for p in before.parent.iterdir() if p.resolve() != before]
    assert all(p.name.startswith(("build-", "search-", "searchparts", ".lock")) for p in leftovers)


def test_a_failed_background_index_keeps_the_previous_index(small_content, build_site,
                                                            monkeypatch, tmp_path):
    site = build_site(small_content)
    entry = (site / "pagefind/parts.json").read_bytes()
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    write_document(small_content, "BP-2026-225-031", posted="2025-02-25")
    build_site(small_content)  # swapped in; the index is redone in the background, and fails
    wait_for_search(site.resolve())
    assert (site / "kk/discussions/BP-2026-225-031/index.html").exists()
    assert (site / "pagefind/parts.json").read_bytes() == entry  # never half-written
    assert entries(site)  # and every part it lists is there


def test_a_build_pruned_while_indexed_ends_its_indexer_quietly(small_content, build_site,
                                                               monkeypatch, caplog):
    """Builds in quick succession: an older build is pruned (renamed, then deleted) while its
    background indexer links its pages; the indexer ends without a traceback, saying why,
    and leaves no pending mark nor half-made part."""
    import os

    import generator.search as search
    import generator.search_parts as search_parts

    site = build_site(small_content)
    build_dir = site.resolve()
    shutil.rmtree(search_parts.bundle_dir(build_dir))  # to be indexed again, as a new build is
    monkeypatch.setattr(search_parts, "index_parts", lambda record: {"new-part": sorted(record.indexed)})
    link, store = os.link, build_dir.parent / search_parts.PARTS_STORE

    def pruned_meanwhile(source, target):  # prune() renames the build after the first page
        if build_dir.is_dir() and list(store.glob("new-part.*.site")):
            link(source, target)
            build_dir.rename(build_dir.with_name("trash-" + build_dir.name))
            return None
        return link(source, target)
    monkeypatch.setattr(os, "link", pruned_meanwhile)
    with caplog.at_level("INFO", "generator.search"):
        assert search.main(str(build_dir)) == 0
    assert "superseded" in caplog.text and not build_dir.is_dir()
    assert not search.pending_file(build_dir).exists()
    assert not list((build_dir.parent / search_parts.PARTS_STORE).glob("new-part*"))


def test_a_build_after_one_still_indexed_indexes_its_own(small_content, build_site, tmp_path):
    """A build whose pages did not change shares the previous build's index - unless that
    one's indexer is still at work: it stops once this build is served, so this one
    indexes (the index the previous build's pages need is not left unmade)."""
    import generator.search as search

    site = build_site(small_content)
    previous = site.resolve()
    new = previous.with_name("build-next")
    new.mkdir()
    assert search.search_index(new, previous, pages_changed=False) is False  # shared
    (new / search.BUNDLE_DIR).unlink()
    search.pending_file(previous).write_text("0 " + search._boot_id(), encoding="utf-8")
    assert search.search_pending(previous)
    assert search.search_index(new, previous, pages_changed=False) is True  # its own, later
    assert search.served_bundle(new) == search.served_bundle(previous)  # served meanwhile
    assert search.search_pending(new)


def test_the_indexer_of_a_build_no_longer_served_stops(small_content, build_site, monkeypatch,
                                                        caplog):
    """Builds in quick succession: the background indexer of a build another has replaced
    makes no more parts (two cores shared by two Pagefind runs slowed the served build's
    own index and the next build)."""
    import generator.search as search
    import generator.search_parts as search_parts

    site = build_site(small_content)
    older = site.resolve()
    write_document(small_content, "BP-2026-225-031", posted="2025-02-25")
    build_site(small_content)
    assert site.resolve() != older and older.is_dir()
    wait_for_search(site.resolve())
    monkeypatch.setattr(search_parts, "index_parts", lambda record: {"new-part": sorted(record.indexed)})
    with caplog.at_level("INFO", "generator.search"):
        assert search.main(str(older)) == 0
    assert "superseded" in caplog.text
    assert not list((older.parent / search_parts.PARTS_STORE).glob("new-part*"))
    assert not search.pending_file(older).exists()


# -- real searches in Chromium -------------------------------------------------------------
@pytest.fixture(scope="module", params=["one part", "in parts"])
def served(request, sample_site, tmp_path_factory):
    """The sample site on a loopback port; the search page's own policy as the header. Also
    built with its index in parts of a few pages, which the search page merges."""
    import os

    from generator.build import build
    from generator.deps import Record
    from generator.search_parts import index_parts
    from portal.web import DEFAULT_CSP
    from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT

    site = sample_site
    if request.param == "in parts":
        base = tmp_path_factory.mktemp("parts")
        site = base / "out"
        os.environ["ASHYQ_SEARCH_PART_PAGES"] = "4"
        try:
            # (the whole index before the swap: a first index in parts is otherwise finished
            # after it, search_parts.AFTER_SWAP)
            build(SAMPLE_CONTENT, site, cache_dir=base / "cache", today=DEMO_TODAY,
                  search="wait")
            first = next(iter(index_parts(Record.load(site.resolve())).values()))
        finally:
            del os.environ["ASHYQ_SEARCH_PART_PAGES"]
        assert len(entries(site)) > 2
        # the passport searched for is found only if the parts are merged
        assert not any(f"/{SAMPLE_DOC}/" in page for page in first)
    with serve_app(StaticSite(site, search_policy(DEFAULT_CSP))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and not msg.text.startswith(
        "Failed to load resource") and page.errors.append(msg.text))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
            and page.errors.append(f"{r.status} {r.url}"))
    yield page
    context.close()


def result_links(page) -> list[str]:
    page.locator("[data-search-results] li a").first.wait_for(timeout=15_000)
    return page.locator("[data-search-results] li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_search_finds_a_passport_by_a_word_of_its_title(served, page, lang):
    # From the header form of the home page, as a person would: type, press Enter.
    page.goto(f"{served}/{lang}/")
    page.get_by_role("search").get_by_role("searchbox").fill(WORDS[lang])
    page.get_by_role("search").get_by_role("searchbox").press("Enter")
    page.wait_for_url(re.compile(rf"/{lang}/search/\?q="))
    links = result_links(page)
    assert f"/{lang}/discussions/{SAMPLE_DOC}/" in links
    assert all(link.startswith(f"/{lang}/") for link in links)  # each language its own index
    status = page.locator("[data-search-status]").inner_text()
    assert re.search(r"\d+$", status), status
    first = page.locator("[data-search-results] li").first
    assert first.locator("mark").count() >= 1  # the hit is highlighted in the excerpt
    assert page.errors == []


def test_search_in_place_and_nothing_found(served, page):
    page.goto(f"{served}/ru/search/")
    box = page.locator("#search-q")
    box.fill("qwertyzzz")
    box.press("Enter")
    page.get_by_text("Ничего не найдено").wait_for()
    assert page.locator("[data-search-results] li").count() == 0
    box.fill(WORDS["ru"])
    page.get_by_role("button", name="Найти").last.click()
    assert f"/ru/discussions/{SAMPLE_DOC}/" in result_links(page)
    assert "q=" in page.url  # the address keeps the query, for sharing and going back
    assert page.errors == []


def test_document_pages_stay_light_with_the_search_box(sample_site):
    for page in Path(sample_site, "kk/discussions").glob("*/index.html"):
        html = page.read_text(encoding="utf-8")
        assert 'role="search"' in html and "/pagefind/" not in html


def test_a_pending_mark_whose_writer_is_gone_is_not_pending(tmp_path):
    """An indexer killed with the machine (or before it began) leaves its mark: trusted for
    ever, the build it marks was never recycled. A mark is pending while it is young (the
    build's, owned by no process, before the indexer writes its own) or while the indexer
    that wrote it lives, since this boot."""
    import os
    import subprocess

    from generator.search import PENDING_GRACE, _boot_id, pending_file, search_pending

    build_dir = tmp_path / "build-1"
    build_dir.mkdir()
    assert not search_pending(build_dir)
    mark = pending_file(build_dir)
    old = time.time() - PENDING_GRACE - 1

    def marked(text: str, aged: bool) -> bool:
        mark.write_text(text, encoding="utf-8")
        if aged:
            os.utime(mark, (old, old))
        return search_pending(build_dir)
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs
    boot = _boot_id()
    assert marked(f"0 {boot}", aged=False)  # the build's: its indexer may be starting
    assert not marked(f"0 {boot}", aged=True)  # ...and never wrote its own
    assert not marked(f"{gone.pid} {boot}", aged=True)
    assert marked(f"{os.getpid()} {boot}", aged=True)  # its writer lives
    assert not marked(f"{os.getpid()} another-boot", aged=True)  # a process id of then
    assert not marked("damaged", aged=True)


def test_a_reverted_edit_is_searched_as_written_again(small_content, tmp_path):
    """Issue 10: an edit taken back is rendered by no build - the directory recycled from
    before the edit holds its pages as they are again - yet the index must not stay the
    edited one: it is a cold build's, byte for byte (found in review: the build before
    reused the previous index whenever it had rendered no page)."""
    from generator.build import build
    from tests.helpers import document_text

    def run(out: Path, cache: str) -> dict:
        build(small_content, out, cache_dir=tmp_path / cache, today=dt.date(2025, 3, 5),
              search="wait")
        bundle = out / "pagefind"
        return {p.relative_to(bundle).as_posix(): p.read_bytes()
                for p in sorted(bundle.rglob("*")) if p.is_file()}
    live, uid = tmp_path / "live", "BP-2026-225-001"
    path = small_content / "discussions" / uid / f"{uid}.ru.md"
    original = path.read_text(encoding="utf-8")
    first = run(live, "cache")
    path.write_text(original.replace("purpose ru.", "purpose ru: пересмотрено."),
                    encoding="utf-8")
    assert path.read_text(encoding="utf-8") != original
    assert run(live, "cache") != first  # the edit is searched
    path.write_text(original, encoding="utf-8")  # taken back
    assert run(live, "cache") == run(tmp_path / "cold", "cold-cache") == first
