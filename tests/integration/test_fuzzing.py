"""Fuzzing from the OpenAPI document: schemathesis, as a person would run it, against the local stack
(`make run`'s gateway on 127.0.0.1 in front of the real API function) finds no 5xx and no answer that
its document does not describe (status, media type, headers, JSON schema).

Its links are real: a few proposals are made, confirmed and mailed first, and the signed links of every
mail in the outbox are handed to schemathesis for `/l/{token}`, so that it also fuzzes what a link's
page and action do with their bodies and parameters, not only forged tokens.

Bounded for `make test`: 8 examples per operation (FUZZ_EXAMPLES), a fixed seed so that a run can be
reproduced (FUZZ_SEED), and the examples, fuzzing and stateful phases (FUZZ_PHASES), about 200
requests in 30 s. `make fuzz` runs it longer: every phase, coverage included (boundary values, every
parameter missing or malformed, the unexpected methods), more examples, a fresh seed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from postdesk_tools.local_stack.lambda_function import DEFAULT_HANDLER
from postdesk_tools.local_stack.stack import LocalStack
from tests.integration.local_stack_fixtures import call, clear_overrides

if TYPE_CHECKING:
    from pathlib import Path

# What "breaks its schema" means: every check that compares an answer with the document.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# TRACE is left out of the unexpected methods: API Gateway's ANY method never forwards it to the
# function (the stand-in gateway answers it 501 itself, which is the local stack's, not the API's).
UNEXPECTED_METHODS = ("delete", "put", "patch", "options")
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.fixture(name="api_stack")
def api_stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """The local stack with the real API function, as `postdesk local` runs it."""
    clear_overrides(monkeypatch, tmp_path)
    stack = LocalStack(state_dir=tmp_path / "state", port=0, aws_port=0, handler=DEFAULT_HANDLER, warm=False)
    with stack:
        yield stack


def _links_of_a_few_proposals(url: str) -> list[str]:
    """Every signed link mailed while a few proposals are made and confirmed: confirmation, follow-up,
    withdraw, each approver's approve, reject, request changes and edit, and the digest's."""
    for number, proposer in enumerate(
        ("agent.dupont@example.org", "agent.martin@example.org", "director@example.org")
    ):
        document = {
            "text": f"Conseil de prévention n°{number}",
            "kind": "prevention",
            "proposer_email": proposer,
        }
        created = call("POST", f"{url}/proposals", json.dumps(document).encode(), JSON)
        assert created.status == 201, created.text
    outbox = call("GET", f"{url}/_local/outbox.json").json()  # newest first
    for mail in outbox[:-1]:  # one proposal stays awaiting confirmation: its Confirm link is fuzzed as is
        confirm = next(link for link in mail["links"] if "/l/" in link)
        assert call("POST", confirm, b"", {"Content-Type": "application/x-www-form-urlencoded"}).status == 200
    assert call("POST", f"{url}/_local/digest").status == 200  # the approvers' desk and list links
    tokens = {
        link.split("/l/", 1)[1].split("?", 1)[0]
        for mail in call("GET", f"{url}/_local/outbox.json").json()
        for link in mail["links"]
        if "/l/" in link
    }
    return sorted(tokens)


def _config(path: Path, tokens: list[str]) -> Path:
    """A schemathesis configuration: the real links as a dictionary for `token` (most of the time; a
    made-up token the rest), both audit exports for `kind`, and the unexpected methods to try."""
    lines = [
        "[cache]",
        "enabled = false",  # what it learnt stays out of the working tree; each run starts afresh
        "",
        "[phases.coverage]",
        f"unexpected-methods = {json.dumps(list(UNEXPECTED_METHODS))}",
        "",
        "[parameters]",
        '"path.token" = { dictionary = "links", probability = 0.8 }',
        '"path.kind" = { dictionary = "exports", probability = 0.8 }',
        "",
        "[dictionaries.links]",
        f"values = {json.dumps(tokens)}",
        "[dictionaries.exports]",
        'values = ["csv", "json"]',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _schemathesis(url: str, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    examples = os.environ.get("FUZZ_EXAMPLES", "8")
    seed = os.environ.get("FUZZ_SEED", "20261201")
    phases = os.environ.get("FUZZ_PHASES", "examples,fuzzing,stateful")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        examples,
        "--phases",
        phases,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--output-sanitize",
        "false",
        *([] if seed == "random" else ["--seed", seed]),
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=config.parent
    )


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    api_stack: LocalStack, tmp_path: Path
) -> None:
    # Given the local stack, a few proposals in it and the links their mails carry
    tokens = _links_of_a_few_proposals(api_stack.url)
    assert len(tokens) >= 10
    config = _config(tmp_path / "schemathesis.toml", tokens)

    for accept in ("text/html", "application/json"):
        # When schemathesis drives every operation of /openapi.json, as a browser and as a script would
        run = _schemathesis(api_stack.url, config, "--header", f"Accept: {accept}")

        # Then every answer is in the document, and none is a 5xx
        summary = re.search(r"(\d+) generated, (\d+) (passed|found \d+ unique failures?)", run.stdout)
        print(f"Accept: {accept}", run.stdout[-2500:])  # the summary, with the number of requests
        assert run.returncode == 0, run.stdout[-20000:]
        assert summary is not None and summary.group(1) == summary.group(2), run.stdout[-5000:]
