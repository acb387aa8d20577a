"""An iCalendar feed per language with every discussion's start and end.

Written line by line with icalendar's own escaping (``vText``) and its folding (:func:`fold`,
icalendar's ``foldline`` cut on bytes): the object model took 1.3 ms an event, half a
one-passport-added rebuild at 2,000 passports. The bytes are icalendar's, property order
included (tests/test_follow.py builds the same calendar with icalendar's ``Calendar`` and
``Event`` and compares; ``fold`` is compared with ``foldline`` on random texts).
"""
from __future__ import annotations

import datetime as dt

from icalendar.prop import vText

from generator.content import Document
from generator.rows import Rows, row_key

HEADER = ("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ashyq//Open Budgets//KK-RU",
          "CALSCALE:GREGORIAN")


#: RFC 5545: content lines of at most 75 octets; icalendar folds at 74 and a space.
LINE_OCTETS = 74
FOLD = b"\r\n "


def fold(line: str) -> str:
    """``line`` folded as icalendar's ``foldline`` folds it: each piece the longest run of
    whole characters of at most 74 UTF-8 octets. ``foldline`` counts the octets of each
    character in Python (a Cyrillic title a few hundred times); this cuts the encoded
    line, stepping back over continuation octets to a character's start (issue 10)."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line
    pieces, start = [], 0
    while len(data) - start > LINE_OCTETS:
        cut = start + LINE_OCTETS
        while data[cut] & 0xC0 == 0x80:  # inside a character: cut before it
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return FOLD.join(pieces).decode("utf-8")


def _text(name: str, value: str) -> str:
    return fold(f"{name}:{vText(value).to_ical().decode('utf-8')}")


def discussions_calendar(discussions: list[Document], lang: str, site_url: str, name: str,
                         rows: Rows | None = None, index=None) -> bytes:
    """All-day events from posting to the discussion's last day (inclusive); reproducible.
    With ``rows`` (and the ``index`` its keys read), each event is kept from the previous
    build when unchanged (``generator.rows``)."""
    head = [*HEADER, _text("X-WR-CALNAME", name), _text("X-WR-TIMEZONE", "Asia/Almaty"), ""]
    ordered = sorted(discussions, key=lambda d: (d.posted, d.uid))
    events = "".join(event(doc, lang, site_url) + "\r\n" for doc in ordered) if rows is None \
        else rows.each(ordered, lambda doc: row_key(doc, index),
                       lambda doc: event(doc, lang, site_url) + "\r\n")
    return "".join(["\r\n".join(head), events, "END:VCALENDAR\r\n"]).encode("utf-8")


def event(doc: Document, lang: str, site_url: str) -> str:
    """One discussion's event, its lines joined as the calendar joins them."""
    end = doc.discussion_end + dt.timedelta(days=1)  # DTEND is exclusive
    return "\r\n".join([
        "BEGIN:VEVENT", _text("SUMMARY", doc.title(lang)),
        f"DTSTART;VALUE=DATE:{doc.posted:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}",
        f"DTSTAMP:{doc.posted:%Y%m%d}T000000Z", fold(f"UID:{doc.uid}@ashyq"),
        fold(f"URL:{site_url}{doc.url(lang)}"), "END:VEVENT"])
