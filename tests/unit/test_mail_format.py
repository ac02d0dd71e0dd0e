"""Mails keep both parts and their exact subject, whatever its length and accents."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

from postdesk.domain.mail import Mail
from postdesk.mail.ses import SesMailer


class _FakeSes:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_raw_email(self, **request: Any) -> dict[str, str]:
        self.sent.append(request)
        return {"MessageId": "m1"}


def test_a_long_french_subject_and_both_parts_survive_the_trip() -> None:
    subject = "À décider : Affaire résolue — Affaire résolue : deux interpellations après les cambriolages…"
    ses = _FakeSes()
    SesMailer("postdesk@example.org", client=ses).send(  # type: ignore[arg-type]
        Mail(to=("a@example.org",), subject=subject, text="Texte € <b>", html="<p>Texte &euro; &lt;b&gt;</p>")
    )
    message = BytesParser(policy=policy.default).parsebytes(ses.sent[0]["RawMessage"]["Data"])
    assert message["Subject"] == subject
    assert message.get_body(("plain",)).get_content().strip() == "Texte € <b>"  # type: ignore[union-attr]
    assert "&lt;b&gt;" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert ses.sent[0]["Source"] == "postdesk@example.org"
