"""Compile every module of each built function to the runtime's bytecode, after `sam build`.

Lambda unzips the package on a read-only file system, so an artifact without `.pyc` compiles every
module it imports (botocore's included) at every cold start. SAM's Python builder strips `.pyc` from
what it copies, so this runs after it, over each function's artifact directory:
- with the runtime's own Python minor version (bytecode depends on it, not on the processor);
- `unchecked-hash`: a zip does not keep timestamps exactly, and a hash pyc is never re-validated;
- `-s <artifact> -p /var/task`: the paths in the bytecode are those Lambda sees.

Run it as `python3.12 -m postdesk_tools.bytecode .aws-sam/build` (`make build` does), or as a plain
script: it needs the standard library only, so it runs from a fresh clone before any virtual
environment exists."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

RUNTIME = (3, 12)
TASK_ROOT = "/var/task"


class BytecodeError(RuntimeError):
    """The artifacts could not be compiled; the message says which and why."""


def artifact_dirs(build_dir: Path) -> list[Path]:
    """Every function artifact of a `sam build` directory: the folders holding a Python package."""
    return sorted(
        path
        for path in build_dir.iterdir()
        if path.is_dir()
        and any(child.suffix == ".py" or (child / "__init__.py").exists() for child in path.iterdir())
    )


def compile_artifact(artifact: Path, python: str = sys.executable) -> None:
    """`compileall` over one artifact, paths rewritten to /var/task; a module that does not compile fails."""
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(artifact),
            "-p",
            TASK_ROOT,
            str(artifact),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise BytecodeError(f"{artifact.name}: compileall failed: {' | '.join(detail)}")


def compile_build(build_dir: Path) -> list[Path]:
    if sys.version_info[:2] != RUNTIME:
        wanted = ".".join(map(str, RUNTIME))
        raise BytecodeError(
            f"bytecode must be compiled by Python {wanted} (the Lambda runtime), not {sys.version.split()[0]}"
        )
    if not build_dir.is_dir():
        raise BytecodeError(f"{build_dir} is not a build directory: run sam build first")
    artifacts = artifact_dirs(build_dir)
    if not artifacts:
        raise BytecodeError(f"{build_dir} holds no function artifact")
    for artifact in artifacts:
        compile_artifact(artifact)
    return artifacts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, help="sam build's output directory (.aws-sam/build)")
    arguments = parser.parse_args(argv)
    try:
        artifacts = compile_build(arguments.build_dir)
    except BytecodeError as error:
        print(f"bytecode: {error}", file=sys.stderr)
        return 1
    print(f"bytecode: compiled {len(artifacts)} artifacts for Python {RUNTIME[0]}.{RUNTIME[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
