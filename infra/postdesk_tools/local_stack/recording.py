"""The recording that makes the local stack's AWS state outlive moto's server.

moto keeps everything in memory; its recorder appends each request it serves to a file, one JSON object a
line (`method`, `url`, `headers`, `body`, `body_encoded`). Replaying that file into a fresh server
rebuilds the state (a snapshot, see moto_snapshot, spares replaying what it already holds). Replaying
costs moto a few milliseconds a request, so reads, which change nothing, are kept out of the file: not
recorded at all when the method or `X-Amz-Target` says so, and dropped when the whole file is compacted
before a full replay when only the body says so (the query protocol of SES)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

READ_ACTION_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "Head")
MOTO_RESET_PATH = "/moto-api/reset"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def _action_of(headers: Mapping[str, str], body: bytes | None) -> str:
    """The API action when the request names it: `X-Amz-Target` (JSON protocol) or `Action=` (query)."""
    target = _header(headers, "X-Amz-Target")
    if target:
        return target.rpartition(".")[2]
    if body and "x-www-form-urlencoded" in _header(headers, "Content-Type"):
        actions = parse_qs(body.decode("utf-8", errors="replace")).get("Action", [])
        return actions[0] if actions else ""
    return ""


def is_read_only(method: str, headers: Mapping[str, str], body: bytes | None = None) -> bool:
    """True when replaying the request could not change any state (a GET, a Describe..., a Scan...).

    Without the body only the method and `X-Amz-Target` decide, which is what the recorder knows
    before moto has read the request."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return True
    return _action_of(headers, body).startswith(READ_ACTION_PREFIXES)


def _parse(line: str) -> RecordedRequest | None:
    try:
        entry: dict[str, Any] = json.loads(line)
        raw = entry.get("body") or ""
        body = base64.b64decode(raw) if entry.get("body_encoded") else str(raw).encode("utf-8")
        return RecordedRequest(
            method=str(entry["method"]),
            url=str(entry["url"]),
            headers={str(key): str(value) for key, value in dict(entry.get("headers") or {}).items()},
            body=body,
        )
    except (ValueError, KeyError, TypeError):
        return None


def _serialise(request: RecordedRequest) -> str:
    return json.dumps(
        {
            "headers": request.headers,
            "method": request.method,
            "url": request.url,
            "body": base64.b64encode(request.body).decode("ascii"),
            "body_encoded": True,
        }
    )


@dataclass(frozen=True)
class Compaction:
    kept: int
    dropped_reads: int
    dropped_before_reset: int
    unreadable_lines: int


def read_recording(path: Path, offset: int = 0) -> Iterator[RecordedRequest]:
    """The recorded requests in order, from byte `offset`; a line cut short by a crash is skipped."""
    if not path.exists():
        return
    with path.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            if line.strip():
                request = _parse(line.decode("utf-8", errors="replace"))
                if request is not None:
                    yield request


def compact_recording(path: Path) -> Compaction:
    """Rewrite the recording without reads, nor what a recorded `/moto-api/reset` wiped out.

    The file is replaced atomically, and left untouched when there is nothing to drop."""
    if not path.exists():
        return Compaction(kept=0, dropped_reads=0, dropped_before_reset=0, unreadable_lines=0)
    with path.open(encoding="utf-8") as lines:
        raw_lines = [line for line in lines if line.strip()]
    kept: list[RecordedRequest] = []
    dropped_reads = dropped_before_reset = unreadable = 0
    for line in raw_lines:
        request = _parse(line)
        if request is None:
            unreadable += 1
        elif request.path == MOTO_RESET_PATH:
            dropped_before_reset += len(kept) + 1
            kept = []
        elif is_read_only(request.method, request.headers, request.body):
            dropped_reads += 1
        else:
            kept.append(request)
    if len(kept) != len(raw_lines):
        temporary = path.with_name(path.name + ".compacting")
        temporary.write_text("".join(_serialise(request) + "\n" for request in kept), encoding="utf-8")
        os.replace(temporary, path)
    return Compaction(
        kept=len(kept),
        dropped_reads=dropped_reads,
        dropped_before_reset=dropped_before_reset,
        unreadable_lines=unreadable,
    )
