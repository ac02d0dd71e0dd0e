"""What the dev console reads from inside moto's process: a page of the outbox and a page of the
proposals, served by the moto child at `/_postdesk/...` (see moto_process).

Every handler process sends its mail through moto, so moto's process is the one place that sees all of
it. moto keeps each sent message in its SES backend's `sent_messages`, in the order sent; the outbox
index here follows that list as it grows (the positions of raw messages, and per recipient), so a page
costs the parsing of its own mails, never of moto's whole state (`/moto-api/data.json` serialises
everything, 14 MB at 500 mails). The index is derived from moto's own list, so a snapshot and a replay
can never leave the two out of step. The proposals are read from the table's items in memory: a
development aid that knows the table's layout (`sk` = PROPOSAL, votes under VOTE#), newest first.

The internals read here (SES `sent_messages` and `RawMessage`, DynamoDB `Table.items` and `Item`) are
moto 5.2.5's, checked by tests/integration/test_moto_dynamodb.py with the rest of the layer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from postdesk_tools.local_stack.moto_dynamodb import STATE_LOCK
from postdesk_tools.local_stack.outbox import parse_raw_message
from postdesk_tools.local_stack.proposal_listing import PROPOSAL_SK, VOTE_SK_PREFIX, describe, plain_item

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

PREFIX = "/_postdesk/"
OUTBOX_PATH = f"{PREFIX}outbox"
PROPOSALS_PATH = f"{PREFIX}proposals"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass
class _OutboxIndex:
    """The raw messages of one SES backend: their positions in `sent_messages`, all and per recipient."""

    scanned: int = 0
    raw: list[int] = field(default_factory=list)
    by_recipient: dict[str, list[int]] = field(default_factory=dict)

    def follow(self, sent: list[Any]) -> None:
        for position in range(self.scanned, len(sent)):
            message = sent[position]
            if not hasattr(message, "raw_data"):
                continue
            self.raw.append(position)
            for address in dict.fromkeys(str(a).lower() for a in message.destinations or []):
                self.by_recipient.setdefault(address, []).append(position)
        self.scanned = len(sent)


@dataclass(frozen=True)
class Page:
    total: int
    entries: list[dict[str, Any]]

    def as_json(self, name: str) -> dict[str, Any]:
        return {"total": self.total, name: self.entries}


def _bounded(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), min(max(1, limit), MAX_LIMIT)


class MotoConsole:
    """The console's reads, answered from moto's memory; each holds STATE_LOCK only to pick its items."""

    def __init__(self) -> None:
        # Keyed by the backend object itself: a `/moto-api/reset` or a restore makes new backends.
        self._outboxes: dict[int, tuple[Any, _OutboxIndex]] = {}

    def _ses_backends(self) -> Iterable[Any]:
        from moto.ses.models import ses_backends

        for regions in list(ses_backends.values()):
            yield from list(regions.values())

    def _index_of(self, backend: Any) -> _OutboxIndex:
        known = self._outboxes.get(id(backend))
        if known is None or known[0] is not backend:
            known = (backend, _OutboxIndex())
            self._outboxes[id(backend)] = known
        index = known[1]
        index.follow(backend.sent_messages)
        return index

    def outbox(self, *, offset: int = 0, limit: int = DEFAULT_LIMIT, to: str | None = None) -> Page:
        """The mails sent, newest first, `limit` of them from `offset`, only those to `to` if given."""
        offset, limit = _bounded(offset, limit)
        with STATE_LOCK:
            chosen: list[Any] = []
            for backend in self._ses_backends():
                index = self._index_of(backend)
                positions = index.raw if to is None else index.by_recipient.get(to.lower(), [])
                chosen.extend(backend.sent_messages[position] for position in positions)
            total = len(chosen)
            page = list(reversed(chosen))[offset : offset + limit]
            picked = [(str(m.raw_data), [str(a) for a in m.destinations or []], str(m.id)) for m in page]
        mails = [parse_raw_message(raw, destinations, message_id) for raw, destinations, message_id in picked]
        return Page(total, [mail.as_json() for mail in mails])

    def proposals(self, table_name: str, *, offset: int = 0, limit: int = DEFAULT_LIMIT) -> Page:
        """The table's proposals, newest first (by `created_at`), with their votes."""
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType

        offset, limit = _bounded(offset, limit)
        proposal_key = DynamoType({"S": PROPOSAL_SK})
        with STATE_LOCK:
            table = next(
                (
                    backend.tables[table_name]
                    for regions in list(dynamodb_backends.values())
                    for backend in list(regions.values())
                    if table_name in backend.tables
                ),
                None,
            )
            if table is None:
                return Page(0, [])
            found: list[tuple[str, str, Any]] = []
            for hash_value, partition in table.items.items():
                item = partition.get(proposal_key) if isinstance(partition, dict) else None
                if item is not None:
                    created = item.attrs.get("created_at")
                    found.append((str(created.value) if created else "", str(hash_value.value), hash_value))
            found.sort(reverse=True)
            entries = []
            for _, _, hash_value in found[offset : offset + limit]:
                partition = table.items[hash_value]
                votes = [
                    plain_item(item.to_json()["Attributes"])
                    for range_value, item in partition.items()
                    if str(range_value.value).startswith(VOTE_SK_PREFIX)
                ]
                entries.append(describe(plain_item(partition[proposal_key].to_json()["Attributes"]), votes))
        return Page(len(found), entries)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """The WSGI application for `/_postdesk/...`."""
        query = {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        path = environ.get("PATH_INFO", "")
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return _answer(start_response, 400, {"message": "offset and limit are whole numbers"})
        if path == OUTBOX_PATH:
            answer = self.outbox(offset=offset, limit=limit, to=query.get("to") or None).as_json("mails")
        elif path == PROPOSALS_PATH:
            table = query.get("table", "")
            if not table:
                return _answer(start_response, 400, {"message": "table: the table's name is required"})
            answer = self.proposals(table, offset=offset, limit=limit).as_json("proposals")
        else:
            return _answer(start_response, 404, {"message": f"nothing at {path}"})
        return _answer(start_response, 200, answer)


def _answer(start_response: Callable[..., Any], status: int, value: dict[str, Any]) -> list[bytes]:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
