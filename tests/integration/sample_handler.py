"""A stand-in for the API function in the local stack's own tests: it answers with the event and context
it was given, so that a test reads what the gateway made of a request."""

from __future__ import annotations

import base64
import json
from typing import Any

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
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
