"""The Lambda package ships exactly the runtime dependencies of pyproject.toml, nothing for tests."""

from __future__ import annotations

from postdesk_tools.requirements_file import REQUIREMENTS, render


def test_the_lambda_requirements_match_pyproject_and_the_tested_versions() -> None:
    # Given the runtime dependencies of pyproject.toml and the versions installed for these tests
    expected = render()
    # When the checked-in requirements file is read
    actual = REQUIREMENTS.read_text()
    # Then it is what `make requirements` writes
    assert actual == expected, "functions/requirements.txt is stale: run `make requirements`"


def test_the_lambda_requirements_hold_no_test_or_local_stack_tools() -> None:
    names = REQUIREMENTS.read_text().lower()
    for tool in ("moto", "pytest", "aiosmtpd", "playwright", "responses", "hypothesis", "cfn-lint"):
        assert tool not in names
