"""Where posts go, behind one small interface: X in a deployed stack, a timeline file in the local stack.

A channel posts a text with its images, and finds a recent post of a text (how a run that could not
tell whether its post went out finds out, rather than posting again). What goes wrong is said with the
errors below, each naming what the run must do about it; X's own library is imported only by the X
channel, and only when a run opens it, so no other function pays for it at cold start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from postdesk.errors import PostdeskError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from postdesk.config import Settings


@dataclass(frozen=True)
class ImageToPost:
    data: bytes
    content_type: str
    alt: str


@dataclass(frozen=True)
class Posted:
    id: str
    url: str
    text: str = ""


class Channel(Protocol):
    name: str

    def post(self, text: str, images: Sequence[ImageToPost]) -> Posted: ...

    def find_recent(self, text: str, since: datetime) -> Posted | None:
        """The account's post of `text` created since `since`, if there is one."""
        ...


class ChannelError(PostdeskError):
    """The channel did not take the post; the message is the channel's own words, for a person."""

    status_code = 502
    code = "channel_error"


class RateLimited(ChannelError):
    """429: stop the run; what is left waits, approved, for the next one."""

    code = "rate_limited"

    def __init__(self, message: str, reset_at: datetime | None, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.reset_at = reset_at
        self.headers = headers


class Unavailable(ChannelError):
    """5xx, timeouts, connection failures: worth trying again a few times.

    `maybe_posted` says the post itself may have gone out (X answered 5xx or nothing after taking the
    request): before trying again, look."""

    code = "unavailable"

    def __init__(self, message: str, *, maybe_posted: bool) -> None:
        super().__init__(message)
        self.maybe_posted = maybe_posted


class Unreachable(Unavailable):
    """X could not be reached at all (DNS, a refused connection, a proxy or a TLS handshake that failed,
    a connection not accepted in time): nothing of the post was sent, so it certainly did not go out."""

    code = "unreachable"

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_posted=False)


class DuplicateContent(ChannelError):
    """X refuses the text as a duplicate: it may be our own post, gone out unseen. A person decides."""

    code = "duplicate_content"


class CredentialsRefused(ChannelError):
    """401, or a 403 for permissions: nothing can be published until someone fixes the credentials."""

    code = "credentials_refused"


class CredentialsMissing(CredentialsRefused):
    """No credentials configured (or an empty secret): nothing is published, the approvers are told."""

    code = "credentials_missing"


class ChannelDisabled(ChannelError):
    """CHANNEL=none: publishing is switched off on purpose."""

    code = "channel_disabled"


class Refused(ChannelError):
    """A refusal for good of this post (such as 400, text too long): it fails, with X's message."""

    code = "refused"


def open_channel(
    settings: Settings, *, clock: Callable[[], datetime], sleep: Callable[[float], None]
) -> Channel:
    """The configured channel. Raises CredentialsMissing for X without credentials, ChannelDisabled
    for CHANNEL=none: a deployed stack never "publishes" to a timeline nobody reads."""
    if settings.channel == "local":
        from postdesk.channels.local import LocalTimeline

        if not settings.local_timeline_path:
            raise ChannelDisabled("CHANNEL=local needs LOCAL_TIMELINE_PATH")
        return LocalTimeline(Path(settings.local_timeline_path), settings.public_base_url, clock=clock)
    if settings.channel == "none":
        raise ChannelDisabled("publishing is switched off (CHANNEL=none)")
    from postdesk.channels.x import XChannel

    return XChannel.from_secret(settings.x_credentials_secret, sleep=sleep)
