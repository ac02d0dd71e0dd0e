"""The mail the local stack has sent, read back from moto, so that a person can click through the flow.

moto keeps every message sent through SES in memory and shows it at `/moto-api/data.json`; postdesk
sends raw MIME (text and HTML alternatives), which moto keeps as it was sent, under `ses` ->
`RawMessage`. moto keeps no time of sending: `sent_at` is the message's own `Date` header, if it has
one. Messages are listed newest first: moto lists them in the order they were sent, and a replay
recreates them in that same order."""

from __future__ import annotations

import json
import re
import urllib.request
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


def mails_from_moto_data(data: dict[str, Any]) -> list[SentMail]:
    """The raw messages of moto's `/moto-api/data.json`, newest first."""
    raw_messages: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
    mails = [
        parse_raw_message(
            str(entry.get("raw_data", "")),
            [str(address) for address in entry.get("destinations") or []],
            str(entry.get("id", "")),
        )
        for entry in raw_messages
    ]
    return mails[::-1]


def read_outbox(aws_endpoint: str, timeout: float = 10.0) -> list[SentMail]:
    """Every mail sent through the local moto at `aws_endpoint`, newest first."""
    url = f"{aws_endpoint.rstrip('/')}/moto-api/data.json"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http endpoint: {aws_endpoint}")
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - http(s) checked above
        data: dict[str, Any] = json.loads(answer.read())
    return mails_from_moto_data(data)
