"""Date filters of Twilio's list resources: `Name`, `Name<` and `Name>` (a day, or on or
before, or on or after it), as Calls (StartTime, EndTime) and Notifications (MessageDate)
take them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from .errors import InvalidParameter
from .forms import Form

COMPARES: dict[str, Callable[[str, str], bool]] = {
    "": lambda day, value: day == value,
    ">": lambda day, value: day >= value,
    "<": lambda day, value: day <= value,
}


def day_of(key: str, raw: str) -> str:
    """The day of a date filter: YYYY-MM-DD, or the date part of the ISO-8601 date-time the
    SDK sends for it (serialize.iso8601_datetime turns even a date into 2026-01-02T00:00:00Z).
    """
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError as err:
        raise InvalidParameter(f"{key} must be a date (YYYY-MM-DD), got {raw!r}") from err
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.date().isoformat()


def on_days[T](
    items: list[T],
    form: Form,
    name: str,
    time_of: Callable[[T], float | None],
    day: Callable[[float], str],
) -> list[T]:
    """The items whose time (`time_of`, as a day by `day`) matches the form's `name` filters;
    an item without that time matches none."""
    for suffix, compare in COMPARES.items():
        if raw := form.get(name + suffix):
            value = day_of(name + suffix, raw)
            items = [
                item
                for item in items
                if (at := time_of(item)) is not None and compare(day(at), value)
            ]
    return items
