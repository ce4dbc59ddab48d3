"""The retry schedule: Standard Webhooks steps with jitter, Retry-After honoured, dead at the end."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from lti_tool.core.registrar.retries import STANDARD_SCHEDULE, next_delay, parse_retry_after

NOW = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)


def test_each_step_stays_within_its_jitter_and_the_schedule_ends():
    rng = random.Random(7)
    for attempt, step in enumerate(STANDARD_SCHEDULE, start=1):
        delay = next_delay(attempt, rng=rng)
        assert 0.8 * step <= delay <= 1.2 * step
    assert next_delay(len(STANDARD_SCHEDULE) + 1) is None
    assert sum(STANDARD_SCHEDULE) / 86400 == pytest.approx(3.1, abs=0.1)  # about three days


def test_retry_after_pushes_a_retry_later_but_never_beyond_a_day():
    assert next_delay(1, retry_after=120, rng=random.Random(1)) == 120
    assert next_delay(9, retry_after=10, rng=random.Random(1)) > 60000  # the schedule is later
    assert next_delay(1, retry_after=10 ** 9, rng=random.Random(1)) == 86400


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), ("Fri, 01 May 2026 14:02:00 GMT", 120.0), ("Fri, 01 May 2026 13:00:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None), ("-5", None),
])
def test_retry_after_forms(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_attempts_count_from_one():
    with pytest.raises(ValueError):
        next_delay(0)
