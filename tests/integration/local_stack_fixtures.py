"""Fixtures for tests that run the local stack in this process: moto (a child process), the gateway on a
free port, and a state directory of the test's own.

A test module imports the fixtures it uses (`from ...local_stack_fixtures import local_stack_fixture`);
they are named `*_fixture` in Python and by their plain name in pytest, so that a test's parameter does
not shadow the import."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from postdesk_tools.local_stack.environment import handler_environment
from postdesk_tools.local_stack.stack import LocalStack

if TYPE_CHECKING:
    from pathlib import Path

SAMPLE_HANDLER = "tests.integration.sample_handler.lambda_handler"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One HTTP request, whatever its status (urllib would raise on 4xx and 5xx)."""
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
    try:
        path = target.path + (f"?{target.query}" if target.query else "")
        connection.request(method, path or "/", body=body, headers=headers or {})
        answer = connection.getresponse()
        return Reply(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


StartStack = Callable[..., LocalStack]


def _clear_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Variables the stack would take as overrides are cleared, so that a test gets the stack's defaults
    whatever the shell running the tests has set."""
    for name in [
        *handler_environment(aws_endpoint="", state_dir=tmp_path),
        "AWS_PROFILE",
    ]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(name="start_local_stack")
def start_local_stack_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartStack]:
    """Start a local stack of the test's own, stopped at its end: `start_local_stack(state_dir=...)`."""
    _clear_overrides(monkeypatch, tmp_path)
    started: list[LocalStack] = []

    def start(
        state_dir: Path | None = None, handler: str = SAMPLE_HANDLER, reset: bool = False
    ) -> LocalStack:
        stack = LocalStack(
            state_dir=state_dir or tmp_path / "state",
            port=0,
            aws_port=0,
            handler=handler,
            reset=reset,
            warm=False,
        )
        started.append(stack)
        return stack.start()

    yield start
    for stack in reversed(started):
        stack.stop()


@pytest.fixture(name="local_stack")
def local_stack_fixture(start_local_stack: StartStack) -> LocalStack:
    """A fresh local stack for one test: what it finds in the table and the outbox is its own."""
    return start_local_stack()


@pytest.fixture(name="shared_local_stack", scope="module")
def shared_local_stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local stack for the tests of a module that only look at requests and answers (starting one
    costs about a second)."""
    state_dir = tmp_path_factory.mktemp("shared-local-stack")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear_overrides(monkeypatch, state_dir)
        stack = LocalStack(state_dir=state_dir, port=0, aws_port=0, handler=SAMPLE_HANDLER, warm=False)
        with stack:
            yield stack
