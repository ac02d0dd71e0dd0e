"""Mail-in authenticity without AWS: the From address as mail programs and DMARC read it, SES's
verdicts counted only for the domain they were about, organisational domains from the Public Suffix
List."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from postdesk.inbound_mail.authentication import aligned, judge, organisational_domain, ses_results
from postdesk.inbound_mail.ses_event import ReceivedMail, received_mail

SAMPLE = json.loads((Path(__file__).parent.parent / "events" / "ses_email_receiving.json").read_text())


def _event_record(
    *from_headers: str,
    envelope: str = "agent@example.org",
    verdicts: dict[str, str] | None = None,
    authentication_results: list[str] | None = None,
) -> dict[str, Any]:
    """SES's sample record with these From headers, Authentication-Results (topmost first, as SES
    puts its own above the message's) and verdicts."""
    record: dict[str, Any] = copy.deepcopy(SAMPLE["Records"][0])
    mail, receipt = record["ses"]["mail"], record["ses"]["receipt"]
    headers = [h for h in mail["headers"] if h["name"] not in ("From", "DKIM-Signature")]
    added = [{"name": "Authentication-Results", "value": value} for value in authentication_results or []]
    mail["headers"] = added + headers + [{"name": "From", "value": value} for value in from_headers]
    mail["commonHeaders"]["from"] = list(from_headers)
    mail["source"] = envelope
    for name in ("spam", "virus", "spf", "dkim", "dmarc"):
        receipt[f"{name}Verdict"] = {"status": (verdicts or {}).get(name, "PASS")}
    return record


def _ses_says(domain: str, dkim: str | None = None) -> str:
    return (
        f"amazonses.com; spf=pass (spfCheck: domain of {domain} designates 192.0.2.7 as permitted sender) "
        f"client-ip=192.0.2.7; envelope-from=someone@{domain}; helo=mail.{domain}; "
        f"dkim=pass header.i=@{dkim or domain}; dmarc=pass header.from={domain};"
    )


def _judged(record: dict[str, Any]) -> tuple[ReceivedMail, str | None]:
    mail = received_mail(record)
    refusal = judge(mail)
    return mail, (refusal.reason if refusal else None)


def test_the_unquoted_display_name_spoof_is_refused_as_a_malformed_from() -> None:
    # Given the exact header `From: director@example.org <evil@other.test>`, every verdict passing
    # for other.test
    record = _event_record(
        "director@example.org <evil@other.test>",
        envelope="evil@other.test",
        authentication_results=[_ses_says("other.test")],
    )
    # When postdesk reads SES's event and judges the mail
    mail, reason = _judged(record)
    # Then the From header is a problem, and the mail is refused as not authenticated
    assert "malformed From header" in mail.from_problem
    assert reason == "not_authenticated"


def test_the_quoted_display_name_is_only_a_name_the_address_is_the_attackers() -> None:
    # Given the same with the display name quoted
    record = _event_record(
        '"director@example.org" <evil@other.test>',
        envelope="evil@other.test",
        authentication_results=[_ses_says("other.test")],
    )
    mail, reason = _judged(record)
    # Then the sender read is evil@other.test (the allow-list refuses it next), never the director
    assert mail.from_addresses == ("evil@other.test",) and mail.from_problem == ""
    assert reason is None


@pytest.mark.parametrize(
    "from_headers",
    [
        ("director@example.org, evil@other.test",),
        ("Director <director@example.org>, Evil <evil@other.test>",),
        ("director@example.org", "evil@other.test"),
        ("undisclosed-recipients:;",),
        ("Director <director@example.org",),
        ("dire\x00ctor@example.org",),
    ],
)
def test_a_from_header_that_is_not_one_well_formed_address_is_refused(from_headers: tuple[str, ...]) -> None:
    _, reason = _judged(_event_record(*from_headers, envelope="director@example.org"))
    assert reason == "not_authenticated"


def test_a_period_in_a_display_name_is_an_ordinary_name() -> None:
    # Given `J. Dupont <j.dupont@example.org>`, obsolete syntax that every reader reads alike
    mail, reason = _judged(_event_record("J. Dupont <j.dupont@example.org>", envelope="j.dupont@example.org"))
    # Then it is J. Dupont's mail
    assert mail.from_addresses == ("j.dupont@example.org",) and reason is None


def test_a_dmarc_pass_counts_only_for_the_domain_ses_says_it_was_for() -> None:
    # Given DMARC passing, SPF and DKIM not aligned with example.org
    verdicts = {"dkim": "FAIL"}
    relay = "bounces@relay.example.net"
    for_other = _event_record(
        "director@example.org",
        envelope=relay,
        verdicts=verdicts,
        authentication_results=[_ses_says("other.test")],
    )
    for_ours = _event_record(
        "director@example.org",
        envelope=relay,
        verdicts=verdicts,
        authentication_results=[_ses_says("example.org")],
    )
    without = _event_record("director@example.org", envelope=relay, verdicts=verdicts)
    # Then it authenticates only when SES's header says it was for example.org itself
    assert _judged(for_ours)[1] is None
    assert _judged(for_other)[1] == "not_authenticated"
    assert _judged(without)[1] == "not_authenticated"  # a pass for an unnamed domain is no pass


def test_an_authentication_results_header_written_by_the_sender_is_not_ses_own() -> None:
    # Given SES's own header (for other.test) on top, and one the sender wrote claiming example.org
    record = _event_record(
        "director@example.org",
        envelope="evil@other.test",
        verdicts={"dkim": "FAIL"},
        authentication_results=[_ses_says("other.test"), _ses_says("example.org")],
    )
    # Then only the topmost counts, and it is not for example.org
    assert ses_results(received_mail(record)) is not None
    assert _judged(record)[1] == "not_authenticated"
    # And a header of another authserv-id on top is not SES's
    record = _event_record(
        "director@example.org",
        envelope="evil@other.test",
        verdicts={"dkim": "FAIL"},
        authentication_results=[_ses_says("example.org").replace("amazonses.com", "mx.evil.test")],
    )
    assert _judged(record)[1] == "not_authenticated"


def test_a_dkim_pass_counts_when_one_passing_signature_is_aligned() -> None:
    # Given a mail relayed by a list (SPF for the list), DMARC not evaluated, DKIM passing for
    # example.org by SES's header beside the list's own signature
    results = "amazonses.com; spf=pass; dkim=pass header.i=@lists.example.net; dkim=pass header.i=@example.org; dmarc=none header.from=example.org;"
    record = _event_record(
        "agent@example.org",
        envelope="bounces@lists.example.net",
        verdicts={"dmarc": "GRAY"},
        authentication_results=[results],
    )
    assert _judged(record)[1] is None
    # But a DKIM pass only for the public suffix `org` is aligned with nobody
    only_org = results.replace("@example.org", "@org")
    record = _event_record(
        "agent@example.org",
        envelope="bounces@lists.example.net",
        verdicts={"dmarc": "GRAY"},
        authentication_results=[only_org],
    )
    assert _judged(record)[1] == "not_authenticated"


@pytest.mark.parametrize(
    ("domain", "from_domain", "expected"),
    [
        ("org", "example.org", False),
        ("example.org", "org", False),
        ("co.uk", "police.co.uk", False),
        ("police.co.uk", "mail.police.co.uk", True),
        ("github.io", "someone.github.io", False),
        ("example.org.", "EXAMPLE.org", True),
    ],
)
def test_a_public_suffix_is_nobodys_organisation(domain: str, from_domain: str, expected: bool) -> None:
    # Given SPF or DKIM passing for `domain`, When it is compared with the From domain,
    # Then a public suffix (org, co.uk, github.io) is aligned with nobody
    assert aligned(domain, from_domain) is expected


def test_organisational_domains_come_from_the_public_suffix_list() -> None:
    assert organisational_domain("mail.example.org") == "example.org"
    assert organisational_domain("a.b.police.co.uk") == "police.co.uk"
    assert organisational_domain("org") is None
    assert organisational_domain("") is None


def test_the_public_suffix_list_is_loaded_only_by_the_inbound_function_when_it_judges_a_mail() -> None:
    # Given a fresh interpreter that imports every handler
    script = (
        "import sys\n"
        "import postdesk.handlers.api, postdesk.handlers.inbound, postdesk.handlers.publish\n"
        "import postdesk.handlers.digest, postdesk.handlers.mail_sweep\n"
        "print('publicsuffixlist' in sys.modules)\n"
        "from postdesk.inbound_mail.authentication import aligned\n"
        "aligned('mail.example.org', 'example.org')\n"
        "print('publicsuffixlist' in sys.modules)\n"
    )
    environment = {"POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "eu-west-1", "PATH": ""}
    answer = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment
    )
    # Then no handler imports it, and judging alignment does
    assert answer.stdout.split() == ["False", "True"], answer.stderr


def test_a_from_header_folded_over_two_lines_is_one_address() -> None:
    # Given a long From header folded as RFC 5322 allows, handed on with its fold
    mail, reason = _judged(_event_record("Agent Dupont du Commissariat\r\n <agent@example.org>"))
    # Then it is read as the one address it holds
    assert mail.from_addresses == ("agent@example.org",) and reason is None
