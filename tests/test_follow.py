"""Issue 14, follow what matters: RSS 2.0 and Atom per state body and per discussion in both
languages (parsed with feedparser), linked from their pages, listed on /{lang}/feeds/ with the
calendar; byte-identical for the same inputs; sitemap.xml with hreflang alternates, robots.txt."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
import pytest

from tests.helpers import SITEMAP_NS, sitemap_urls

CLOSED = "IR-2025-261-022"  # administrator 261; ended, with the demo history
OPEN = "BP-2027-225-041"


def parse(path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("suffix", [".xml", ".atom"])
def test_a_discussion_feed_tells_its_whole_story(demo_site, lang, suffix):
    feed = parse(demo_site.out / lang / "feeds" / "discussions" / f"{CLOSED}{suffix}")
    assert feed.version == ("rss20" if suffix == ".xml" else "atom10")
    assert feed.feed.language == lang if suffix == ".xml" else True
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids))
    kinds = {e.id.rsplit("#", 1)[1].split("-")[-1] for e in feed.entries}
    # opened, closed, two published proposals, two answers, the final report (v1)
    assert {"opened", "closed", "published", "answered", "v1"} <= kinds
    assert sum(e.id.endswith("-published") for e in feed.entries) == 2  # the refused one: never
    assert sum(e.id.endswith("-answered") for e in feed.entries) == 2
    days = [e.published_parsed for e in feed.entries]
    assert days == sorted(days, reverse=True)  # newest first
    opened = next(e for e in feed.entries if e.id.endswith("#opened"))
    words = {"kk": ("Іске асыру туралы есеп", "Алматы қаласының білім басқармасы", "2026 ж. 27 наурыз"),
             "ru": ("Отчет о реализации", "Управление образования города Алматы", "27 марта 2026")}[lang]
    for word in words:  # the document type, the state body and the dates
        flat = opened.summary.replace("\u202f", " ").casefold()
        assert word.casefold() in flat, (word, flat)
    report = next(e for e in feed.entries if e.id.endswith("#v1"))
    assert report.link.endswith(f"/{lang}/discussions/{CLOSED}/report/")
    text = (demo_site.out / lang / "feeds" / "discussions" / f"{CLOSED}{suffix}").read_text("utf-8")
    assert "Купите рекламу" not in text  # a refused proposal is not public
    assert not re.search(r"\b\d{12}\b", text)  # no IIN/BIN


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_state_body_feed_has_its_discussions_and_materials(demo_site, lang):
    rss = parse(demo_site.out / lang / "feeds" / "administrators" / "261.xml")
    atom = parse(demo_site.out / lang / "feeds" / "administrators" / "261.atom")
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    assert any(CLOSED in e.link for e in rss.entries)
    assert all("/discussions/BP-2027-225" not in e.link for e in rss.entries)  # only body 261
    assert rss.feed.link.endswith(f"/{lang}/administrators/261/")


def test_feeds_are_byte_identical_for_the_same_inputs(demo_site, tmp_path):
    from pathlib import Path

    from generator.build import build
    from portal.worker import export_snapshot
    from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT
    snapshot = tmp_path / "snapshot.json"
    export_snapshot(Path(demo_site.config["DATABASE"]), snapshot)
    again = build(SAMPLE_CONTENT, tmp_path / "out", cache_dir=tmp_path / "cache", today=DEMO_TODAY,
                  snapshot=snapshot, settings={"ASHYQ_REPORTS": demo_site.config["REPORTS_DIR"]}).output
    feeds = sorted(p.relative_to(demo_site.out) for p in demo_site.out.glob("*/feeds/**/*")
                   if p.is_file() and p.suffix in (".xml", ".atom", ".ics"))
    assert len(feeds) > 40
    for name in feeds:
        assert (again / name).read_bytes() == (demo_site.out / name).read_bytes(), name
    assert (again / "sitemap.xml").read_bytes() == (demo_site.out / "sitemap.xml").read_bytes()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_pages_link_their_feeds_and_the_feeds_page_lists_all(demo_site, lang):
    out = demo_site.out
    doc = (out / lang / "discussions" / CLOSED / "index.html").read_text("utf-8")
    stem = f"/{lang}/feeds/discussions/{CLOSED}"
    assert f'rel="alternate" type="application/rss+xml"' in doc and f'href="{stem}.xml"' in doc
    assert f'type="application/atom+xml"' in doc and f'href="{stem}.atom"' in doc
    assert doc.count(f'href="{stem}.xml"') == 2  # <link> in the head and a visible link
    admin = (out / lang / "administrators" / "261" / "index.html").read_text("utf-8")
    assert admin.count(f'href="/{lang}/feeds/administrators/261.xml"') == 2
    listing = (out / lang / "feeds" / "index.html").read_text("utf-8")
    links = set(re.findall(r'href="([^"]+\.(?:xml|atom|ics))"', listing))
    assert {"discussions.ics", "press.xml", "discussions.atom"} <= links
    for href in links:  # every feed listed exists and every feed written is listed
        target = out / lang / "feeds" / href if not href.startswith("/") else out / href.lstrip("/")
        assert target.exists(), href
    written = {p.relative_to(out / lang / "feeds").as_posix()
               for p in (out / lang / "feeds").rglob("*") if p.suffix in (".xml", ".atom", ".ics")}
    listed = {h.removeprefix(f"/{lang}/feeds/") for h in links}
    assert written == listed
    footer = (out / lang / "index.html").read_text("utf-8").split("<footer", 1)[1]
    for page in ("about/accessibility/", "about/privacy/", "about/contacts/", "feeds/"):
        assert f'href="/{lang}/{page}"' in footer
        assert (out / lang / page / "index.html").exists()


def test_sitemap_has_both_languages_with_hreflang_and_robots_points_to_it(demo_site):
    ns = SITEMAP_NS
    site = "http://127.0.0.1:8000"
    urls = sitemap_urls(demo_site.out, site)
    for lang in ("kk", "ru"):
        entry = urls[f"{site}/{lang}/discussions/{CLOSED}/report/"]
        alternates = {a.get("hreflang"): a.get("href") for a in entry.findall("x:link", ns)}
        assert alternates == {"kk": f"{site}/kk/discussions/{CLOSED}/report/",
                              "ru": f"{site}/ru/discussions/{CLOSED}/report/",
                              "x-default": f"{site}/kk/discussions/{CLOSED}/report/"}
    assert f"{site}/kk/about/privacy/" in urls and f"{site}/ru/feeds/" in urls
    assert not [u for u in urls if "/me/" in u or "404" in u]
    robots = (demo_site.out / "robots.txt").read_text("utf-8")
    assert f"Sitemap: {site}/sitemap.xml" in robots and "Disallow: /api/" in robots


def icalendar_reference(discussions, lang: str, site_url: str, name: str) -> bytes:
    """The calendar as icalendar's object model writes it (what the fast writer must match)."""
    import datetime as dt

    from icalendar import Calendar, Event

    cal = Calendar()
    for key, value in (("prodid", "-//Ashyq//Open Budgets//KK-RU"), ("version", "2.0"),
                       ("calscale", "GREGORIAN"), ("x-wr-calname", name),
                       ("x-wr-timezone", "Asia/Almaty")):
        cal.add(key, value)
    for doc in sorted(discussions, key=lambda d: (d.posted, d.uid)):
        event = Event()
        event.add("uid", f"{doc.uid}@ashyq")
        event.add("dtstamp", dt.datetime.combine(doc.posted, dt.time(), tzinfo=dt.timezone.utc))
        event.add("dtstart", doc.posted)
        event.add("dtend", doc.discussion_end + dt.timedelta(days=1))
        event.add("summary", doc.title(lang))
        event.add("url", site_url + doc.url(lang))
        cal.add_component(event)
    return cal.to_ical()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_calendar_is_what_icalendar_writes(lang, tmp_path):
    """The calendar is written line by line (issue 10: icalendar's objects were half an added
    passport's rebuild): its bytes are icalendar's, on the sample content and on titles that
    need escaping and folding - its events made, or kept between builds (``Rows``)."""
    import copy

    from generator.calendar_feed import discussions_calendar
    from generator.content import load_content
    from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT

    index = load_content(SAMPLE_CONTENT, DEMO_TODAY)
    docs = list(index.discussions)
    odd = []
    for i, title in enumerate(["Бюджет; «кавычки», запятые, \\ и\nперенос строки " * 3,
                               "A" * 200, "ә" * 90 + "x", "x" * 73 + "ә" * 3]):
        doc = copy.copy(docs[i % len(docs)])
        doc.meta = {**doc.meta, lang: {**doc.meta[lang], "title": title}}
        doc.uid = f"ODD-{i}"
        odd.append(doc)
    from generator.rows import Rows, rows_folder

    folder = rows_folder(tmp_path, "global key")
    for group in (docs, docs + odd, docs + odd):  # (the last: every event kept)
        reference = icalendar_reference(group, lang, "https://budget.example", "Ашық; бюджет, ")
        ours = discussions_calendar(group, lang, "https://budget.example", "Ашық; бюджет, ")
        rows = Rows(folder, "calendar")
        kept = discussions_calendar(group, lang, "https://budget.example", "Ашық; бюджет, ",
                                    rows, index)
        rows.save()
        assert ours == kept == reference
    assert rows.made == 0


def test_lines_fold_as_icalendar_folds_them():
    """``fold`` (issue 10: icalendar's ``foldline`` counted each character's octets in Python)
    gives ``foldline``'s text on lines of every length and script, 1- to 4-octet characters
    across every cut."""
    import random

    from icalendar.parser import foldline

    from generator.calendar_feed import fold

    alphabet = "ab ;,\\" + "әғқңөұүһі" + "бюджетЖ" + "€—" + "😀𝔸"
    rng = random.Random(10)
    lines = ["", "x" * 74, "x" * 75, "ә" * 37, "ә" * 38, "x" + "ә" * 37, "😀" * 40]
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
              for _ in range(2000)]
    for line in lines:
        assert fold(line) == foldline(line), line
