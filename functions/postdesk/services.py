"""The adapters a use case needs, built lazily once per process from the settings.

Nothing here runs at import time, so tests can point the environment at moto before first use."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from postdesk.config import Settings, get_settings
from postdesk.mail import Mailer, SesMailer
from postdesk.media import MediaStore
from postdesk.proposal_store import ProposalStore
from postdesk.signing_keys import load_signing_keys
from postdesk.urgent import publish_now_hook

if TYPE_CHECKING:
    from collections.abc import Callable

    from postdesk.domain.links import SigningKeys


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: ProposalStore
    mailer: Mailer
    media: MediaStore
    signing_keys: Callable[[], SigningKeys]
    clock: Callable[[], datetime] = field(default=_utc_now)
    # Publish one approved urgent post now (the publish function, invoked asynchronously); None: wait
    # for the morning run.
    publish_now: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)  # the morning run's spacing and backoff


@lru_cache(maxsize=1)
def get_services() -> Services:
    settings = get_settings()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return Services(
        settings=settings,
        store=ProposalStore(settings.table_name, region),
        mailer=SesMailer(settings.sender_address, configuration_set=settings.mail_configuration_set),
        media=MediaStore(settings.media_bucket),
        signing_keys=lambda: load_signing_keys(settings.signing_keys_secret),
        publish_now=publish_now_hook(settings),
    )


def reset_services() -> None:
    """Forget the cached settings and adapters (tests change the environment between cases)."""
    get_settings.cache_clear()
    get_services.cache_clear()
