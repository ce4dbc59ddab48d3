"""Date-time text as credentials need it: XSD dateTime in UTC with a ``Z`` and whole seconds."""

from __future__ import annotations

from datetime import UTC, date, datetime


class TimeFormatError(ValueError):
    """Raise when a date-time string is not an XSD dateTime with a time zone."""


def format_datetime(value: datetime) -> str:
    """Return ``YYYY-MM-DDTHH:MM:SSZ`` for an aware datetime (converted to UTC)."""
    if value.tzinfo is None:
        raise TimeFormatError("datetime must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_date(value: date) -> str:
    """Return ``YYYY-MM-DD``."""
    return value.isoformat()


def parse_datetime(value: object) -> datetime:
    """Parse an XSD dateTime that carries a time zone (``Z`` or ``±hh:mm``)."""
    if not isinstance(value, str) or len(value) > 64:
        raise TimeFormatError("date-time must be a string")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise TimeFormatError(f"{value!r} is not an XSD dateTime") from None
    if parsed.tzinfo is None:
        raise TimeFormatError(f"{value!r} has no time zone (DateTimeZ required)")
    return parsed
