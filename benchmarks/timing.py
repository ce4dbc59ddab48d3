"""Time callables in rounds and summarize them; the Node reference reports rounds in the same shape.

Method: warm up, then time ``rounds`` rounds per route, the rounds of all routes (Python and Node)
interleaved so that a busy spell on the machine hits every route alike. Every call is timed on its
own (``time.perf_counter`` here, ``performance.now()`` in Node): median and p90 come from these
samples. A round's throughput is calls / its elapsed time; ops/s is the median round. Ratios
between two routes are the median of their per-round ratios (rounds i of both ran close in time).
Process CPU time is recorded too: CPU / wall well below 100 % on a pinned process means another
process shared the core; above 100 % means helper threads ran on other cores.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Round:
    samples: list[float]  # seconds per call
    wall: float  # seconds
    cpu: float  # process CPU seconds
    gc: float = 0.0  # seconds of GC pauses (Node only)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall


def warm(fn: Callable[[], Any], seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()


def time_round(fn: Callable[[], Any], seconds: float) -> Round:
    """Call ``fn`` for ``seconds``, timing every call."""
    perf = time.perf_counter
    samples: list[float] = []
    cpu_start = time.process_time()
    start = t = perf()
    end = start + seconds
    while t < end:
        before = t
        fn()
        t = perf()
        samples.append(t - before)
    return Round(samples=samples, wall=t - start, cpu=time.process_time() - cpu_start)


@dataclass(frozen=True)
class Stats:
    median_ms: float
    p90_ms: float
    ops_per_s: float  # median round
    rates: tuple[float, ...]  # per round, in time order
    iterations: int
    cpu_share: float  # process CPU time / wall time over all rounds
    cpu_ops_per_s: float  # calls per second of process CPU time
    gc_share: float  # GC pauses / wall time over all rounds (0 for Python)

    @classmethod
    def from_rounds(cls, rounds: Sequence[Round]) -> Stats:
        samples = sorted(s for r in rounds for s in r.samples)
        wall, cpu = sum(r.wall for r in rounds), sum(r.cpu for r in rounds)
        return cls(
            median_ms=1000 * statistics.median(samples),
            p90_ms=1000 * samples[min(len(samples) - 1, int(0.9 * len(samples)))],
            ops_per_s=statistics.median(r.rate for r in rounds),
            rates=tuple(r.rate for r in rounds),
            iterations=len(samples),
            cpu_share=cpu / wall,
            cpu_ops_per_s=len(samples) / cpu if cpu > 0 else float("nan"),
            gc_share=sum(r.gc for r in rounds) / wall,
        )

    @property
    def spread_pct(self) -> float:
        """Return (fastest round - slowest round) / median round, in percent."""
        return 100.0 * (max(self.rates) - min(self.rates)) / self.ops_per_s

    def ratio(self, other: Stats) -> float:
        """Return the median of per-round throughput ratios self / other (paired in time)."""
        return statistics.median(a / b for a, b in zip(self.rates, other.rates, strict=True))


def format_ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def table(headers: list[str], rows: list[list[str]], *, align: str) -> str:
    """Return a plain-text table; ``align`` holds one 'l' or 'r' per column."""
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) if a == "l" else cell.rjust(w)
                         for cell, w, a in zip(cells, widths, align, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])
