"""Where the handlers get their Services: built lazily once per process from the settings, so nothing
runs at import time and tests can point the environment at moto before first use.

Urgent posts: where a publish function is named (the API function in AWS), an approval that reaches the
quorum of an urgent call for witnesses invokes it; where none is (the local stack, the tests, the
command line), the same use case runs in this process."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from collections.abc import Callable

    from postdesk.config import Settings
    from postdesk.services import Services


def _publish_now(settings: Settings) -> Callable[[str], None]:
    function_name = settings.publish_function_name
    if function_name:
        from postdesk.store.publish_function import invoke_publish_function

        return lambda proposal_id: invoke_publish_function(function_name, proposal_id)

    def in_this_process(proposal_id: str) -> None:
        from postdesk.use_cases.morning_run import publish_urgent

        publish_urgent(get_services(), proposal_id)

    return in_this_process


@lru_cache(maxsize=1)
def get_services() -> Services:
    # The adapters are imported here, on the first request, not when the handler is: the API's cold
    # start then pays only for what its routes declare (pynamodb, SES's mail classes and the settings'
    # parsing come with the first request that needs the Services).
    from postdesk.aws import AWS_TIMEOUTS, share_service_models
    from postdesk.config import get_settings
    from postdesk.mail.ses import SesMailer
    from postdesk.services import Services
    from postdesk.store.media import MediaStore
    from postdesk.store.proposals import ProposalStore
    from postdesk.store.raw_mail import RawMailStore
    from postdesk.store.signing_keys import load_signing_keys

    share_service_models()  # before the first session, so that all of them share it
    settings = get_settings()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    s3 = boto3.client("s3", config=AWS_TIMEOUTS)  # one client for images and raw mail
    return Services(
        settings=settings,
        store=ProposalStore(settings.table_name, region),
        mailer=SesMailer(
            settings.sender_address,
            configuration_set=settings.mail_configuration_set,
            display_name=settings.organisation_name or "postdesk",
        ),
        media=MediaStore(settings.media_bucket, client=s3),
        raw_mail=RawMailStore(settings.media_bucket, settings.inbound_mail_prefix, client=s3),
        signing_keys=lambda: load_signing_keys(settings.signing_keys_secret),
        publish_now=_publish_now(settings),
    )


def reset_services() -> None:
    """Forget the cached settings and adapters (tests change the environment between cases)."""
    from postdesk.config import get_settings

    get_settings.cache_clear()
    get_services.cache_clear()
