"""Rotating the signing key: the new key signs, links in flight keep working until the old key retires."""

from __future__ import annotations

import boto3
from aws_lambda_powertools.utilities import parameters

from postdesk.store.signing_keys import retire, rotate
from tests.integration.conftest import REGION, Stack
from tests.integration.review_steps import DIRECTOR, open_page, pending_proposal, press, review_link

SECRET = "postdesk-test-signing-keys"


def test_links_in_flight_survive_a_rotation_and_stop_when_their_key_is_retired(stack: Stack) -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    first = pending_proposal(stack)
    old_link = review_link(stack, DIRECTOR, "Approuver")
    # When the operator rotates the key (the functions' cache expires)
    assert rotate(SECRET, client) == "k0002"
    parameters.clear_caches()
    # Then the link sent before the rotation still works
    assert open_page(stack, old_link).status == 200
    # And new links are signed with the new key
    second = pending_proposal(stack, text="Deuxième proposition")
    new_link = review_link(stack, DIRECTOR, "Approuver")
    assert new_link != old_link
    # When the old key is retired, the old link stops working; the new one works
    assert retire(SECRET, keep=1, client=client) == ["k0001"]
    parameters.clear_caches()
    assert open_page(stack, old_link).status == 403
    assert press(stack, new_link).status == 200
    assert stack.proposal(second).status.value == "APPROVED"
    assert stack.proposal(first).status.value == "PENDING"
