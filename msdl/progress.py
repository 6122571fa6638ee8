"""Progress lines with rate and ETA for long loops (written to the rule's log)."""

from __future__ import annotations

import datetime as _dt
import logging
import sys
import time
from pathlib import Path


def get_logger(name: str, log_path: str | None = None) -> logging.Logger:
    """A logger that writes time-stamped lines to ``log_path`` (or stderr)."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="a") if log_path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.propagate = False
    return logger


def format_seconds(seconds: float) -> str:
    return str(_dt.timedelta(seconds=int(round(max(seconds, 0.0)))))


class Progress:
    """Counts work units and reports ``done/total, rate, ETA`` at most every ``every_s`` seconds."""

    def __init__(self, logger: logging.Logger, total: int, unit: str, every_s: float = 30.0, what: str = ""):
        self.logger, self.total, self.unit, self.every_s, self.what = logger, total, unit, every_s, what
        self.done = 0
        self.start = self.last = time.perf_counter()

    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self.start, 1e-9)

    def eta(self) -> float:
        return (self.total - self.done) / max(self.rate(), 1e-9)

    def line(self) -> str:
        return (
            f"{self.what}{self.done}/{self.total} {self.unit} ({100.0 * self.done / max(self.total, 1):.0f} %), "
            f"{self.rate():.3g} {self.unit}/s, elapsed {format_seconds(time.perf_counter() - self.start)}, "
            f"ETA {format_seconds(self.eta())}"
        )

    def update(self, n: int = 1, force: bool = False) -> None:
        self.done += n
        now = time.perf_counter()
        if force or now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            self.logger.info(self.line())
