"""Rounds of launches and their summary: launches/s, p50/p99 latency, the share of each step.

A round runs one route for a fixed time (one thread in-process, N threads over HTTP) and keeps every
exchange's ``Sample``. Throughput is per round; the summary takes the median round, and the ratio of two
routes is the median of their per-round ratios (round i of both ran seconds apart, see timing.py).
In-process, ``launches/s`` counts only the tool's time (login + launch + landing; the platform's signing in
between is excluded) and ``end-to-end/s`` divides by the round's wall time. Over HTTP both are completed
exchanges per wall second: the client threads sign while the server works.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .lti_exchange import Sample


@dataclass(frozen=True)
class LaunchRound:
    samples: list[Sample]
    wall: float  # seconds
    cpu: float  # CPU seconds of the process doing the work (this one in-process, gunicorn over HTTP)
    client_cpu: float = 0.0  # CPU seconds of the client process over HTTP (threads, signing)

    @property
    def tool_rate(self) -> float:
        return len(self.samples) / sum(s.tool for s in self.samples)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def summarize(rounds: Sequence[LaunchRound], *, over_http: bool) -> dict[str, Any]:
    """Return the JSON-ready summary of one route's rounds (milliseconds, launches per second)."""
    samples = [s for r in rounds for s in r.samples]
    tool = sorted(1000 * s.tool for s in samples)
    e2e = sorted(1000 * s.end_to_end for s in samples)
    rates = [r.rate if over_http else r.tool_rate for r in rounds]
    median_rate = statistics.median(rates)
    cpu = sum(r.cpu for r in rounds)
    return {
        "launches_per_s": median_rate,
        "end_to_end_per_s": statistics.median(r.rate for r in rounds),
        "rates": rates,
        "spread_pct": 100 * (max(rates) - min(rates)) / median_rate,
        "p50_ms": percentile(tool, 0.50),
        "p99_ms": percentile(tool, 0.99),
        "e2e_p50_ms": percentile(e2e, 0.50),
        "e2e_p99_ms": percentile(e2e, 0.99),
        "steps_ms": {step: 1000 * statistics.median(getattr(s, step) for s in samples)
                     for step in ("login", "platform", "launch", "landing")},
        "launches": len(samples),
        "cpu_ms_per_launch": 1000 * cpu / len(samples),
        "client_cpu_ms_per_launch": 1000 * sum(r.client_cpu for r in rounds) / len(samples),
        "cpu_share": cpu / sum(r.wall for r in rounds),
    }


def paired_ratio(ours: Sequence[float], reference: Sequence[float]) -> float:
    """Return the median of per-round ratios ours / reference."""
    return statistics.median(a / b for a, b in zip(ours, reference, strict=True))
