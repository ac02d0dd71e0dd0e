"""functions/requirements.txt, the Lambda package's runtime dependencies, made from pyproject.toml.

Each runtime dependency of pyproject.toml is pinned to the version the tests ran with, so `sam build`
ships what was tested. `python -m postdesk_tools.requirements_file` prints it."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "functions" / "requirements.txt"
HEADER = (
    "# Generated from pyproject.toml by `make requirements`; checked by the tests. Runtime only.\n"
    "# The dev install (`make`) uses these pins as constraints, so the tests run what Lambda ships.\n"
)


def runtime_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def _name_and_extras(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?", requirement)
    assert match, requirement
    return match.group(1), match.group(2) or ""


def render() -> str:
    lines = []
    for requirement in runtime_dependencies():
        name, extras = _name_and_extras(requirement)
        lines.append(f"{name}{extras}=={version(name)}")
    return HEADER + "\n".join(sorted(lines, key=str.lower)) + "\n"


if __name__ == "__main__":
    print(render(), end="")
