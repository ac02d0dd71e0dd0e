"""The Lambda package as `make build` makes it (`sam build`, arm64, python3.12, then compiled to bytecode
by the same script): its unzipped size per function, its biggest parts, and the absence of what only
tests and the local stack need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.lambda_functions import FUNCTIONS_DIR, ROOT, TEMPLATE, declared_functions
from benchmarks.report import MeasurementFailed, Section, progress, table

# Test and local-stack tools: never in what Lambda runs (the `local` and `dev` extras hold them).
NEVER_SHIPPED = (
    "moto",
    "pytest",
    "_pytest",
    "aiosmtpd",
    "playwright",
    "responses",
    "hypothesis",
    "cfnlint",
    "cfn_lint",
    "mypy",
    "samcli",
)
BIGGEST = 8
BUILD_TIMEOUT = 300
MB = 1024 * 1024
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


def sam_executable() -> str | None:
    """The Makefile's SAM (.venv-sam), else `sam` on PATH."""
    local = ROOT / ".venv-sam" / "bin" / "sam"
    return str(local) if local.exists() else shutil.which("sam")


def _build_environment() -> dict[str, str]:
    # SAM's pip builder looks for `python3.12` on PATH: this interpreter's directory comes first.
    here = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{here}{os.pathsep}{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}


def sam_build(sam: str, build_dir: Path) -> dict[str, Path]:
    """{function logical id: its build directory}."""
    done = subprocess.run(
        [sam, "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=_build_environment(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise MeasurementFailed(f"sam build failed: {tail}")
    built = {f.logical_id: build_dir / f.logical_id for f in declared_functions()}
    missing = [name for name, path in built.items() if not path.is_dir()]
    if missing:
        raise MeasurementFailed(f"sam build made no directory for {', '.join(missing)}")
    return built


def pip_build(build_dir: Path) -> dict[str, Path]:
    """What sam build would make, without SAM: the runtime requirements for arm64 plus the package."""
    target = build_dir / "package"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",  # as sam build: no .pyc in the package
            "--target",
            str(target),
            "--platform",
            "manylinux2014_aarch64",
            "--only-binary=:all:",
            "--python-version",
            "3.12",
            "-r",
            str(FUNCTIONS_DIR / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise MeasurementFailed(f"pip install --target failed: {tail}")
    shutil.copytree(
        FUNCTIONS_DIR / "postdesk", target / "postdesk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return {"every function (pip fallback)": target}


def compile_like_make_build(build_dir: Path) -> None:
    """Every artifact under `build_dir` compiled by the script `make build` runs after `sam build`."""
    done = subprocess.run(
        [BASE_PYTHON, str(ROOT / "infra" / "postdesk_tools" / "bytecode.py"), str(build_dir)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise MeasurementFailed(f"bytecode: {done.stderr.strip()}")


def size_of(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    total = 0
    for folder, _, files in os.walk(path):
        total += sum((Path(folder) / name).lstat().st_size for name in files)
    return total


def distribution_name(entry: str) -> str:
    """`pytest_socket-0.7.0.dist-info` -> `pytest_socket`; `six.py` -> `six`; `moto` -> `moto`."""
    name = entry.split("-", 1)[0] if entry.endswith((".dist-info", ".data", ".egg-info")) else entry
    return name.removesuffix(".py").lower().replace("-", "_")


def never_shipped(package_dir: Path) -> list[str]:
    found = set()
    for entry in os.listdir(package_dir):
        name = distribution_name(entry)
        if name in NEVER_SHIPPED or name.startswith("pytest"):
            found.add(name)
    return sorted(found)


def biggest(package_dir: Path) -> list[tuple[str, int]]:
    parts = [
        (entry.name, size_of(entry))
        for entry in package_dir.iterdir()
        if not entry.name.endswith((".dist-info", ".data"))
    ]
    return sorted(parts, key=lambda part: part[1], reverse=True)[:BIGGEST]


def measure(section: Section) -> None:
    with tempfile.TemporaryDirectory(prefix="postdesk-bench-build-") as scratch:
        sam = sam_executable()
        built: dict[str, Path] | None = None
        if sam is not None:
            progress("package: sam build (arm64, python3.12)")
            try:
                built = sam_build(sam, Path(scratch) / "sam")
                section.say(
                    "built with: sam build --template-file template.yaml (arm64, python3.12, no container)"
                )
            except (MeasurementFailed, subprocess.TimeoutExpired) as error:
                section.say(f"sam build did not work here ({error}); falling back to pip --target")
        else:
            section.say("no SAM CLI (.venv-sam/bin/sam or sam on PATH); falling back to pip --target")
        if built is None:
            progress("package: pip install --target for manylinux2014_aarch64")
            built = pip_build(Path(scratch) / "pip")
            section.say(
                "built with: pip install --target --platform manylinux2014_aarch64 + functions/postdesk"
            )
        before = {name: size_of(path) for name, path in built.items()}
        progress("package: compiled as make build does")
        compile_like_make_build(next(iter(built.values())).parent)
        rows = [
            ["function", "unzipped as shipped, with .pyc (Lambda's limit: 250 MB)", "files", "before .pyc"]
        ]
        for name, path in built.items():
            files = sum(len(names) for _, _, names in os.walk(path))
            rows.append([name, f"{size_of(path) / MB:.1f} MB", f"{files:,}", f"{before[name] / MB:.1f} MB"])
            for unwanted in never_shipped(path):
                section.fail(f"{name}'s package holds {unwanted}, which only tests or the local stack need")
        for line in table(rows):
            section.say(line)
        first = next(iter(built.values()))
        section.say(
            "biggest parts: " + ", ".join(f"{name} {size / MB:.1f} MB" for name, size in biggest(first))
        )
        for name, path in built.items():
            for dev_only in ("postdesk_tools", "postdesk/local_stack", "postdesk/cli.py"):
                if (path / dev_only).exists():
                    section.fail(f"{name}'s package holds {dev_only}, which only runs on a person's machine")
        if not section.failures:
            section.say(f"absent, as they must be: {', '.join(NEVER_SHIPPED)}")
