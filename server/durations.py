"""Durations as people write them in settings and on the command line, with a unit that
cannot be misread: ``90d``, ``12h``, ``30min``, ``2w``, ``45s``, ``1y``.

A bare number is refused (days? seconds?), and so is ``m``, which reads as minutes to one
person and months to another: ``adlaan cleanup --older-than 1m`` once meant one *minute* and
deleted every conversation. ``never`` (or ``off``) stands for no limit where a setting allows it.
"""

from __future__ import annotations

import re
from datetime import timedelta

#: Each accepted unit, with the ``timedelta`` keyword and the factor it stands for.
UNITS: dict[str, tuple[str, float]] = {
    "s": ("seconds", 1),
    "sec": ("seconds", 1),
    "secs": ("seconds", 1),
    "second": ("seconds", 1),
    "seconds": ("seconds", 1),
    "min": ("minutes", 1),
    "mins": ("minutes", 1),
    "minute": ("minutes", 1),
    "minutes": ("minutes", 1),
    "h": ("hours", 1),
    "hr": ("hours", 1),
    "hrs": ("hours", 1),
    "hour": ("hours", 1),
    "hours": ("hours", 1),
    "d": ("days", 1),
    "day": ("days", 1),
    "days": ("days", 1),
    "w": ("weeks", 1),
    "week": ("weeks", 1),
    "weeks": ("weeks", 1),
    # a year is 365 days here, whatever the calendar says: retention is never that exact
    "y": ("days", 365),
    "year": ("days", 365),
    "years": ("days", 365),
}
#: Words that mean "no limit" where a setting allows one.
NEVER = ("never", "off")
ACCEPTED = "s, min, h, d, w, y (e.g. 45s, 30min, 12h, 90d, 2w, 1y)"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


class DurationError(ValueError):
    """Text that is not a duration with an unambiguous unit; the message says what is."""


def parse_duration(text: str, *, allow_never: bool = False) -> timedelta | None:
    """``text`` as a ``timedelta``; None for ``never``/``off`` when ``allow_never``.

    Raises ``DurationError`` for a bare number (``0`` aside: zero is zero in any unit), ``m`` or
    ``month`` (minutes or months?), an unknown unit, or a negative or malformed value."""
    value = (text or "").strip()
    if allow_never and value.lower() in NEVER:
        return None
    match = _DURATION.match(value)
    if not match:
        raise DurationError(f"not a duration: {text!r}; write a number and a unit: {ACCEPTED}")
    number, unit = float(match[1]), match[2].lower()
    if not unit:
        if number == 0:
            return timedelta(0)
        raise DurationError(f"{text!r} has no unit (days? seconds?); write one: {ACCEPTED}")
    if unit in ("m", "mo", "mon", "month", "months"):
        raise DurationError(
            f"{text!r} is ambiguous ('m' reads as minutes or months; months differ in length); "
            f"write minutes as 'min' or days as 'd': {ACCEPTED}"
        )
    if unit not in UNITS:
        raise DurationError(f"unknown unit {match[2]!r} in {text!r}; accepted units: {ACCEPTED}")
    keyword, factor = UNITS[unit]
    return timedelta(**{keyword: number * factor})


def describe(delta: timedelta | None) -> str:
    """A short human form of ``delta`` (``90d``, ``12h``, ``never``) for tables and messages."""
    if delta is None:
        return "never"
    seconds = delta.total_seconds()
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}min"
    return f"{seconds:g}s"
