"""How the operator's command line finds a running local stack: a small JSON document, `stack.json` in
the state directory while the stack runs, and the same at `GET /_local/stack.json`.

It holds the stack's addresses and the environment its handlers read (moto's endpoint, the table's
name, ...; the credentials in it are moto's dummy ones), so `postdesk status` and the other verbs act on
that stack with nothing set by hand."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse

if TYPE_CHECKING:
    from pathlib import Path

DESCRIPTOR_FILE = "stack.json"
DESCRIPTOR = f"{PREFIX}stack.json"


def describe(*, url: str, aws_endpoint: str, environment: dict[str, str]) -> dict[str, Any]:
    return {"url": url, "aws_endpoint": aws_endpoint, "pid": os.getpid(), "environment": environment}


def write_descriptor(state_dir: Path, document: dict[str, Any]) -> None:
    """Written whole then renamed, so that a reader never sees half of it."""
    partial = state_dir / f".{DESCRIPTOR_FILE}.partial"
    partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
    partial.replace(state_dir / DESCRIPTOR_FILE)


def remove_descriptor(state_dir: Path) -> None:
    (state_dir / DESCRIPTOR_FILE).unlink(missing_ok=True)


def add_descriptor_page(console: Console, document: dict[str, Any]) -> None:
    def view(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json(document)

    console.add("GET", DESCRIPTOR, view, "This stack's addresses and environment (what `postdesk` reads)")
