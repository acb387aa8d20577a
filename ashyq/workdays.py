"""Kazakhstan working days: the one calendar every deadline of the Rules is counted on.

Pure module: imports neither Pelican nor Flask, so the generator and the submission service
share it. Public holidays and decree transfers come from ``holidays.KZ`` (pinned in
pyproject.toml to a release whose 2025 and 2026 match the official calendars: the transfer of
5 January 2025 to 3 January, Kurban ait on 6 June 2025 and 27 May 2026, no Constitution Day on
30 August 2026 after the new Constitution; tests/test_calendar.py). Decrees and laws newer
than the installed package are applied from ``content/decrees.toml``, both ways: add a day off,
cancel a holiday, make a weekend day a working day (RULES.md, Working days).

"A deadline counted 'within N working days' from a date D is the N-th working day after D"
(RULES.md, Working days). That single definition serves:

* R9, R10 - a discussion lasts at least 10 working days from the posting date;
* R15 - the operator decides on a proposal within 2 working days;
* R7 - audit results are published within 15 working days of receipt.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import holidays

#: R9, R10: minimum length of a public discussion, in working days.
DISCUSSION_WORKING_DAYS = 10
#: R15: the operator's deadline for a moderation decision, in working days.
MODERATION_WORKING_DAYS = 2
#: R7: audit results are published within this many working days of receipt.
AUDIT_WORKING_DAYS = 15


class CalendarError(ValueError):
    "The decree override file is malformed"


@dataclass(frozen=True)
class Transfer:
    """A decree that moves a day off: ``day_off`` is rested, ``working_day`` is worked."""

    day_off: dt.date
    working_day: dt.date
    decree: str = ""


@dataclass
class WorkingCalendar:
    """Kazakhstan's working-day calendar with local decree overrides."""

    transfers: list[Transfer] = field(default_factory=list)
    extra_holidays: dict[dt.date, str] = field(default_factory=dict)
    cancelled: dict[dt.date, str] = field(default_factory=dict)     # holidays no longer off
    working_days: dict[dt.date, str] = field(default_factory=dict)  # weekend days worked

    def __post_init__(self) -> None:
        self._kz = holidays.KZ()
        self._off = {t.day_off for t in self.transfers} | set(self.extra_holidays)
        self._worked = {t.working_day for t in self.transfers} | set(self.working_days)
        self._known: dict[dt.date, bool] = {}  # days answered (every deadline asks again)
        self._counted: dict[tuple[dt.date, dt.date], int] = {}  # spans counted (compliance)

    def is_working_day(self, day: dt.date) -> bool:
        """True when ``day`` is worked in Kazakhstan. The overrides come first: a weekend day
        made a working day is worked; a day off added is rested; a cancelled holiday is an
        ordinary day; otherwise ``holidays.KZ`` decides."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: dt.date) -> bool:
        if day in self._worked:
            return True
        if day in self._off:
            return False
        if day in self.cancelled:
            return day.weekday() < 5
        return self._kz.is_working_day(day)

    @property
    def overrides(self) -> int:
        return len(self.transfers) + len(self.extra_holidays) + len(self.cancelled) + len(self.working_days)

    def working_days_after(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself is never counted)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, left = start, n
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days fall after ``start`` up to and including ``end``."""
        count = self._counted.get((start, end))
        if count is None:
            count, day = 0, start
            while day < end:
                day += dt.timedelta(days=1)
                count += self.is_working_day(day)
            self._counted[(start, end)] = count
        return count

    def discussion_end(self, posted: dt.date, requested: dt.date | None = None) -> dt.date:
        """R9, R10: the last day of a discussion posted on ``posted``.

        The earliest allowed end is the 10th working day after the posting date; an editor may
        set a later end (``requested``), never an earlier one (raises ``ValueError``).
        """
        earliest = self.working_days_after(posted, DISCUSSION_WORKING_DAYS)
        if requested is None:
            return earliest
        if requested < earliest:
            raise ValueError(
                f"discussion_end {requested.isoformat()} is earlier than "
                f"{earliest.isoformat()}, the {DISCUSSION_WORKING_DAYS}th working day after "
                f"posting on {posted.isoformat()} (R9, R10)"
            )
        return requested

    def moderation_due(self, submitted: dt.date) -> dt.date:
        """R15: the operator decides within 2 working days of the proposal's submission."""
        return self.working_days_after(submitted, MODERATION_WORKING_DAYS)

    def audit_publication_due(self, received: dt.date) -> dt.date:
        """R7: audit results are published within 15 working days of receipt."""
        return self.working_days_after(received, AUDIT_WORKING_DAYS)


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def load_calendar(override_file: Path | None = None) -> WorkingCalendar:
    """A calendar from ``holidays.KZ`` plus the decrees listed in ``override_file`` (TOML).

    The file holds ``[[transfer]]`` tables (``day_off``, ``working_day``, ``decree``),
    ``[[holiday]]`` tables (``date``, ``name``: a day off added), ``[[cancel]]`` tables
    (``date``, ``decree``: a holiday that is no longer a day off) and ``[[working_day]]`` tables
    (``date``, ``decree``: a weekend day that is worked). A missing file means no overrides.
    """
    if override_file is None or not Path(override_file).exists():
        return WorkingCalendar()
    try:
        data = tomllib.loads(Path(override_file).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"{override_file}: {exc}") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8 text
        raise CalendarError(f"{override_file}: not UTF-8 text (byte {exc.start}): save the "
                            "file in the UTF-8 encoding") from exc
    transfers = [
        Transfer(
            _date(t.get("day_off"), f"{override_file}: transfer {i + 1} day_off"),
            _date(t.get("working_day"), f"{override_file}: transfer {i + 1} working_day"),
            str(t.get("decree", "")),
        )
        for i, t in enumerate(data.get("transfer", []))
    ]
    extra = {
        _date(h.get("date"), f"{override_file}: holiday {i + 1}"): str(h.get("name", "Holiday"))
        for i, h in enumerate(data.get("holiday", []))
    }
    cancelled = {_date(c.get("date"), f"{override_file}: cancel {i + 1}"): str(c.get("decree", ""))
                 for i, c in enumerate(data.get("cancel", []))}
    worked = {_date(w.get("date"), f"{override_file}: working_day {i + 1}"): str(w.get("decree", ""))
              for i, w in enumerate(data.get("working_day", []))}
    return WorkingCalendar(transfers, extra, cancelled, worked)


def calendar_source(calendar: WorkingCalendar) -> dict[str, object]:
    """Where the calendar comes from, for the compliance page: the package, its version, the
    number of local decree overrides."""
    return {"package": "holidays", "country": "KZ", "version": holidays.__version__,
            "url": "https://pypi.org/project/holidays/", "overrides": calendar.overrides}
