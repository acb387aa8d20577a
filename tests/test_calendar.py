"""The working-day calendar (RULES.md, Working days) against the official calendars of 2025
and 2026 as published (egov.kz calendar, Ministry of Labour orders, reported by Kazinform and
Tengrinews): the pinned ``holidays`` floor (0.101) is the first release that matches both
years; ``content/decrees.toml`` overrides it both ways."""
from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from pathlib import Path

import pytest

from ashyq.workdays import calendar_source, load_calendar

D = dt.date
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("day, working, why", [
    (D(2025, 1, 3), False, "Friday rested: the day off moved from Sunday 5 January (transfer)"),
    (D(2025, 1, 5), True, "Sunday 5 January 2025 worked (the other half of the transfer)"),
    (D(2025, 1, 7), False, "Orthodox Christmas"),
    (D(2025, 3, 10), False, "8 March fell on a Saturday: Monday off"),
    (D(2025, 3, 24), False, "Nauryz 22-23 March on the weekend: 24 and 25 off"),
    (D(2025, 3, 26), True, "after Nauryz"),
    (D(2025, 5, 8), True, "no transfer in May 2025 (Ministry of Labour)"),
    (D(2025, 6, 6), False, "Kurban ait 2025"),
    (D(2025, 7, 7), False, "Capital Day on a Sunday: Monday off"),
    (D(2025, 9, 1), False, "Constitution Day 30 August 2025 on a Saturday: Monday off"),
    (D(2025, 10, 27), False, "Republic Day on a Saturday: Monday off"),
    (D(2026, 1, 2), False, "New Year"),
    (D(2026, 1, 5), True, "no transfer in January 2026"),
    (D(2026, 3, 9), False, "8 March 2026 on a Sunday: Monday off"),
    (D(2026, 3, 25), False, "Nauryz 21-22 March 2026 on the weekend: 24 and 25 off"),
    (D(2026, 5, 11), False, "Victory Day 2026 on a Saturday: Monday off"),
    (D(2026, 5, 27), False, "Kurban ait 2026"),
    (D(2026, 7, 6), False, "Capital Day"),
    (D(2026, 8, 31), True, "no Constitution Day on 30 August from 2026 (new Constitution)"),
    (D(2026, 10, 26), False, "Republic Day on a Sunday: Monday off"),
    (D(2026, 12, 16), False, "Independence Day"),
    (D(2026, 12, 17), True, "17 December is no longer a holiday"),
])
def test_official_2025_and_2026(day, working, why):
    assert load_calendar().is_working_day(day) is working, why


def test_the_pinned_floor_is_the_one_checked():
    pinned = next(line for line in (ROOT / "pyproject.toml").read_text().splitlines()
                  if '"holidays>=' in line)
    assert '"holidays>=0.101,<1"' in pinned
    major, minor = (int(x) for x in version("holidays").split(".")[:2])
    assert (major, minor) >= (0, 101)


def test_decrees_add_cancel_and_work_a_weekend_day(tmp_path):
    decrees = tmp_path / "decrees.toml"
    decrees.write_text(
        '[[holiday]]\ndate = "2026-12-17"\nname = "Example day off"\n'
        '[[cancel]]\ndate = "2026-07-06"\ndecree = "Example law abolishing a holiday"\n'
        '[[working_day]]\ndate = "2026-07-11"\ndecree = "Example decree: Saturday worked"\n',
        encoding="utf-8")
    calendar = load_calendar(decrees)
    assert not calendar.is_working_day(D(2026, 12, 17))   # added
    assert calendar.is_working_day(D(2026, 7, 6))         # cancelled: an ordinary Monday
    assert calendar.is_working_day(D(2026, 7, 11))        # a Saturday worked
    assert not calendar.is_working_day(D(2026, 7, 12))    # Sunday still rested
    # R9: 10 working days from Wed 1 July 2026, counting 6 July and Saturday 11 July as worked
    assert calendar.working_days_after(D(2026, 7, 1), 10) == D(2026, 7, 14)
    assert load_calendar().working_days_after(D(2026, 7, 1), 10) == D(2026, 7, 16)
    source = calendar_source(calendar)
    assert (source["package"], source["country"], source["overrides"]) == ("holidays", "KZ", 3)
    assert source["version"] == version("holidays")


def test_compliance_page_names_the_calendar(small_content, build_site):
    site = build_site(small_content, today=D(2025, 12, 1))
    page = (site / "ru/compliance/index.html").read_text(encoding="utf-8")
    assert f"holidays {version('holidays')}" in page and "decrees.toml" in page
