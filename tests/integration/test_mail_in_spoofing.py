"""Mail-in authenticity: a proposal by email is the From address's only when that very address is
read as every mail program reads it, and SES's verdict was for its very domain."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Stack
from tests.integration.inbound_steps import corpus, new_message_id, raw_is_kept, receive, recorded

DIRECTOR_FROM = b"From: Agent Dupont <agent.dupont@example.org>"


def _from(header: bytes) -> bytes:
    """The sample proposal of Agent Dupont, sent with another From header."""
    raw = corpus("gmail_alternative_qp_utf8.eml")
    assert DIRECTOR_FROM in raw
    return raw.replace(DIRECTOR_FROM, header)


def _ses_says(domain: str) -> str:
    """SES's own Authentication-Results for a mail whose DMARC, SPF and DKIM pass for `domain`."""
    return (
        f"amazonses.com; spf=pass (spfCheck: domain of {domain} designates 192.0.2.7 as permitted sender) "
        f"client-ip=192.0.2.7; envelope-from=evil@{domain}; helo=mail.{domain}; dkim=pass header.i=@{domain}; "
        f"dmarc=pass header.from={domain};"
    )


def test_the_display_name_spoof_of_the_director_is_refused_silently(stack: Stack) -> None:
    # Given a mail whose From header is the exact unquoted spoof, sent from a domain the attacker made
    # pass DMARC: SES's verdicts are all PASS, for other.test
    message_id = new_message_id()
    raw = _from(b"From: director@example.org <evil@other.test>")
    # When SES hands it to postdesk
    outcome = receive(
        raw,
        message_id=message_id,
        envelope_sender="evil@other.test",
        authentication_results=_ses_says("other.test"),
    )
    # Then it is refused as not authenticated, without a reply, and no proposal is made
    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == (
        "refused",
        "not_authenticated",
        False,
    )
    assert "malformed From header" in recorded(message_id)["detail"]
    assert stack.mails() == []
    assert raw_is_kept(message_id)


def test_the_quoted_display_name_spoof_is_read_as_the_attackers_address_and_refused(stack: Stack) -> None:
    # Given the same spoof with the display name quoted, as RFC 5322 allows
    message_id = new_message_id()
    raw = _from(b'From: "director@example.org" <evil@other.test>')
    # When SES hands it to postdesk, DMARC passing for other.test
    outcome = receive(
        raw,
        message_id=message_id,
        envelope_sender="evil@other.test",
        authentication_results=_ses_says("other.test"),
    )
    # Then the sender is evil@other.test, outside the allow-list, and nothing is proposed for the director
    assert (outcome["outcome"], outcome["reason"]) == ("refused", "sender_not_allowed")
    assert recorded(message_id)["sender"] == "evil@other.test"
    assert stack.mails_to("director@example.org") == []


@pytest.mark.parametrize(
    "header",
    [
        b"From: director@example.org, evil@other.test",
        b"From: Director <director@example.org>, Evil <evil@other.test>",
        b"From: director@example.org\r\nFrom: evil@other.test",
    ],
)
def test_a_from_with_two_addresses_or_two_from_headers_is_refused(stack: Stack, header: bytes) -> None:
    message_id = new_message_id()
    outcome = receive(_from(header), message_id=message_id, envelope_sender="director@example.org")
    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == (
        "refused",
        "not_authenticated",
        False,
    )
    assert stack.mails() == []


def test_a_dmarc_pass_for_another_domain_does_not_authenticate_the_from_address(stack: Stack) -> None:
    # Given a mail From the director whose DMARC pass, by SES's own header, was for other.test, and no
    # SPF or DKIM pass aligned with example.org
    message_id = new_message_id()
    outcome = receive(
        _from(b"From: Director <director@example.org>"),
        message_id=message_id,
        envelope_sender="evil@other.test",
        verdicts={"dkim": "FAIL"},
        authentication_results=_ses_says("other.test"),
    )
    # Then it is refused, the detail naming the domain the pass was for
    assert (outcome["outcome"], outcome["reason"]) == ("refused", "not_authenticated")
    assert "DMARC PASS for other.test" in recorded(message_id)["detail"]
    assert stack.mails() == []


def test_a_genuine_mail_whose_dmarc_passes_for_its_own_domain_becomes_a_proposal(stack: Stack) -> None:
    # Given the agent's mail, relayed (envelope at the relay, so SPF is not aligned), DMARC passing for
    # example.org by SES's own header
    outcome = receive(
        corpus("gmail_alternative_qp_utf8.eml"),
        envelope_sender="bounces@relay.example.net",
        verdicts={"dkim": "FAIL"},
        authentication_results=_ses_says("example.org"),
    )
    # Then it is accepted as the agent's proposal
    assert outcome["outcome"] == "accepted"


def test_an_spf_pass_for_a_public_suffix_is_aligned_with_nobody(stack: Stack) -> None:
    # Given a mail From the director whose only pass is SPF for the envelope domain `org`
    message_id = new_message_id()
    outcome = receive(
        _from(b"From: Director <director@example.org>"),
        message_id=message_id,
        envelope_sender="postmaster-relay@org",
        verdicts={"dmarc": "FAIL", "dkim": "FAIL"},
    )
    # Then `org` does not count as example.org's organisation: refused
    assert (outcome["outcome"], outcome["reason"]) == ("refused", "not_authenticated")
