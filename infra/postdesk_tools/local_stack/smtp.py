"""The local stack's SMTP port on 127.0.0.1 (default 2525), with aiosmtpd: any mail client can send a
proposal to the local stack as colleagues send one to SES.

Each message is handed on before the SMTP answer, so a sender that got `250` finds the proposal (or
the refusal) already there. As with SES, the answer is `250` once the raw message is kept, whatever the
function then makes of it; a message that cannot be kept gets a temporary failure (`451`), and the
sender's server tries again. No authentication, no TLS, no relaying: this port only listens locally."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("local_stack.smtp")

SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024

Deliver = Callable[..., dict[str, Any]]


class _HandOn:
    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        recipients: Sequence[str] = list(envelope.rcpt_tos)
        sender = envelope.mail_from or ""

        def deliver() -> dict[str, Any]:
            return self._deliver(data, envelope_sender=sender, recipients=recipients)

        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, deliver)
        except Exception:
            log.exception("the message from %s could not be kept", sender)
            return "451 4.3.0 The message could not be kept; try again later"
        return f"250 2.0.0 Ok: queued as {answer.get('messageId', '')}"


class _Controller(Controller):
    """aiosmtpd's controller, told the port the system chose when asked for port 0."""

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)  # an asyncio.Server's listening sockets
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class LocalSmtp:
    def __init__(self, deliver: Deliver, *, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.host = host
        self._controller = _Controller(
            _HandOn(deliver),
            hostname=host,
            port=port,
            data_size_limit=SES_MAX_MESSAGE_BYTES,
            server_hostname="postdesk-local",
            ident="postdesk local stack",
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> LocalSmtp:
        try:
            self._controller.start()
        except OSError as error:
            raise OSError(
                error.errno, f"the SMTP port cannot listen on {self.host}:{self.port}: {error.strerror}"
            ) from error
        return self

    def stop(self) -> None:
        self._controller.stop(no_assert=True)
