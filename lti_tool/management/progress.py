"""A small text progress bar for long commands (written to stderr so stdout stays scriptable)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Draw ``[#####.....] 50/100 12.3/s`` on one line, redrawn at most ten times a second."""

    def __init__(self, total: int, *, label: str = "", stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._drawn >= 0.1 or self.done >= self.total:
            self._drawn = now
            self._draw(now)

    def close(self) -> None:
        self._draw(time.monotonic())
        self._write("\n")

    def _draw(self, now: float) -> None:
        filled = int(self.width * self.done / self.total)
        rate = self.done / max(now - self.started, 1e-9)
        bar = "#" * filled + "." * (self.width - filled)
        self._write(f"\r{self.label} [{bar}] {self.done}/{self.total} {rate:.1f}/s")

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")  # Django's wrapper would end each redraw with a newline
        else:
            self.stream.write(text)
        self.stream.flush()
