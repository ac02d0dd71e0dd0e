"""Which received mail may be read at all: not spam, no virus, not automatic, and really from its From
domain (DMARC, or one pass aligned with the From domain)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postdesk.inbound_mail.authentication import aligned, judge
from postdesk.inbound_mail.ses_event import NotAnSesEvent, ReceivedMail, Verdicts, received_mails

PASSING = Verdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="PASS")


def _mail(
    verdicts: Verdicts = PASSING,
    *,
    envelope: str = "agent@example.org",
    sender: str = "agent@example.org",
    headers: tuple[tuple[str, str], ...] = (),
) -> ReceivedMail:
    return ReceivedMail(
        message_id="m1",
        envelope_sender=envelope,
        from_addresses=(sender,),
        subject="s",
        header_recipients=("propositions@example.org",),
        recipients=("propositions@example.org",),
        headers=headers,
        verdicts=verdicts,
    )


def _reason(mail: ReceivedMail) -> str | None:
    refusal = judge(mail)
    return refusal.reason if refusal else None


def test_a_mail_passing_every_verdict_may_be_read() -> None:
    assert judge(_mail()) is None


@pytest.mark.parametrize(("name", "reason"), [("spam", "spam"), ("virus", "virus")])
def test_spam_and_viruses_are_refused(name: str, reason: str) -> None:
    assert _reason(_mail(replace(PASSING, **{name: "FAIL"}))) == reason


@pytest.mark.parametrize("status", ["GRAY", "PROCESSING_FAILED", "DISABLED"])
def test_a_spam_scan_that_could_not_decide_does_not_refuse(status: str) -> None:
    assert judge(_mail(replace(PASSING, spam=status))) is None


def test_dmarc_failing_with_no_aligned_pass_is_refused() -> None:
    verdicts = Verdicts(spam="PASS", virus="PASS", spf="FAIL", dkim="FAIL", dmarc="FAIL")
    refusal = judge(_mail(verdicts))
    assert refusal is not None and refusal.reason == "not_authenticated"
    assert "example.org" in refusal.detail


def test_an_spf_pass_counts_only_for_the_from_domain_or_its_subdomains() -> None:
    verdicts = Verdicts(spam="PASS", virus="PASS", spf="PASS", dkim="FAIL", dmarc="FAIL")
    assert judge(_mail(verdicts, envelope="bounce@mail.example.org")) is None
    assert _reason(_mail(verdicts, envelope="bounce@lists.example.net")) == "not_authenticated"


def test_a_dkim_pass_counts_when_every_signature_is_the_from_domains() -> None:
    verdicts = Verdicts(spam="PASS", virus="PASS", spf="FAIL", dkim="PASS", dmarc="GRAY")
    own = ("DKIM-Signature", "v=1; a=rsa-sha256; d=example.org; s=k; b=x")
    relay = ("DKIM-Signature", "v=1; a=rsa-sha256; d=relay.example.net; s=k; b=x")
    assert judge(_mail(verdicts, headers=(own,))) is None
    # SES does not say which signature passed: one of an attacker's own domain beside a forged one
    assert _reason(_mail(verdicts, headers=(own, relay))) == "not_authenticated"
    assert _reason(_mail(verdicts)) == "not_authenticated"  # a pass without any signature seen


@pytest.mark.parametrize(
    ("headers", "envelope"),
    [
        ((("Auto-Submitted", "auto-replied"),), "a@example.org"),
        ((("Precedence", "bulk"),), "a@example.org"),
        ((("X-Autoreply", "yes"),), "a@example.org"),
        ((), ""),
        ((), "MAILER-DAEMON@example.org"),
    ],
)
def test_automatic_mail_is_refused_silently(headers: tuple[tuple[str, str], ...], envelope: str) -> None:
    assert _reason(_mail(headers=headers, envelope=envelope)) == "automatic"


def test_auto_submitted_no_is_a_person() -> None:
    assert judge(_mail(headers=(("Auto-Submitted", "no"),))) is None


def test_a_from_with_several_addresses_or_none_is_not_authenticated() -> None:
    assert _reason(replace(_mail(), from_addresses=("a@example.org", "b@example.org"))) == "not_authenticated"
    assert _reason(replace(_mail(), from_addresses=())) == "not_authenticated"


@pytest.mark.parametrize(
    ("domain", "from_domain", "expected"),
    [
        ("example.org", "example.org", True),
        ("Mail.Example.org", "example.org", True),
        ("example.org", "paris.example.org", True),
        ("a.example.org", "b.example.org", False),  # siblings: strict on purpose
        ("example.org.evil.net", "example.org", False),
        ("notexample.org", "example.org", False),
        ("", "example.org", False),
    ],
)
def test_alignment_is_relaxed_to_subdomains_only(domain: str, from_domain: str, expected: bool) -> None:
    assert aligned(domain, from_domain) is expected


def test_an_event_not_from_ses_is_an_error() -> None:
    with pytest.raises(NotAnSesEvent):
        received_mails({"Records": [{"eventSource": "aws:s3"}]})
    with pytest.raises(NotAnSesEvent):
        received_mails({})
