"""The local stack builds SES's receiving event in the very shape of a real one (the sample SES sends,
tests/events/ses_email_receiving.json), and the inbound function reads both alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from postdesk.inbound_mail.ses_event import received_mails
from postdesk_tools.local_stack.inbound_mail import ses_receiving_event, verdicts_asked

SAMPLE = json.loads((Path(__file__).parent.parent / "events" / "ses_email_receiving.json").read_text())


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _message(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Agent Dupont <agent.dupont@example.org>"
    message["To"] = "propositions@example.org"
    message["Cc"] = "Chef <chef@example.org>"
    message["Subject"] = "[prévention] Vols"
    message["Date"] = "Tue, 01 Dec 2026 08:00:00 +0100"
    message["Message-ID"] = "<abc@example.org>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Texte")
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes(), headersonly=True)  # type: ignore[return-value]


def _event(message: EmailMessage) -> dict[str, Any]:
    return ses_receiving_event(
        message,
        message_id="o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
        envelope_sender="agent.dupont@example.org",
        recipients=["propositions@example.org"],
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:postdesk-InboundMailFunction",
        now=datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
    )


def test_the_local_event_has_the_shape_of_sess_own_with_dmarc_and_cc_besides() -> None:
    built = _shape(_event(_message()))
    expected = _shape(SAMPLE)
    expected["Records"][0]["ses"]["receipt"]["dmarcVerdict"] = {"status": "str"}
    expected["Records"][0]["ses"]["mail"]["commonHeaders"]["cc"] = ["str"]
    assert built == expected


def test_the_function_reads_the_local_event_as_it_reads_sess() -> None:
    (mail,) = received_mails(_event(_message()))
    (sample,) = received_mails(SAMPLE)

    assert mail.message_id == "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    assert mail.from_addresses == ("agent.dupont@example.org",)
    assert mail.header_recipients == ("propositions@example.org", "chef@example.org")
    assert mail.subject == "[prévention] Vols"
    assert mail.verdicts.dmarc == "PASS"
    assert (sample.from_addresses, sample.envelope_sender) == (
        ("janedoe@example.com",),
        "janedoe@example.com",
    )
    assert (sample.verdicts.spf, sample.verdicts.dmarc) == ("PASS", "")  # the sample has no DMARC verdict


def test_verdicts_are_pass_unless_the_test_header_says_otherwise() -> None:
    assert verdicts_asked(_message()) == dict.fromkeys(["spam", "virus", "spf", "dkim", "dmarc"], "PASS")
    asked = verdicts_asked(_message(X_Postdesk_Test_Verdicts="spam=FAIL, DMARC=fail,bogus=FAIL,dkim=maybe"))
    assert asked == {"spam": "FAIL", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "FAIL"}
