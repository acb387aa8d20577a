"""RSS 2.0 and Atom feeds (feedgen), per language: press releases, discussions, and (see
``generator.follow``) one pair per state body and per discussion.

Reproducible: every date comes from the content (midnight Asia/Almaty of the item's date),
the channel's ``updated``/``lastBuildDate`` is the newest item's date, so the same content
gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from ashyq.clock import ALMATY

FEED_LIMIT = 50


@dataclass(frozen=True)
class FeedItem:
    """One entry: an absolute link, a title, a summary and the day it appeared."""

    uid: str
    title: str
    link: str
    summary: str
    day: dt.date
    id: str = ""  # a distinct id when one page has several entries (default: the link)


@dataclass(frozen=True)
class Feed:
    """A channel: its title, its page on the site and the URL stem of its files."""

    title: str
    description: str
    page_url: str
    self_url_stem: str  # ".xml" (RSS) and ".atom" are appended
    lang: str


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ALMATY)


def _generator(feed: Feed, items: list[FeedItem], self_url: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(feed.page_url)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.language(feed.lang)
    fg.generator("Ashyq")
    fg.link(href=self_url, rel="self")  # rel="self" first, the page link last
    fg.link(href=feed.page_url, rel="alternate")
    newest = max((i.day for i in items), default=dt.date(2000, 1, 1))
    fg.updated(_moment(newest))
    fg.lastBuildDate(_moment(newest))
    # feedgen prepends entries: add the oldest first so the newest leads the feed.
    for item in reversed(items[:FEED_LIMIT]):
        entry = fg.add_entry()
        entry.id(item.id or item.link)
        entry.guid(item.id or item.link, permalink=not item.id)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate")
        entry.summary(item.summary)
        entry.published(_moment(item.day))
        entry.updated(_moment(item.day))
    return fg


def render_feeds(feed: Feed, items: list[FeedItem]) -> dict[str, bytes]:
    """``{".xml": RSS 2.0 bytes, ".atom": Atom bytes}``; ``items`` newest first."""
    rss = _generator(feed, items, feed.self_url_stem + ".xml").rss_str(pretty=True)
    atom = _generator(feed, items, feed.self_url_stem + ".atom").atom_str(pretty=True)
    return {".xml": rss, ".atom": atom}
