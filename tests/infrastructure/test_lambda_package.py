"""What the CodeUri ships (everything under functions/) is what runs in Lambda, and nothing else: the
local stack, the operator's command line and every dev-only dependency live in infra/ and the extras."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"


def _dev_only_distributions() -> set[str]:
    """Every dependency named only by the `local` and `dev` extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(requirement) for requirement in project["dependencies"]}
    extras = {
        _name(requirement)
        for requirements in project["optional-dependencies"].values()
        for requirement in requirements
    }
    return extras - runtime - {"postdesk"}


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-")


# Import names of the dev-only distributions whose import name differs from the distribution's.
_IMPORT_NAMES = {"cfn-lint": "cfnlint", "pyyaml": "yaml", "types-pyyaml": "yaml", "boto3-stubs": "mypy_boto3"}


def _shipped_files() -> list[Path]:
    """The files `sam build` copies from the CodeUri: what git tracks under functions/."""
    listed = subprocess.run(
        ["git", "ls-files", "functions"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed]


def test_the_code_uri_holds_no_local_stack_no_command_line_and_no_dev_tools() -> None:
    # Given every file the CodeUri ships
    files = _shipped_files()
    assert files, "git lists nothing under functions/"

    # Then none is the local stack, the command line or another dev-only module
    names = {path.relative_to(FUNCTIONS).as_posix() for path in files}
    assert not [name for name in names if "local_stack" in name or name.endswith("/cli.py")]
    assert not [name for name in names if name.startswith("postdesk_tools")]

    # And no module of the package imports a dev-only dependency or the tools' package
    forbidden = {_IMPORT_NAMES.get(name, name.replace("-", "_")) for name in _dev_only_distributions()}
    forbidden |= {"postdesk_tools", "moto", "pytest", "yaml", "aiosmtpd", "playwright", "responses"}
    offenders = []
    for path in files:
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {module}"
                for module in modules
                if module.split(".")[0] in forbidden
            ]
    assert offenders == []


def test_the_lambda_requirements_name_no_dev_only_dependency() -> None:
    # Given the runtime requirements the package is built from
    pinned = {
        _name(line)
        for line in (FUNCTIONS / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # Then none of them is only a dev or local-stack dependency
    assert pinned & _dev_only_distributions() == set()


def test_the_operator_command_comes_from_the_tools_package() -> None:
    # Given the installed `postdesk` script's entry point
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # Then it lives in infra/, outside what ships to Lambda
    assert project["scripts"]["postdesk"].startswith("postdesk_tools.")
    done = subprocess.run(
        [sys.executable, "-m", "postdesk_tools.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "local" in done.stdout
