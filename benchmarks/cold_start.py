"""Cold start: each handler module's import time in a fresh interpreter, as a ratio to this stack's floor
(boto3 + Powertools' resolver with validation + Logger, Metrics and Tracer) measured the same way, in
the same run, interleaved round by round so that the machine's noise falls on both alike."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from benchmarks.lambda_functions import FUNCTIONS_DIR, LambdaFunction, declared_functions, process_environment
from benchmarks.report import MeasurementFailed, Section, median, progress, table

BUDGET = 1.2
ROUNDS = 9
IMPORTTIME_RUNS = 3
TOP_OFFENDERS = 6
POSTING_LIBRARY = "tweepy"
# Never imported by a handler: the local stack and its AWS double (DESIGN.md section 4).
LOCAL_ONLY = ("moto", "postdesk_tools.local_stack")
OWN_PACKAGE = "postdesk"

FLOOR = """\
import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
APIGatewayRestResolver(enable_validation=True)
from aws_lambda_powertools import Logger, Metrics, Tracer
Logger(); Metrics(); Tracer()
"""


def handler_code(module: str) -> str:
    return f"import {module}\n"


def timed(code: str) -> str:
    """`code` between two clocks; prints wall and CPU seconds, then which watched modules it loaded."""
    return (
        "import sys, time\n"
        "_wall, _cpu = time.perf_counter(), time.process_time()\n"
        f"{code}"
        "_wall, _cpu = time.perf_counter() - _wall, time.process_time() - _cpu\n"
        f"print(_wall, _cpu, *[m for m in {(POSTING_LIBRARY, *LOCAL_ONLY)!r} if m in sys.modules])\n"
    )


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)


def run_python(
    args: list[str], environment: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=FUNCTIONS_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def measure_once(code: str, environment: dict[str, str]) -> tuple[float, float, set[str]]:
    done = run_python(["-c", timed(code)], environment)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise MeasurementFailed(last)
    wall, cpu, *loaded = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu), set(loaded)


def parse_importtime(stderr: str) -> dict[str, int]:
    """`python -X importtime` lines -> {module: self microseconds}."""
    costs: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue  # the header line
        costs[parts[2]] = int(parts[0])
    return costs


def extra_costs(handler: dict[str, int], floor: Collection[str]) -> dict[str, int]:
    """What the handler imports beyond the floor: {module: self microseconds}."""
    return {module: cost for module, cost in handler.items() if module not in floor}


def by_package(costs: dict[str, float]) -> dict[str, tuple[float, int]]:
    """{top-level package: (self microseconds, modules)}."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for module, cost in costs.items():
        grouped[module.split(".")[0]].append(cost)
    return {package: (sum(values), len(values)) for package, values in grouped.items()}


def without_gc(code: str) -> str:
    """A collection lands on whichever module's allocation triggers it: off, costs stay with their module."""
    return f"import gc; gc.disable()\n{code}"


def floor_profile(environment: dict[str, str]) -> tuple[set[str], float]:
    """The floor's modules and its whole import time under -X importtime (GC off), median of a few runs."""
    runs = [
        parse_importtime(run_python(["-X", "importtime", "-c", without_gc(FLOOR)], environment).stderr)
        for _ in range(IMPORTTIME_RUNS)
    ]
    return set().union(*runs), median(sum(run.values()) for run in runs)


def importtime_costs(module: str, environment: dict[str, str], floor: set[str]) -> dict[str, float]:
    """Median self microseconds of each module the handler imports beyond the floor, over a few runs."""
    runs: dict[str, list[int]] = defaultdict(list)
    for _ in range(IMPORTTIME_RUNS):
        done = run_python(["-X", "importtime", "-c", without_gc(handler_code(module))], environment)
        for name, cost in extra_costs(parse_importtime(done.stderr), floor).items():
            runs[name].append(cost)
    return {name: median(costs) for name, costs in runs.items()}


def offender_rows(costs: dict[str, float], floor_total: float) -> list[list[str]]:
    def row(name: str, cost: float, detail: str) -> list[str]:
        return [name, f"{cost / 1000:.0f} ms", f"{cost / floor_total:.0%} of the floor", detail]

    packages = sorted(by_package(costs).items(), key=lambda item: item[1][0], reverse=True)
    rows = [row("(all of it)", sum(costs.values()), f"{len(costs)} modules")]
    rows += [row(name, cost, f"{count} modules") for name, (cost, count) in packages[:TOP_OFFENDERS]]
    own = sorted(
        ((cost, name) for name, cost in costs.items() if name.split(".")[0] == OWN_PACKAGE), reverse=True
    )
    rows += [row(f"  {name}", cost, "") for cost, name in own[:TOP_OFFENDERS]]
    return rows


def measure(section: Section) -> None:
    functions = declared_functions()
    present: list[LambdaFunction] = []
    for function in functions:
        if importlib.util.find_spec(function.module) is None:
            section.say(f"{function.logical_id}: {function.module} is declared but not written yet (skipped)")
        else:
            present.append(function)
    if not present:
        raise MeasurementFailed("template.yaml declares no handler module that exists")
    floor_environment = process_environment(present[0].environment)
    targets: list[tuple[str, str, dict[str, str]]] = [("floor", FLOOR, floor_environment)]
    targets += [(f.module, handler_code(f.module), process_environment(f.environment)) for f in present]
    samples = {name: Samples() for name, _, _ in targets}
    broken: dict[str, str] = {}
    progress(f"cold start: {ROUNDS} rounds of {len(targets)} fresh interpreters (plus one to warm up)")
    for round_number in range(ROUNDS + 1):  # round 0 writes the .pyc files and is not counted
        for name, code, environment in targets:
            if name in broken:
                continue
            try:
                wall, cpu, loaded = measure_once(code, environment)
            except MeasurementFailed as error:
                broken[name] = str(error)
                continue
            if round_number:
                samples[name].wall.append(wall)
                samples[name].cpu.append(cpu)
            samples[name].loaded |= loaded
    if "floor" in broken:
        raise MeasurementFailed(f"the floor does not import: {broken['floor']}")
    floor_wall = median(samples["floor"].wall)
    section.say(
        f"floor (boto3 + resolver with validation + Logger/Metrics/Tracer): {ROUNDS} rounds, median "
        f"{floor_wall * 1000:.0f} ms wall here (the ratios are what count; the budget is on the median)"
    )
    rows = [
        [
            "handler module",
            "ratio (median of rounds)",
            f"fastest of {ROUNDS}",
            "cpu ratio",
            f"<= {BUDGET}x (median)",
            f"{POSTING_LIBRARY} (only where it posts)",
        ]
    ]
    over: list[LambdaFunction] = []
    for function in present:
        if function.module in broken:
            section.fail(f"{function.module} does not import: {broken[function.module]}")
            continue
        measured = samples[function.module]
        # Each round's handler against that round's floor (run seconds apart): the machine's load of the
        # moment falls on both, so the median of these ratios is steadier than a ratio of medians.
        floor = samples["floor"]
        ratio = median(h / f for h, f in zip(measured.wall, floor.wall, strict=True))
        cpu_ratio = median(h / f for h, f in zip(measured.cpu, floor.cpu, strict=True))
        fastest_ratio = min(measured.wall) / min(samples["floor"].wall)
        posts = "publish" in function.module or "publish" in function.logical_id.lower()
        imports_note = "imported" if POSTING_LIBRARY in measured.loaded else "not imported"
        if POSTING_LIBRARY in measured.loaded and not posts:
            imports_note += " (not allowed here)"
            section.exceed(f"{function.module} imports {POSTING_LIBRARY}")
        for local_only in sorted(measured.loaded.intersection(LOCAL_ONLY)):
            imports_note += f"; imports {local_only}!"
            section.exceed(f"{function.module} imports {local_only}")
        rows.append(
            [
                function.module,
                f"{ratio:.2f}x",
                f"{fastest_ratio:.2f}x",
                f"{cpu_ratio:.2f}x",
                "ok" if ratio <= BUDGET else "OVER",
                imports_note,
            ]
        )
        if ratio > BUDGET:
            section.exceed(f"{function.module} {ratio:.2f}x the floor")
            over.append(function)
    for line in table(rows):
        section.say(line)
    if not over:
        return
    progress(f"cold start: python -X importtime for {', '.join(f.module for f in over)}")
    floor_modules, floor_total = floor_profile(floor_environment)
    for function in over:
        environment = process_environment(function.environment)
        offenders = offender_rows(importtime_costs(function.module, environment, floor_modules), floor_total)
        section.say(
            f"{function.module}: what it imports beyond the floor, costliest first "
            f"(-X importtime, GC off, median of {IMPORTTIME_RUNS}; then {OWN_PACKAGE}'s own modules):"
        )
        for line in table(offenders, indent="    "):
            section.say(line)
    section.say(
        "(postdesk.observability and postdesk.handlers.api also build Logger/Tracer/Metrics and the resolver,"
        " which the floor builds outside any import)"
    )
