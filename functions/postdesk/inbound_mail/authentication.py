"""Whether a received mail may be read at all: not spam, no virus, not an automatic message, and
really from the address in its From header.

DMARC's pass settles the From header. Without it (no DMARC record, or a gateway that broke DKIM by
adding a footer) one pass aligned with the From domain is enough: SPF's, which is about the envelope
sender's domain, or DKIM's, which is about the signing domain (`d=`). SES does not say which signature
passed, so a DKIM pass counts only when every signature is the From domain's: a mail signed by an
attacker's own domain beside a forged one must not pass. Alignment is relaxed (a subdomain of the From
domain, or the reverse, is aligned), without the public-suffix list; that only errs on the strict side.

Refusals decided here get no reply: a reply to a spoofed or automatic mail would go to someone who did
not write, or start a loop."""

from __future__ import annotations

import re
from dataclasses import dataclass

from postdesk.domain.addresses import domain_of
from postdesk.inbound_mail.ses_event import ReceivedMail

PASS = "PASS"  # noqa: S105 - a verdict, not a password
FAIL = "FAIL"

_DKIM_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


@dataclass(frozen=True)
class Refusal:
    """Why a mail is refused without a reply (`reason` is the recorded code)."""

    reason: str
    detail: str


def aligned(domain: str, from_domain: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    return domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)


def dkim_domains(mail: ReceivedMail) -> list[str]:
    return [
        match.group(1).strip().lower()
        for value in mail.header("DKIM-Signature")
        if (match := _DKIM_DOMAIN.search(value.replace("\r", "").replace("\n", "")))
    ]


def is_automatic(mail: ReceivedMail) -> str:
    """Why the mail looks sent by a machine (an auto-reply, a bounce, a bulk mailing), or ""."""
    for value in mail.header("Auto-Submitted"):
        if value.strip().lower() not in ("", "no"):
            return f"Auto-Submitted: {value.strip()}"
    for value in mail.header("Precedence"):
        if value.strip().lower() in _AUTOMATIC_PRECEDENCE:
            return f"Precedence: {value.strip()}"
    if mail.header("X-Autoreply") or mail.header("X-Autorespond"):
        return "an auto-reply header"
    local_part = mail.envelope_sender.rpartition("@")[0].lower()
    if not mail.envelope_sender or local_part in _BOUNCE_SENDERS:
        return "a bounce (empty or daemon envelope sender)"
    return ""


def authenticates_from(mail: ReceivedMail, from_domain: str) -> bool:
    verdicts = mail.verdicts
    if verdicts.dmarc == PASS:
        return True
    if verdicts.spf == PASS and aligned(domain_of(mail.envelope_sender), from_domain):
        return True
    signers = dkim_domains(mail)
    return verdicts.dkim == PASS and bool(signers) and all(aligned(d, from_domain) for d in signers)


def judge(mail: ReceivedMail) -> Refusal | None:
    """The reason to refuse the mail silently, or None when it may be read."""
    verdicts = mail.verdicts
    if verdicts.virus == FAIL:
        return Refusal("virus", "SES's virus scan flagged the message")
    if verdicts.spam == FAIL:
        return Refusal("spam", "SES's spam scan flagged the message")
    automatic = is_automatic(mail)
    if automatic:
        return Refusal("automatic", f"an automatic message ({automatic})")
    if len(mail.from_addresses) != 1:
        return Refusal("not_authenticated", f"{len(mail.from_addresses)} addresses in From, not one")
    from_domain = domain_of(mail.from_addresses[0])
    if not authenticates_from(mail, from_domain):
        return Refusal(
            "not_authenticated",
            f"From {from_domain} is not authenticated (DMARC {verdicts.dmarc or 'absent'}, SPF "
            f"{verdicts.spf or 'absent'} for {domain_of(mail.envelope_sender) or 'no sender'}, DKIM "
            f"{verdicts.dkim or 'absent'} for {', '.join(dkim_domains(mail)) or 'no signature'})",
        )
    return None
