"""Cold start as Lambda runs it: the package as built, on a read-only file system, no bytecode written.

An arm64 artifact can't be imported here, so each shape is a twin for this machine's architecture: the
same pinned runtime requirements (functions/requirements.txt) installed with `pip --target` like SAM's
builder (no .pyc), the package copied beside them, then compiled by the very script `make build` runs
(infra/postdesk_tools/bytecode.py). Each sample is a fresh base interpreter (`-S`: nothing but the
twin and the standard library on its path), PYTHONDONTWRITEBYTECODE=1. The floor is built and
measured the same way, in the same rounds.

Shapes compared (the package-shape decision of issue 13):
- shipped: dependencies and package in one artifact, compiled (what `make build` ships);
- no bytecode: the same without .pyc (a bare `sam build`/`sam deploy`, what shipped before);
- runtime boto3: the artifact without boto3/botocore (the runtime's own would be used; its bytecode
  state cannot be measured here: the Lambda image is not downloadable), sizes only;
- shared layer: the dependencies once in a layer (/opt/python), the package alone per function: the
  same files read the same way, so the same import time; sizes differ."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.cold_start import FLOOR, handler_code, timed
from benchmarks.lambda_functions import FUNCTIONS_DIR, ROOT, TEMPLATE, declared_functions, process_environment
from benchmarks.package_size import compile_like_make_build, size_of
from benchmarks.report import MeasurementFailed, Section, median, progress, table

BUDGET = 1.1
ROUNDS = 7
FIRST_REQUEST_ROUNDS = 5
MB = 1024 * 1024
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
API_EVENT = ROOT / "tests" / "events" / "api_gateway_rest_proxy.json"


def build_twin(target: Path) -> None:
    """The runtime requirements for this machine, as SAM's pip builder installs them (no .pyc)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--no-deps",
            "--target",
            str(target),
            "-r",
            str(FUNCTIONS_DIR / "requirements.txt"),
            *_transitive_pins(),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise MeasurementFailed(
            "pip install --target failed: " + " | ".join(done.stderr.strip().splitlines()[-3:])
        )
    shutil.copytree(
        FUNCTIONS_DIR / "postdesk", target / "postdesk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )


def _transitive_pins() -> list[str]:
    """Every distribution the runtime requirements pull in, at the version installed for the tests."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    seen: dict[str, str] = {}
    pending = [
        line.split("==")[0].split("[")[0]
        for line in (FUNCTIONS_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    while pending:
        name = pending.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        found = distribution(name)
        seen[key] = f"{found.metadata['Name']}=={found.version}"
        for requirement in found.requires or []:
            parsed = Requirement(requirement)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                pending.append(parsed.name)
    return sorted(seen.values())


def compile_twin(twin: Path) -> None:
    compile_like_make_build(twin.parent)


def read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode):
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def measure_import(code: str, twin: Path, environment: dict[str, str]) -> float:
    done = subprocess.run(
        [BASE_PYTHON, "-S", "-c", timed(code)],
        cwd=twin,
        env={**environment, "PYTHONPATH": str(twin), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise MeasurementFailed((done.stderr.strip().splitlines() or ["no output"])[-1])
    return float(done.stdout.strip().splitlines()[-1].split()[0])


FIRST_REQUEST = """\
import json, time
_start = time.perf_counter()
from postdesk.handlers.api import lambda_handler
event = json.load(open({event!r}))
event.update(httpMethod="GET", path="/proposals/new", resource="/{{proxy+}}",
             pathParameters={{"proxy": "proposals/new"}}, headers={{"Accept": "text/html"}},
             multiValueHeaders={{"Accept": ["text/html"]}}, body=None)
class Context:
    function_name = "ApiFunction"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ApiFunction"
    def get_remaining_time_in_millis(self): return 10000
answer = lambda_handler(event, Context())
assert answer["statusCode"] == 200, answer
print(time.perf_counter() - _start)
"""


def measure_first_request(twin: Path, environment: dict[str, str], endpoint: str) -> float:
    done = subprocess.run(
        [BASE_PYTHON, "-S", "-c", FIRST_REQUEST.format(event=str(API_EVENT))],
        cwd=twin,
        env={
            **environment,
            "PYTHONPATH": str(twin),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PUBLIC_BASE_URL": "",
            "PUBLIC_BASE_URL_PARAMETER": BASE_URL_PARAMETER,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise MeasurementFailed("first request: " + (done.stderr.strip().splitlines() or ["no output"])[-1])
    return float(done.stdout.strip().splitlines()[-1])


BASE_URL_PARAMETER = "/postdesk/public-base-url"


@contextlib.contextmanager
def local_stack_aws(environment: dict[str, str], state_dir: Path) -> Iterator[str]:
    """The local stack's AWS (moto's server as a child process, DynamoDB made atomic) on a free port of
    127.0.0.1, with the template's table, bucket and signing secret under the API's names, and the
    links' base URL where the deployed stack writes it; yields its endpoint."""
    from postdesk_tools.local_stack.aws import LocalAws
    from postdesk_tools.local_stack.template_resources import LocalNames, load_template

    aws = LocalAws(state_dir, port=0)
    endpoint = aws.start()
    try:
        names = LocalNames(
            table_name=environment["TABLE_NAME"],
            media_bucket=environment["MEDIA_BUCKET"],
            signing_keys_secret=environment["SIGNING_KEYS_SECRET"],
        )
        aws.provision(load_template(TEMPLATE), names, environment["SENDER_ADDRESS"])
        aws.publish_base_url(BASE_URL_PARAMETER, "https://postdesk.example.org/prod")
        yield endpoint
    finally:
        aws.stop()


def measure(section: Section) -> None:
    functions = declared_functions()
    with tempfile.TemporaryDirectory(prefix="postdesk-bench-shipped-") as scratch:
        progress("as shipped: pip install --target of the runtime requirements (this machine's architecture)")
        plain = Path(scratch) / "plain" / "Function"
        build_twin(plain)
        shipped = Path(scratch) / "shipped" / "Function"
        shutil.copytree(plain, shipped, symlinks=True)
        progress("as shipped: compiling with make build's script")
        started = time.perf_counter()
        compile_twin(shipped)
        section.say(f"twin built; compiled by make build's script in {time.perf_counter() - started:.0f} s")
        for folder in (plain, shipped):
            read_only(folder)
        environment = process_environment(functions[0].environment)
        targets = [("floor", FLOOR), *[(f.module, handler_code(f.module)) for f in functions]]
        samples: dict[tuple[str, str], list[float]] = {}
        progress(f"as shipped: {ROUNDS} rounds x {len(targets)} imports x 2 shapes, fresh interpreters")
        for round_number in range(ROUNDS + 1):
            for shape, twin in (("shipped", shipped), ("no bytecode", plain)):
                for name, code in targets:
                    seconds = measure_import(code, twin, environment)
                    if round_number:  # round 0 warms the file cache
                        samples.setdefault((shape, name), []).append(seconds)
        floor = {shape: samples[(shape, "floor")] for shape in ("shipped", "no bytecode")}
        rows = [
            [
                "import (median of rounds)",
                "shipped (.pyc)",
                "ratio to floor",
                f"<= {BUDGET}x",
                "no .pyc",
                "ratio",
            ]
        ]
        for name, _ in targets:
            cells = [name]
            for shape in ("shipped", "no bytecode"):
                value = median(samples[(shape, name)])
                ratio = median(h / f for h, f in zip(samples[(shape, name)], floor[shape], strict=True))
                cells += [f"{value * 1000:.0f} ms", f"{ratio:.2f}x"]
                if shape == "shipped":
                    cells.append("-" if name == "floor" else ("ok" if ratio <= BUDGET else "OVER"))
                    if name != "floor" and ratio > BUDGET:
                        section.exceed(f"{name} as shipped {ratio:.2f}x the floor")
            rows.append(cells)
        for line in table(rows):
            section.say(line)

        progress("as shipped: the API's first request (GET /proposals/new) against the local stack's AWS")
        api = next(f for f in functions if f.module == "postdesk.handlers.api")
        api_environment = process_environment(api.environment)
        first: dict[str, list[float]] = {}
        with local_stack_aws(api_environment, Path(scratch) / "aws") as endpoint:
            for round_number in range(FIRST_REQUEST_ROUNDS + 1):
                for shape, twin in (("shipped", shipped), ("no bytecode", plain)):
                    floor_seconds = measure_import(FLOOR, twin, environment)
                    seconds = measure_first_request(twin, api_environment, endpoint)
                    if round_number:  # round 0: moto's first answers and the file cache
                        first.setdefault(shape, []).append(seconds)
                        first.setdefault(f"{shape} floor", []).append(floor_seconds)
        imported = {
            shape: median(h / f for h, f in zip(samples[(shape, api.module)], floor[shape], strict=True))
            for shape in ("shipped", "no bytecode")
        }
        for shape in ("shipped", "no bytecode"):
            ratio = median(h / f for h, f in zip(first[shape], first[f"{shape} floor"], strict=True))
            section.say(
                f"API import + first request (GET /proposals/new: settings, signing keys, links' base URL "
                f"from the local stack's AWS), {shape}, median of {FIRST_REQUEST_ROUNDS}: {ratio:.2f}x the "
                f"floor (import alone {imported[shape]:.2f}x; {median(first[shape]) * 1000:.0f} ms here)"
            )

        dependencies = sum(size_of(p) for p in shipped.iterdir() if p.name != "postdesk")
        package = size_of(shipped / "postdesk")
        provided = sum(size_of(shipped / name) for name in RUNTIME_PROVIDED if (shipped / name).exists())
        count = len(functions)
        size_rows = [
            ["shape", "per function (unzipped)", f"all {count} functions"],
            [
                "shipped: one artifact, compiled",
                f"{size_of(shipped) / MB:.1f} MB",
                f"{count * size_of(shipped) / MB:.0f} MB",
            ],
            ["no bytecode", f"{size_of(plain) / MB:.1f} MB", f"{count * size_of(plain) / MB:.0f} MB"],
            [
                "runtime's boto3/botocore (not shipped)",
                f"{(size_of(shipped) - provided) / MB:.1f} MB",
                f"{count * (size_of(shipped) - provided) / MB:.0f} MB",
            ],
            [
                "one shared layer + the package per function",
                f"{package / MB:.1f} MB + layer {dependencies / MB:.1f} MB",
                f"{(count * package + dependencies) / MB:.0f} MB",
            ],
        ]
        for line in table(size_rows):
            section.say(line)
        section.say(f"(twin built from this machine's wheels, {os.uname().machine}; sizes as on disk)")
