"""An iCalendar feed per language with every discussion's start and end (icalendar)."""
from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from generator.content import Document


def discussions_calendar(discussions: list[Document], lang: str, site_url: str, name: str) -> bytes:
    """All-day events from posting to the discussion's last day (inclusive); reproducible."""
    cal = Calendar()
    cal.add("prodid", "-//Ashyq//Open Budgets//KK-RU")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Almaty")
    for doc in sorted(discussions, key=lambda d: (d.posted, d.uid)):
        event = Event()
        event.add("uid", f"{doc.uid}@ashyq")
        event.add("dtstamp", dt.datetime.combine(doc.posted, dt.time(), tzinfo=dt.timezone.utc))
        event.add("dtstart", doc.posted)
        event.add("dtend", doc.discussion_end + dt.timedelta(days=1))  # DTEND is exclusive
        event.add("summary", doc.title(lang))
        event.add("url", site_url + doc.url(lang))
        cal.add_component(event)
    return cal.to_ical()
