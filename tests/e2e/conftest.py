"""End-to-end: `postdesk local` started as a person would start it, driven by Debian's Chromium through
Playwright. Where Chromium is missing the tests skip with what to install; in CI they always run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class RunningStack:
    url: str
    process: subprocess.Popen[str]
    smtp_port: int | None = None

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: bytes = b"", content_type: str = "application/json") -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")

    def outbox(self) -> list[dict[str, Any]]:
        return list(self.get_json("/_local/outbox.json"))

    def proposals(self) -> list[dict[str, Any]]:
        return list(self.get_json("/_local/proposals.json"))


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`postdesk local` on free ports with a state directory of its own, as `make run` starts it."""
    state = tmp_path_factory.mktemp("state")
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "postdesk"),
        "local",
        "--port",
        str(port),
        "--aws-port",
        str(_free_port()),
        "--state-dir",
        str(state),
    ]
    help_text = subprocess.run([*command[:2], "--help"], capture_output=True, text=True, check=False).stdout
    smtp_port = _free_port() if "--smtp-port" in help_text else None
    if smtp_port is not None:
        command += ["--smtp-port", str(smtp_port)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_local/", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"postdesk local stopped: {output}") from None
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("postdesk local did not answer within 60 s")
    try:
        yield RunningStack(url, process, smtp_port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: CI must install Debian's chromium package")
        pytest.skip("install Debian's chromium (apt-get install chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        context.close()
