"""A mail the local stack has sent, as the outbox shows it, so that a person can click through the flow.

postdesk sends raw MIME (text and HTML alternatives), which moto keeps as it was sent (moto_console
reads it there, a page at a time). moto keeps no time of sending: `sent_at` is the message's own `Date`
header, if it has one."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from email import message_from_string, policy
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from email.message import EmailMessage

URL_PATTERN = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""


@dataclass(frozen=True)
class SentMail:
    to: list[str]
    sender: str
    subject: str
    text: str
    html: str
    links: list[str]
    sent_at: str | None
    id: str

    def as_json(self) -> dict[str, Any]:
        """The shape of /_local/outbox.json (`from` is a keyword in Python, hence `sender` here)."""
        answer = asdict(self)
        answer["from"] = answer.pop("sender")
        return answer

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SentMail:
        return cls(
            to=[str(address) for address in value.get("to", [])],
            sender=str(value.get("from", "")),
            subject=str(value.get("subject", "")),
            text=str(value.get("text", "")),
            html=str(value.get("html", "")),
            links=[str(link) for link in value.get("links", [])],
            sent_at=None if value.get("sent_at") is None else str(value["sent_at"]),
            id=str(value.get("id", "")),
        )


class _LinkCollector(HTMLParser):
    """Every http(s) URL of a page: attribute values (href, src, action...) and bare URLs in its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value and URL_PATTERN.fullmatch(value.strip()):
                self.urls.append(value.strip())

    def handle_data(self, data: str) -> None:
        self.urls.extend(urls_in_text(data))


def urls_in_text(text: str) -> list[str]:
    return [match.group(0).rstrip(TRAILING_PUNCTUATION) for match in URL_PATTERN.finditer(text)]


def links_of(html: str, text: str) -> list[str]:
    """The http(s) links of a mail, those of its HTML first, each once, in the order they appear."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    return list(dict.fromkeys([*collector.urls, *urls_in_text(text)]))


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None:
        return ""
    return str(cast("EmailMessage", body).get_content())


def _sent_at(message: EmailMessage) -> str | None:
    raw = message.get("Date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(str(raw)).isoformat()
    except (TypeError, ValueError):
        return None


def parse_raw_message(raw: str, destinations: list[str], message_id: str = "") -> SentMail:
    message = message_from_string(raw, policy=policy.default)
    header_recipients = [address for _, address in getaddresses(message.get_all("To", []))]
    text = _part(message, "plain")
    html = _part(message, "html")
    return SentMail(
        to=list(dict.fromkeys(destinations or header_recipients)),
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        text=text,
        html=html,
        links=links_of(html, text),
        sent_at=_sent_at(message),
        id=message_id,
    )
