""""Now" for the portal, in Asia/Almaty, pinnable with ``ASHYQ_NOW`` for tests and the demo."""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")
NOW_VARIABLE = "ASHYQ_NOW"


class ClockError(ValueError):
    "ASHYQ_NOW is not an ISO date-time"


def parse_now(value: str) -> dt.datetime:
    """An ISO date or date-time; a naive one is taken as Asia/Almaty time."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ClockError(
            f"{NOW_VARIABLE}={value!r} is not an ISO date-time such as 2026-12-01T10:00:00+05:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ALMATY)
    return moment.astimezone(ALMATY)


def now(environ: dict[str, str] | None = None) -> dt.datetime:
    """The current moment in Asia/Almaty, or the one pinned by ``ASHYQ_NOW``."""
    env = os.environ if environ is None else environ
    pinned = env.get(NOW_VARIABLE)
    if pinned:
        return parse_now(pinned)
    return dt.datetime.now(ALMATY)


def today(environ: dict[str, str] | None = None) -> dt.date:
    """Today's date in Kazakhstan (Asia/Almaty)."""
    return now(environ).date()
