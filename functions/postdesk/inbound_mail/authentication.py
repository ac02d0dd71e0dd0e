"""Whether a received mail may be read at all: not spam, no virus, not an automatic message, and
really from the address in its From header.

A verdict counts only for the domain it was about. DMARC's pass settles the From header when SES's
own Authentication-Results header (the topmost one, which SES adds above the message's own headers,
with its authserv-id `amazonses.com`) says it was for the very domain of the From address as read
here (`dmarc=pass header.from=example.org`). Without it (no DMARC record, or a gateway that broke DKIM
by adding a footer) one pass aligned with the From domain is enough: SPF's, which is about the envelope
sender's domain, or DKIM's, which is about a signing domain (each `dkim=pass header.i=@domain` of SES's
header; when SES gives none, every DKIM-Signature's `d=` must be aligned, so that a mail signed by an
attacker's own domain beside a forged one does not pass). Alignment is DMARC's relaxed one, the same
organisational domain, found with the Public Suffix List (`publicsuffixlist`, which ships the list and
fetches nothing), so that a pass for `org` or `co.uk` is aligned with nobody; and it is kept to a
domain and its subdomains (siblings are not aligned), which only errs on the strict side.

Refusals decided here get no reply: a reply to a spoofed or automatic mail would go to someone who did
not write, or start a loop."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from postdesk.domain.addresses import domain_of
from postdesk.inbound_mail.ses_event import ReceivedMail

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

PASS = "PASS"  # noqa: S105 - a verdict, not a password
FAIL = "FAIL"

_DKIM_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
SES_AUTHSERV_ID = "amazonses.com"
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*(dmarc|dkim)\s*=\s*([A-Za-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"\b(header\.from|header\.i|header\.d)\s*=\s*([^\s;]+)", re.IGNORECASE)
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


@dataclass(frozen=True)
class Refusal:
    """Why a mail is refused without a reply (`reason` is the recorded code)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class SesResults:
    """What SES's own Authentication-Results header says each check was about."""

    dmarc: tuple[tuple[str, str], ...] = ()  # (result, header.from domain)
    dkim: tuple[tuple[str, str], ...] = ()  # (result, signing domain), one per signature


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList  # the list is parsed once, by the inbound function only

    return PublicSuffixList()


def _bare(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def organisational_domain(domain: str) -> str | None:
    """The registered domain `domain` belongs to (`example.org` for `mail.example.org`); None for a
    public suffix itself (`org`, `co.uk`) or nothing."""
    bare = _bare(domain)
    if not bare or ".." in bare:
        return None
    organisation = _public_suffixes().privatesuffix(bare)
    return organisation if isinstance(organisation, str) else None


def aligned(domain: str, from_domain: str) -> bool:
    """DMARC's relaxed alignment (one organisational domain), kept to a domain and its subdomains:
    siblings (`a.example.org`, `b.example.org`) are not aligned here, which only errs on the strict
    side (their mail still passes on DMARC)."""
    domain, from_domain = _bare(domain), _bare(from_domain)
    organisation = organisational_domain(domain)
    related = (
        domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)
    )
    return related and organisation is not None and organisation == organisational_domain(from_domain)


def _domain_of_property(value: str) -> str:
    return _bare(value.strip('"').rpartition("@")[2])


def ses_results(mail: ReceivedMail) -> SesResults | None:
    """SES's own Authentication-Results: the topmost such header, if SES wrote it. One further down
    was in the message as it came, and anyone can write that."""
    found = mail.header("Authentication-Results")
    if not found:
        return None
    authserv_id, _, rest = _COMMENT.sub(" ", found[0]).partition(";")
    if authserv_id.strip().lower() != SES_AUTHSERV_ID:
        return None
    dmarc: list[tuple[str, str]] = []
    dkim: list[tuple[str, str]] = []
    for item in rest.split(";"):
        result = _RESULT.match(item)
        if result is None:
            continue
        method, outcome, properties = result.group(1).lower(), result.group(2).lower(), result.group(3)
        named = {name.lower(): value for name, value in _PROPERTY.findall(properties)}
        if method == "dmarc":
            dmarc.append((outcome, _domain_of_property(named.get("header.from", ""))))
        else:
            domain = named.get("header.d") or named.get("header.i") or ""
            dkim.append((outcome, _domain_of_property(domain)))
    return SesResults(tuple(dmarc), tuple(dkim))


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
    verdicts, results = mail.verdicts, ses_results(mail)
    from_domain = _bare(from_domain)
    if verdicts.dmarc == PASS and results is not None and results.dmarc == (("pass", from_domain),):
        return True
    if verdicts.spf == PASS and aligned(domain_of(mail.envelope_sender), from_domain):
        return True
    if verdicts.dkim != PASS:
        return False
    if results is not None and results.dkim:
        return any(outcome == "pass" and aligned(domain, from_domain) for outcome, domain in results.dkim)
    signers = dkim_domains(mail)
    return bool(signers) and all(aligned(d, from_domain) for d in signers)


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
    if mail.from_problem or len(mail.from_addresses) != 1:
        problem = mail.from_problem or f"{len(mail.from_addresses)} addresses in From, not one"
        return Refusal("not_authenticated", f"{problem}: the sender cannot be told")
    from_domain = domain_of(mail.from_addresses[0])
    if not authenticates_from(mail, from_domain):
        results = ses_results(mail)
        dmarc_for = ", ".join(domain for _, domain in results.dmarc) if results else ""
        return Refusal(
            "not_authenticated",
            f"From {from_domain} is not authenticated (DMARC {verdicts.dmarc or 'absent'} for "
            f"{dmarc_for or 'an unnamed domain'}, SPF "
            f"{verdicts.spf or 'absent'} for {domain_of(mail.envelope_sender) or 'no sender'}, DKIM "
            f"{verdicts.dkim or 'absent'} for {', '.join(dkim_domains(mail)) or 'no signature'})",
        )
    return None
