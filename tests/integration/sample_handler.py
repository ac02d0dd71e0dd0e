"""A stand-in for the API function in the local stack's own tests: it answers with the event and context
it was given, so that a test reads what the gateway made of a request; and, for the tests of the
execution environments, says which process it runs in, sleeps, or waits for another request."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
MEETING_SECONDS = 20

_calls: list[float] = []  # one entry per event this process handled


def _json(value: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(value)}


def _environment_paths(event: dict[str, Any]) -> dict[str, Any] | None:
    query = event.get("queryStringParameters") or {}
    if event["path"] == "/whoami":
        _calls.append(time.time())
        return _json({"pid": os.getpid(), "calls": len(_calls)})
    if event["path"] == "/sleep":
        if query.get("started"):
            Path(query["started"]).write_text("started", encoding="utf-8")
        time.sleep(float(query.get("seconds", "0")))
        if query.get("mark"):
            Path(query["mark"]).write_text("ran", encoding="utf-8")
        return _json({"pid": os.getpid()})
    if event["path"] == "/meet":
        # Each request leaves its name, then waits for the other's: both answer "met" only if they run
        # at the same time.
        folder = Path(query["folder"])
        (folder / query["me"]).touch()
        deadline = time.monotonic() + MEETING_SECONDS
        while not (folder / query["other"]).exists():
            if time.monotonic() > deadline:
                return _json({"pid": os.getpid(), "met": False})
            time.sleep(0.02)
        return _json({"pid": os.getpid(), "met": True})
    return None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = _environment_paths(event)
    if answer is not None:
        return answer
    if event["path"] == "/boom":
        raise RuntimeError("the handler fails")
    if event["path"] == "/image.png":
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(PNG_BYTES).decode("ascii"),
            "isBase64Encoded": True,
        }
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(seen),
        "isBase64Encoded": False,
    }
