"""What each section of the bench reports: its lines, and whether its budget holds."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field


class MeasurementFailed(Exception):
    """A figure could not be measured: the bench exits non-zero (a budget over only reports)."""


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    over: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)
        print(f"  {text}" if text else "", flush=True)

    def exceed(self, what: str) -> None:
        """Record a budget over: reported, but the bench still succeeds."""
        self.over.append(what)

    def fail(self, what: str) -> None:
        """Record a measurement that failed (or a package that must not ship): the bench fails."""
        self.failures.append(what)
        self.say(f"FAILED: {what}")

    def verdict(self) -> str:
        if self.failures:
            return f"budget: unknown (measurement failed: {'; '.join(self.failures)})"
        if self.over:
            return f"budget: OVER ({'; '.join(self.over)})"
        return "budget: ok"


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def table(rows: list[list[str]], indent: str = "") -> list[str]:
    """Left-aligned columns (numbers are given already formatted)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    return [indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def heading(number: int, title: str) -> None:
    print(f"\n{number}. {title}", flush=True)


def progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)
