"""When to try a failed delivery again (registrar research digest 3.1 and 5.4).

The Standard Webhooks schedule (then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: about
three days) with jitter so a recovering receiver is not hit by every sender at once, never earlier
than the receiver's ``Retry-After``; after the last step the delivery is dead (kept, and replayable).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

STANDARD_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.2
MAX_RETRY_AFTER = 86400


def next_delay(attempts: int, *, schedule: Sequence[float] = STANDARD_SCHEDULE, retry_after: float | None = None,
               rng: random.Random | None = None) -> float | None:
    """Return seconds to wait after ``attempts`` failed tries, or None when the schedule is spent.

    The wait is the schedule's step ± 20 %, or the receiver's ``Retry-After`` when that is later
    (capped at a day).
    """
    if attempts < 1:
        raise ValueError("attempts counts tries made, from 1")
    if attempts > len(schedule):
        return None
    step = float(schedule[attempts - 1])
    delay = step * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return max(delay, 0.0)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return seconds from ``Retry-After`` (delta-seconds or an HTTP date, RFC 9110 §10.2.3), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now) / timedelta(seconds=1), 0.0)
