"""Real Pelican builds into temporary folders: pages, parity, press releases, feeds, manifest,
atomic swap."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import re
import subprocess
import sys
from pathlib import Path

from html import unescape

import feedparser
import pytest

from generator.build import BuildFailed
from generator.content import ContentInvalid
from tests.helpers import ROOT, write_document, write_simple

CHECK_SITE = ROOT.parent / "shared" / "tools" / "check_site.py"


def read(path: Path) -> str:
    """A page's text with Babel's no-break spaces made plain, for readable assertions."""
    return path.read_text(encoding="utf-8").replace("\u202f", " ").replace("\xa0", " ")


def html_pages(site: Path, lang: str) -> set[str]:
    return {str(p.relative_to(site / lang)) for p in (site / lang).rglob("*.html")}


def test_kk_and_ru_trees_are_twins(small_content, build_site):
    site = build_site(small_content)
    kk, ru = html_pages(site, "kk"), html_pages(site, "ru")
    assert kk == ru and "discussions/BP-2026-225-001/index.html" in kk
    for lang in ("kk", "ru"):
        for page in kk:
            html = (site / lang / page).read_text(encoding="utf-8")
            assert f'<html lang="{lang}">' in html, page
            other = "ru" if lang == "kk" else "kk"
            here = "/" + page.removesuffix("index.html")
            assert f'href="/{other}{here}" hreflang="{other}"' in html, page


def test_document_page_shows_parts_dates_and_status(small_content, build_site):
    site = build_site(small_content)
    html = read(site / "ru/discussions/BP-2026-225-001/index.html")
    for part_id, title in (("purpose", "Цель"), ("objectives", "Задачи"), ("expenses", "Расходы")):
        assert re.search(rf'<h2 id="{part_id}">{title} <a class="anchor" href="#{part_id}"', html)
        assert f'href="#{part_id}"' in html
    assert "24 февраля 2025 г." in html and "11 марта 2025 г." in html  # Babel dates, ru
    assert "На обсуждении" in html and "Уникальный номер" in html  # ru catalog
    kk = read(site / "kk/discussions/BP-2026-225-001/index.html")
    assert "2025 ж. 24 ақпан" in kk and "Талқылауда" in kk and "Бірегей нөмірі" in kk


def test_status_follows_the_pinned_day(small_content, build_site):
    early = build_site(small_content, today=dt.date(2025, 2, 20))
    manifest = json.loads((early / "opendata/documents.json").read_text(encoding="utf-8"))
    assert {d["uid"]: d["status"] for d in manifest["documents"]}["BP-2026-225-001"] == "scheduled"
    late = build_site(small_content, today=dt.date(2025, 3, 12))
    manifest = json.loads((late / "opendata/documents.json").read_text(encoding="utf-8"))
    assert {d["uid"]: d["status"] for d in manifest["documents"]}["BP-2026-225-001"] == "closed"


def test_manifest_lists_every_discussion_with_its_contract_fields(small_content, build_site):
    site = build_site(small_content)
    manifest = json.loads((site / "opendata/documents.json").read_text(encoding="utf-8"))
    docs = {d["uid"]: d for d in manifest["documents"]}
    assert set(docs) == {"BP-2026-225-001", "BP-2026-261-002", "IR-2024-225-001"}
    doc = docs["BP-2026-225-001"]
    assert doc == {
        "uid": "BP-2026-225-001", "type": "passport",
        "title": {"kk": "Бағдарлама BP-2026-225-001", "ru": "Программа BP-2026-225-001"},
        "administrator": {"code": "225", "name": {"kk": "Оқу-ағарту министрлігі",
                                                  "ru": "Министерство просвещения"}},
        "program": "001", "budget_type": "republican", "period": "2026-2028",
        "head": {"kk": "Бағдарлама басшысы Ахметов А.", "ru": "Руководитель программы Ахметов А."},
        "posted": "2025-02-24", "discussion_end": "2025-03-11", "status": "open",
        "parts": [{"id": "purpose", "title": {"kk": "Мақсаты", "ru": "Цель"}},
                  {"id": "objectives", "title": {"kk": "Міндеттері", "ru": "Задачи"}},
                  {"id": "expenses", "title": {"kk": "Шығыстар", "ru": "Расходы"}}],
        "attachments": [],
        "url": {"kk": "/kk/discussions/BP-2026-225-001/", "ru": "/ru/discussions/BP-2026-225-001/"},
    }
    assert docs["BP-2026-261-002"]["budget_type"] == "local"
    assert docs["IR-2024-225-001"]["type"] == "implementation_report"
    assert dt.datetime.fromisoformat(manifest["generated"]).utcoffset() == dt.timedelta(hours=5)


def test_r12_press_release_generated_unless_committed(small_content, build_site):
    site = build_site(small_content, today=dt.date(2025, 3, 14))
    # Committed release for BP-2026-225-001: no generated twin.
    assert not (site / "kk/press/PR-BP-2026-225-001").exists()
    assert (site / "kk/press/PR-2025-001/index.html").exists()
    for lang, words in (("kk", ("Жария талқылау: Бағдарлама IR-2024-225-001", "2025 ж. 14 наурыз")),
                        ("ru", ("Публичное обсуждение: Программа IR-2024-225-001",
                                "14 марта 2025 г."))):
        page = site / lang / "press/PR-IR-2024-225-001/index.html"
        html = read(page)
        assert all(w in html for w in words), lang
        assert "/discussions/IR-2024-225-001/" in html
        end = "2025 ж. 2 сәуір" if lang == "kk" else "2 апреля 2025 г."  # 10th working day after Nauryz
        assert end in html
    doc = (site / "ru/discussions/IR-2024-225-001/index.html").read_text(encoding="utf-8")
    assert 'href="/ru/press/PR-IR-2024-225-001/"' in doc


def test_r12_generated_releases_make_their_texts_when_read(small_content, tmp_path):
    """Issue 10: a generated release's title and text are made when first read (an add at
    20,000 reads a few); what lists sort and group by without reading them - its date, its
    state body, the discussion it announces - is what its metadata says."""
    from ashyq.i18n import compile_catalogs, translations
    from generator.content import load_content
    from generator.press import GeneratedRelease, add_generated_press_releases, announced

    index = load_content(small_content, dt.date(2025, 3, 14))
    locale = compile_catalogs(tmp_path / "locale")
    add_generated_press_releases(index, {lang: translations(str(locale), lang)
                                         for lang in ("kk", "ru")})
    releases = [d for d in index.documents.values() if d.generated]
    assert releases and all(isinstance(d, GeneratedRelease) for d in releases)
    by_date = index.of_type("press_release")  # sorted by date, grouped by body: nothing made
    assert all(d._meta is None for d in releases)  # noqa: SLF001
    for release in releases:
        for lang in ("kk", "ru"):
            assert announced(release, lang) == release.meta[lang]["document"] == release.source.uid
            assert release.meta[lang]["uid"] == release.uid
        assert release.date == dt.date.fromisoformat(release.meta["kk"]["date"]) \
            == release.source.posted
        assert release.administrator == release.meta["kk"]["administrator"] \
            == release.source.administrator
        assert release.meta["ru"]["title"] == f"Публичное обсуждение: {release.source.title('ru')}"
    assert by_date == index.of_type("press_release")


def test_r12_press_release_waits_for_its_posting_day(small_content, build_site):
    write_document(small_content, "BP-2026-225-020", posted="2025-03-20")
    site = build_site(small_content, today=dt.date(2025, 3, 5))
    assert not (site / "kk/press/PR-BP-2026-225-020").exists()
    assert (site / "kk/discussions/BP-2026-225-020/index.html").exists()  # shown as scheduled
    site = build_site(small_content, today=dt.date(2025, 3, 20))
    assert (site / "kk/press/PR-BP-2026-225-020/index.html").exists()


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("name", ["press", "discussions"])
def test_feeds_parse_as_rss_and_atom(small_content, build_site, lang, name):
    site = build_site(small_content)
    rss = feedparser.parse((site / lang / "feeds" / f"{name}.xml").read_bytes())
    atom = feedparser.parse((site / lang / "feeds" / f"{name}.atom").read_bytes())
    assert not rss.bozo and not atom.bozo
    assert rss.version == "rss20" and atom.version == "atom10"
    assert rss.feed.language == lang and atom.feed.get("language", lang) == lang
    for feed in (rss, atom):
        assert feed.entries and all(e.link.startswith(f"https://budget.example/{lang}/")
                                    for e in feed.entries)
        published = [e.published_parsed for e in feed.entries]
        assert published == sorted(published, reverse=True)  # newest first
    assert "+0500" in (site / lang / "feeds" / f"{name}.xml").read_text(encoding="utf-8")
    self_links = [link.href for link in atom.feed.links if link.rel == "self"]
    assert self_links == [f"https://budget.example/{lang}/feeds/{name}.atom"]


def test_discussion_feed_lists_posted_discussions_only(small_content, build_site):
    write_document(small_content, "BP-2026-225-021", posted="2025-03-20")
    site = build_site(small_content)
    feed = feedparser.parse((site / "ru/feeds/discussions.xml").read_bytes())
    links = {e.link for e in feed.entries}
    assert "https://budget.example/ru/discussions/BP-2026-225-001/" in links
    assert not any("BP-2026-225-021" in link for link in links)


def test_feeds_are_reproducible(small_content, build_site, tmp_path):
    first = build_site(small_content, out=tmp_path / "a")
    second = build_site(small_content, out=tmp_path / "b")
    for lang in ("kk", "ru"):
        for name in ("press.xml", "press.atom", "discussions.xml", "discussions.atom"):
            assert (first / lang / "feeds" / name).read_bytes() == \
                (second / lang / "feeds" / name).read_bytes()


def test_failed_validation_leaves_the_previous_site(small_content, build_site):
    site = build_site(small_content)
    before = site.resolve()
    write_document(small_content, "BP-2026-225-030", drop=("head",))
    with pytest.raises(ContentInvalid):
        build_site(small_content)
    assert site.resolve() == before and (site / "kk/index.html").exists()


def test_build_crashing_mid_render_leaves_the_previous_site(small_content, build_site,
                                                            monkeypatch):
    site = build_site(small_content)
    before = site.resolve()
    page = (site / "kk/discussions/BP-2026-225-001/index.html").read_bytes()
    from generator import site as plugin

    def explode(self, writer):
        (Path(self.output_path) / "kk").mkdir(parents=True, exist_ok=True)
        (Path(self.output_path) / "kk" / "half.html").write_text("half")
        raise RuntimeError("killed mid-build")
    monkeypatch.setattr(plugin.SiteGenerator, "generate_output", explode)
    write_document(small_content, "BP-2026-225-031", posted="2025-02-25")  # something to build
    with pytest.raises(RuntimeError):
        build_site(small_content)
    assert site.resolve() == before
    assert (site / "kk/discussions/BP-2026-225-001/index.html").read_bytes() == page
    assert not (site / "kk/half.html").exists()
    monkeypatch.undo()
    build_site(small_content)  # the next build in the same process works again
    assert site.resolve() != before and (site / "kk/discussions/BP-2026-225-031/index.html").exists()


def test_incomplete_output_is_never_swapped_in(small_content, build_site, monkeypatch):
    site = build_site(small_content)
    before = site.resolve()
    from generator import manifest  # the build checks the manifest it names is written
    monkeypatch.setattr(manifest, "MANIFEST_PATH", "opendata/not-written.json")
    write_document(small_content, "BP-2026-225-031", posted="2025-02-25")  # something to build
    with pytest.raises(BuildFailed, match="not-written.json"):
        build_site(small_content)
    assert site.resolve() == before


def test_a_new_build_creates_its_files_in_place_and_never_writes_through_a_link(tmp_path):
    """issue 10: a build writes a file not there yet where it goes (its directory is served
    only once complete); a file there - in a recycled directory, a hard link to a served
    build's file - is left to ``atomic_write``, which gives it a new inode."""
    import os

    from ashyq.files import atomic_write, write_new

    served = tmp_path / "served" / "index.html"
    served.parent.mkdir()
    served.write_bytes(b"served")
    recycled = tmp_path / "build" / "index.html"
    recycled.parent.mkdir()
    os.link(served, recycled)
    assert not write_new(str(recycled), b"new") and served.read_bytes() == b"served"
    atomic_write(recycled, b"new")
    assert recycled.read_bytes() == b"new" and served.read_bytes() == b"served"
    fresh = tmp_path / "build" / "kk" / "discussions" / "BP-1" / "index.html"
    assert write_new(str(fresh), b"page") and fresh.read_bytes() == b"page"
    assert not list(fresh.parent.glob(".*"))  # no temporary file


def test_attachments_are_published_beside_the_document(small_content, build_site):
    base = write_document(small_content, "IR-2024-225-005", doc_type="implementation_report",
                          posted="2025-03-14", extra={"attachments": "akt.txt | Акт"})
    (base / "files").mkdir()
    (base / "files" / "akt.txt").write_text("Акт ввода в эксплуатацию")
    site = build_site(small_content)
    assert (site / "files/IR-2024-225-005/akt.txt").read_text() == "Акт ввода в эксплуатацию"
    html = (site / "ru/discussions/IR-2024-225-005/index.html").read_text(encoding="utf-8")
    assert 'href="/files/IR-2024-225-005/akt.txt">Акт</a>' in html


def test_materials_sections_and_administrator_pages(small_content, build_site):
    write_simple(small_content, "audit", "AUD-2025-1", "audit_results",
                 {"administrator": "225", "posted": "2025-02-03", "received": "2025-01-20",
                  "audit_body": "ЖАП"})
    site = build_site(small_content)
    assert "AUD-2025-1 ru" in (site / "ru/audit/index.html").read_text(encoding="utf-8")
    admin = (site / "ru/administrators/225/index.html").read_text(encoding="utf-8")
    assert "BP-2026-225-001" in admin and "AUD-2025-1 ru" in admin
    assert "BP-2026-261-002" not in admin
    home = (site / "kk/index.html").read_text(encoding="utf-8")
    assert "CB-2026 kk" in home and "BP-2026-225-001" in home  # citizen's budget, open discussion


def test_language_chooser_at_root(small_content, build_site):
    site = build_site(small_content)
    html = (site / "index.html").read_text(encoding="utf-8")
    script = re.search(r'<script src="/(theme/js/choose-language\.[0-9a-f]{10}\.js)"></script>', html)
    assert script and 'href="/ru/"' in html
    assert 'location.replace("/kk/")' in (site / script.group(1)).read_text()


def test_pages_carry_a_content_security_policy_without_inline_code(small_content, build_site):
    site = build_site(small_content)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if page.parent.name != "search":  # the search page's policy is a header (test_search)
            assert "script-src 'self'" in unescape(html), page
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page  # no inline script
        assert " style=" not in html and "<style" not in html, page
        assert not re.search(r"\son[a-z]+=", html), page  # no inline event handlers


def test_no_english_left_on_pages(small_content, build_site):
    site = build_site(small_content)
    for lang in ("kk", "ru"):
        html = (site / lang / "discussions/index.html").read_text(encoding="utf-8")
        for english in ("Public discussions", "Skip to content", "Open Budgets", "Posted"):
            assert english not in html, (lang, english)


def test_sample_site_passes_the_public_contract_check(sample_site):
    if not CHECK_SITE.exists():
        pytest.skip(f"{CHECK_SITE} not present")
    result = subprocess.run([sys.executable, str(CHECK_SITE), str(sample_site)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("holds:")


def test_sample_document_pages_stay_light(sample_site):
    pages = list((sample_site / "ru/discussions").glob("*/index.html"))
    assert len(pages) >= 9
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js))"', html)
        weight = page.stat().st_size + sum((sample_site / a.lstrip("/")).stat().st_size
                                           for a in assets)
        assert weight <= 60_000, (page, weight)
        # Reading needs no script: every script is deferred, none inline, none blocking.
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts and all(" defer" in s and " src=" in s for s in scripts), scripts
        assert 'id="part-' in html  # the parts are in the HTML
        # the widgets wait for JS; a closed discussion has none, only its result (issue 14)
        assert ("data-participation" in html and "hidden>" in html) or 'id="result"' in html \
            or "status-scheduled" in html


@pytest.mark.skipif(not shutil.which("node"), reason="node checks the served scripts' syntax")
def test_served_theme_scripts_are_compact_and_still_parse(sample_site):
    """The served scripts lose comments and indentation (page weight) and still parse."""
    source = ROOT / "themes" / "ashyq" / "static" / "js" / "participate.js"
    served = sample_site / "theme" / "js" / "participate.js"
    assert served.stat().st_size < source.stat().st_size
    assert "\n//" not in served.read_text(encoding="utf-8")
    for script in sorted((sample_site / "theme" / "js").glob("*.js")):
        result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, (script.name, result.stderr)


def test_one_trash_remover_at_a_time(tmp_path):
    """Old builds go to ``trash-*`` and a detached remover deletes them: while one works a
    second exits at once (three removers of one tree slowed the next build). A trashed file
    (a search part's ``.name``) goes too: ``rmtree`` left them, hundreds a day, and every
    build then started a remover for them."""
    import fcntl

    from generator.builds import REMOVER

    for name in ("trash-a", "trash-b"):
        (tmp_path / name / "kk").mkdir(parents=True)
        (tmp_path / name / "kk" / "index.html").write_text("x", encoding="utf-8")
    (tmp_path / "trash-searchparts-0123.name").write_text("4567\n", encoding="utf-8")
    (tmp_path / "build-1").mkdir()
    with open(tmp_path / ".trash.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([sys.executable, "-c", REMOVER, str(tmp_path)], check=True, timeout=60)
        assert (tmp_path / "trash-a").is_dir() and (tmp_path / "trash-b").is_dir()
    subprocess.run([sys.executable, "-c", REMOVER, str(tmp_path)], check=True, timeout=60)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".trash.lock", "build-1"]


def test_the_large_files_set_aside_stay_few_and_go_before_large_writes(tmp_path, monkeypatch):
    """issue 10 (``generator.retired``): a large file that would be freed is set aside -
    not a small one, nor one with another link (a build's file shared with another build);
    what is set aside is kept to a bound, the oldest deleted first, and a write of ``n``
    bytes deletes at least ``n`` bytes of it (its pages are what the write reuses)."""
    import os

    from generator import retired

    monkeypatch.setattr(retired, "RETIRE_FROM", 10)
    for n in range(5):
        (tmp_path / f"out{n}").write_bytes(b"x" * 100)
        assert retired.retire(tmp_path / f"out{n}", tmp_path)
    (tmp_path / "small").write_bytes(b"x")
    (tmp_path / "shared").write_bytes(b"y" * 100)
    os.link(tmp_path / "shared", tmp_path / "other")
    assert not retired.retire(tmp_path / "small", tmp_path)
    assert not retired.retire(tmp_path / "shared", tmp_path)
    assert not retired.retire(tmp_path / "gone", tmp_path)
    pool = tmp_path / retired.RETIRED
    names = sorted(p.name for p in pool.iterdir())
    assert len(names) == 5 and not any((tmp_path / f"out{n}").exists() for n in range(5))
    retired.trim(tmp_path, at_most=250)
    assert sorted(p.name for p in pool.iterdir()) == names[-2:]  # the newest two
    assert retired.release(tmp_path, 5) == 0  # a small write takes nothing
    assert retired.release(tmp_path, 150) == 200 and not list(pool.iterdir())


def test_a_renewed_portal_certificate_is_a_change(tmp_path):
    """The quick key names the portal certificate by its own stat key: it is a file (hashed
    as a folder, it gave one constant, and a renewed certificate alone passed as "nothing
    changed", the old one still served)."""
    import datetime as dt

    from generator.build import quick_key
    from generator.content_cache import TreeScan

    content = tmp_path / "content"
    content.mkdir()
    certificate = tmp_path / "portal.pem"
    certificate.write_text("one\n", encoding="utf-8")
    scan = TreeScan(content)

    def key() -> str:
        return quick_key(scan, dt.date(2026, 1, 5), {}, "g", None, str(certificate))
    before = key()
    replacement = tmp_path / "new.pem"
    replacement.write_text("two\n", encoding="utf-8")
    replacement.replace(certificate)
    assert key() != before


def test_a_build_holds_no_rendered_markdown(small_content, build_site):
    """issue 10: rendered Markdown is cached on disk by content hash; Pelican's memo of each
    page's HTML kept every file's HTML in memory to the end of the build as well (10 KB a
    file: 200 MB in each render process at 20,000 passports)."""
    from pelican.contents import Content

    memo = Content.__dict__["get_content"].cache
    held = len(memo)
    out = build_site(small_content)
    assert (out / "kk" / "discussions" / "BP-2026-225-001" / "index.html").is_file()
    assert len(memo) == held
