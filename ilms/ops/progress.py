"""Progress of a long import or export: lines done, lines per second, time left.

One object serves the command line (a bar redrawn on standard error) and the
administrator's upload page (the background job stores the same figures).
The time left is estimated from the bytes read against the file's size, so
it holds for files whose lines are of uneven length; on standard input,
whose size is unknown, only the lines and the rate are shown.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


def _clock(seconds):
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


@dataclass
class Progress:
    total_bytes: int | None = None
    lines: int = 0
    done_bytes: int = 0
    started: float = field(default_factory=time.monotonic)

    def advance(self, lines, done_bytes=None):
        self.lines = lines
        if done_bytes is not None:
            self.done_bytes = done_bytes

    @property
    def elapsed(self):
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def rate(self):
        """Lines per second since the start."""
        return self.lines / self.elapsed

    @property
    def fraction(self):
        if not self.total_bytes:
            return None
        return min(1.0, self.done_bytes / self.total_bytes)

    @property
    def seconds_left(self):
        fraction = self.fraction
        if fraction is None or fraction <= 0:
            return None
        return self.elapsed * (1 - fraction) / fraction

    def as_dict(self):
        return {"lines": self.lines, "rate": round(self.rate, 1),
                "percent": None if self.fraction is None else round(100 * self.fraction, 1),
                "seconds_left": None if self.seconds_left is None else round(self.seconds_left)}

    def text(self, width=30):
        rate = f"{self.lines:,} lines, {self.rate:,.0f} lines/s"
        fraction = self.fraction
        if fraction is None:
            return f"{rate}, {_clock(self.elapsed)} elapsed"
        filled = int(width * fraction)
        left = self.seconds_left
        return (f"[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}%  {rate}, "
                f"{_clock(left) if left is not None else '--:--'} left")


class TerminalBar:
    """Redraws ``progress.text()`` on one line of ``stream`` at most every ``every`` seconds."""

    def __init__(self, progress, stream=None, every=0.5, enabled=None):
        self.progress = progress
        self.stream = stream or sys.stderr
        self.every = every
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0
        self._drawn = False

    def update(self, lines, done_bytes=None):
        self.progress.advance(lines, done_bytes)
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.stream.write("\r" + self.progress.text() + "\033[K")
            self.stream.flush()
            self._drawn = True

    def clear(self):
        """Leave the last state on its own line before other messages are written."""
        if self.enabled and self._drawn:
            self.stream.write("\r" + self.progress.text() + "\033[K\n")
            self.stream.flush()
            self._drawn = False
