"""The working-day calendar against hand-checked Kazakhstan dates (R7, R9, R10, R15)."""
import datetime as dt

import pytest

from ashyq.doctypes import discussion_status
from ashyq.workdays import CalendarError, Transfer, WorkingCalendar, load_calendar

D = dt.date
CAL = WorkingCalendar()


@pytest.mark.parametrize("day, working", [
    (D(2025, 1, 3), False),   # Friday rested by decree (transfer from Sunday 5 January)
    (D(2025, 1, 5), True),    # Sunday worked by the same decree
    (D(2025, 3, 10), False),  # 8 March fell on a Saturday: Monday off
    (D(2025, 3, 11), True),
    (D(2026, 3, 23), False),  # Nauryz
    (D(2026, 12, 16), False),  # Independence Day
    (D(2026, 12, 19), False),  # Saturday
])
def test_working_days_from_holidays_kz(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize("posted, end", [
    (D(2025, 2, 24), D(2025, 3, 11)),   # R9: 10th working day after; skips the 10 March holiday
    (D(2024, 12, 30), D(2025, 1, 16)),  # New Year, the 3 January transfer, 5 January worked, 7 January
    (D(2026, 3, 16), D(2026, 4, 2)),    # Nauryz, 21-25 March 2026
    (D(2026, 12, 1), D(2026, 12, 15)),
    (D(2026, 12, 4), D(2026, 12, 21)),  # Independence Day on Wednesday 16 December
])
def test_r9_r10_discussion_end_is_tenth_working_day_after_posting(posted, end):
    assert CAL.discussion_end(posted) == end
    assert CAL.working_days_between(posted, end) == 10


def test_r9_editor_may_extend_but_never_shorten():
    assert CAL.discussion_end(D(2025, 2, 24), D(2025, 3, 20)) == D(2025, 3, 20)
    with pytest.raises(ValueError, match=r"2025-03-10 is earlier than 2025-03-11.*R9"):
        CAL.discussion_end(D(2025, 2, 24), D(2025, 3, 10))


@pytest.mark.parametrize("submitted, due", [
    (D(2025, 3, 7), D(2025, 3, 12)),   # R15: Friday + weekend + 10 March holiday
    (D(2026, 12, 14), D(2026, 12, 17)),  # R15: across Independence Day
])
def test_r15_moderation_due_in_two_working_days(submitted, due):
    assert CAL.moderation_due(submitted) == due


def test_r7_audit_results_due_in_fifteen_working_days():
    assert CAL.audit_publication_due(D(2026, 9, 15)) == D(2026, 10, 6)


def test_override_file_adds_decrees_newer_than_the_package(tmp_path):
    decrees = tmp_path / "decrees.toml"
    decrees.write_text('[[transfer]]\nday_off = "2027-01-08"\nworking_day = "2027-01-09"\n'
                       'decree = "Government decree (test)"\n\n'
                       '[[holiday]]\ndate = "2027-02-03"\nname = "One-off day off"\n')
    cal = load_calendar(decrees)
    assert not cal.is_working_day(D(2027, 1, 8)) and cal.is_working_day(D(2027, 1, 9))
    assert not cal.is_working_day(D(2027, 2, 3))
    assert CAL.is_working_day(D(2027, 1, 8)) and not CAL.is_working_day(D(2027, 1, 9))
    span = (D(2027, 1, 28), D(2027, 2, 10))
    assert cal.working_days_between(*span) == CAL.working_days_between(*span) - 1
    assert cal.discussion_end(span[0]) > CAL.discussion_end(span[0])


def test_override_file_errors_name_the_entry(tmp_path):
    decrees = tmp_path / "decrees.toml"
    decrees.write_text('[[transfer]]\nday_off = "8 Jan"\nworking_day = "2027-01-09"\n')
    with pytest.raises(CalendarError, match="transfer 1 day_off"):
        load_calendar(decrees)


def test_sample_decrees_file_loads():
    from tests.helpers import SAMPLE_CONTENT
    assert isinstance(load_calendar(SAMPLE_CONTENT / "decrees.toml"), WorkingCalendar)


def test_transfer_is_a_value():
    assert Transfer(D(2027, 1, 8), D(2027, 1, 9)) == Transfer(D(2027, 1, 8), D(2027, 1, 9))


@pytest.mark.parametrize("today, status", [
    (D(2025, 2, 23), "scheduled"), (D(2025, 2, 24), "open"),
    (D(2025, 3, 11), "open"), (D(2025, 3, 12), "closed"),
])
def test_discussion_status_from_today(today, status):
    assert discussion_status(D(2025, 2, 24), D(2025, 3, 11), today) == status
