"""What each link of a mail is for, read from the link itself, so the outbox can name it as a person
would: "Approuver — deputy1@example.org" rather than ninety opaque characters.

A signed link (`/l/<token>`) says nothing readable; the console verifies it with the stack's own
signing keys (`postdesk.domain.links.verify`, as the product does), which gives its action and expiry,
and finds its reader among the mail's recipients (the link carries a keyed hash of the reader's
address). The action is named by the words of the product's own buttons. A link whose key was retired,
or that is not a signed link, is shown by its address."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from postdesk.domain import links
from postdesk.domain.links import SigningKeys, resolve_actor, verify
from postdesk.errors import InvalidLink
from postdesk.wording import strings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mypy_boto3_secretsmanager import SecretsManagerClient

LINK_PATH = "/l/"

_OTHER_ACTIONS = {
    links.LIST: "Liste des propositions",
    links.SENT: "Page après l'envoi",
    links.PROPOSE: "Formulaire de proposition",
}
_EXPORTS = {"audit.csv": "Journal (CSV)", "audit.json": "Journal (JSON)"}


def action_label(action: str) -> str:
    """An action in the words of the product's French button or link ("approve" -> "Approuver")."""
    words = strings("fr")
    return (
        words.get(f"{action}_button")
        or words.get(f"{action}_link")
        or _OTHER_ACTIONS.get(action)
        or f"Action inconnue ({action})"
    )


@dataclass(frozen=True)
class ReadLink:
    """A link of a mail as the console shows it."""

    url: str
    label: str  # what a person reads: "Approuver — deputy1@example.org", or the address shortened
    action: str = ""  # the signed link's action ("approve"), empty for any other link
    reader: str = ""  # who the link is for
    expires_at: str = ""  # ISO 8601, UTC
    problem: str = ""  # why the link could not be read, or that it has expired

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def _token_and_rest(url: str) -> tuple[str, str] | None:
    path = urlsplit(url).path
    if not path.startswith(LINK_PATH):
        return None
    token, _, rest = path[len(LINK_PATH) :].partition("/")
    return (unquote(token), rest) if token else None


def _shortened(url: str) -> str:
    """An address without its scheme and host: where it goes on this stack."""
    parts = urlsplit(url)
    shown = parts.path + (f"?{parts.query}" if parts.query else "")
    return shown if len(shown) <= 60 else f"{shown[:57]}…"


def read_link(url: str, recipients: Sequence[str], keys: SigningKeys | None, now: datetime) -> ReadLink:
    found = _token_and_rest(url)
    if found is None:
        return ReadLink(url, _shortened(url) if urlsplit(url).path else url)
    if keys is None:
        return ReadLink(url, "Lien signé", problem="les clés de signature de la pile sont illisibles")
    token, rest = found
    try:
        # Read at the epoch, so that an expired link still says what it was for; its expiry is told.
        claims = verify(token, keys, datetime.fromtimestamp(0, tz=UTC))
    except InvalidLink:
        return ReadLink(url, "Lien signé", problem="signé d'une clé que la pile n'a plus, ou altéré")
    reader = resolve_actor(claims, keys, list(recipients)) or ", ".join(recipients)
    label = action_label(claims.action)
    if rest:
        label = f"{label} : {_EXPORTS.get(rest, rest)}"
    expired = now.timestamp() > claims.expires_at
    return ReadLink(
        url,
        f"{label} — {reader}" if reader else label,
        action=claims.action,
        reader=reader,
        expires_at=claims.expires.isoformat(),
        problem="expiré" if expired else "",
    )


def read_links(
    urls: Sequence[str], recipients: Sequence[str], keys: SigningKeys | None, now: datetime | None = None
) -> list[ReadLink]:
    moment = now or datetime.now(UTC)
    return [read_link(url, recipients, keys, moment) for url in urls]


def signing_keys_reader(client: SecretsManagerClient, secret_name: str) -> Callable[[], SigningKeys | None]:
    """The stack's signing keys as they are now (read at each call: a rotation shows at once); None when
    the secret cannot be read."""

    def read() -> SigningKeys | None:
        try:
            value: Any = json.loads(client.get_secret_value(SecretId=secret_name)["SecretString"])
            return SigningKeys({str(kid): str(key) for kid, key in value.items()})
        except Exception:  # a console page shows links by their address rather than failing
            return None

    return read
