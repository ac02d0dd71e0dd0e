"""`python -m benchmarks` (`make bench`): every figure of DESIGN.md section 6, in one run.

Exits 0 when every figure was measured, even if a budget is over (the report says so); non-zero when a
measurement failed or the Lambda package holds what must never ship."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from benchmarks import as_shipped, cold_start, local_readiness, morning_run, package_size, round_trips
from benchmarks.report import MeasurementFailed, Section, heading

SECTIONS: tuple[tuple[str, Callable[[Section], None]], ...] = (
    (
        "Cold start: handler import time / the stack's floor (budget 1.2x; tweepy only where it posts)",
        cold_start.measure,
    ),
    (
        "Cold start as Lambda runs it: the built package (twin), read-only, no .pyc written (budget 1.1x)",
        as_shipped.measure,
    ),
    ("DynamoDB round trips per operation (API handler on moto)", round_trips.measure),
    ("The morning run's reads: 10 vs 10,000 stored proposals (must be equal; no Scan)", morning_run.measure),
    ("Lambda package (sam build): unzipped size, no test or local-stack tools", package_size.measure),
    ("`make run` readiness: postdesk local until GET /_local/ answers (budget 5 s)", local_readiness.measure),
)


def main() -> int:
    started = time.perf_counter()
    print("postdesk bench: DESIGN.md section 6 (ratios and counts; this machine's absolute times vary)")
    sections: list[Section] = []
    for number, (title, measure) in enumerate(SECTIONS, start=1):
        heading(number, title)
        section = Section(title)
        sections.append(section)
        try:
            measure(section)
        except MeasurementFailed as error:
            section.fail(str(error))
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            section.fail(f"{type(error).__name__}: {error}")
        print(f"  {section.verdict()}", flush=True)
    failed = [number for number, section in enumerate(sections, start=1) if section.failures]
    over = [number for number, section in enumerate(sections, start=1) if section.over]
    print(f"\nbench done in {time.perf_counter() - started:.0f} s", end="")
    print(
        f"; budgets over in section(s) {', '.join(map(str, over))}" if over else "; every budget holds",
        end="",
    )
    print(f"; measurement FAILED in section(s) {', '.join(map(str, failed))}" if failed else "", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
