"""The adapters a use case needs, bundled: the settings, the store, the mailer, the media and raw-mail
stores, the signing keys, the clock. Built at the top, by the handlers' wiring (`handlers.wiring`);
tests build them around moto and hand in their own clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from postdesk.config import Settings
    from postdesk.domain.links import SigningKeys
    from postdesk.domain.mail import Mail
    from postdesk.store.media import MediaStore
    from postdesk.store.proposals import ProposalStore
    from postdesk.store.raw_mail import RawMailStore


class Mailer(Protocol):
    """Sends one mail; SES's in AWS and in the local stack (moto), `mail.ses.SesMailer`."""

    def send(self, mail: Mail) -> str: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: ProposalStore
    mailer: Mailer
    media: MediaStore
    raw_mail: RawMailStore
    signing_keys: Callable[[], SigningKeys]
    clock: Callable[[], datetime] = field(default=_utc_now)
    # Publish one approved urgent post now (the publish function, invoked asynchronously); None: wait
    # for the morning run.
    publish_now: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)  # the morning run's spacing and backoff
