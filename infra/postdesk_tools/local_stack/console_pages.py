"""The console's own pages: its index, the outbox (HTML and JSON) and the proposals (JSON).

The listings are read a page at a time in moto's process (moto_console), newest first: `?page=` from 1,
`?limit=` (50 unless said, at most 500), and `?to=` for the mail of one address. A JSON listing stays
the list it always was; where the other pages are is in its `Link` header (first, prev, next, last)
and how many there are in `X-Total-Count`, as paged HTTP APIs do. Each mail of `outbox.json` also has
`link_details`: what each of its `links` is for (console_links).

Every text shown comes from users or from mail, so every one is escaped; a mail's HTML is shown in a
sandboxed frame (no scripts, no access to this page) whose links open in a new tab."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from postdesk_tools.local_stack.console import (
    DEFAULT_TIME_ZONE,
    PREFIX,
    Console,
    ConsoleRequest,
    ConsoleResponse,
    escape,
    local_time,
)
from postdesk_tools.local_stack.console_links import read_links
from postdesk_tools.local_stack.moto_console import DEFAULT_LIMIT, MAX_LIMIT, OUTBOX_PATH, PROPOSALS_PATH
from postdesk_tools.local_stack.outbox import SentMail

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from postdesk.domain.links import SigningKeys
    from postdesk_tools.local_stack.console_links import ReadLink

OUTBOX = f"{PREFIX}outbox"
OUTBOX_JSON = f"{PREFIX}outbox.json"
PROPOSALS_JSON = f"{PREFIX}proposals.json"
# The pages of the other console modules, named here so that the index can lead a person through them.
PUBLISH = f"{PREFIX}publish"
TIMELINE = f"{PREFIX}timeline"
DIGEST = f"{PREFIX}digest"
INBOUND = f"{PREFIX}inbound"
PROPOSAL_FORM = "/proposals/new"


def run_buttons(console: Console, *, publish: bool = True, digest: bool = True) -> str:
    """The console's buttons for the runs the schedule makes in AWS, those this stack has."""
    registered = {(route.method, route.path) for route in console.routes()}
    buttons = []
    if publish and ("POST", PUBLISH) in registered:
        buttons.append(
            f'<form class="inline" method="post" action="{PUBLISH}">'
            "<button>Lancer la publication du matin</button></form>"
        )
        buttons.append(
            f'<form class="inline" method="post" action="{PUBLISH}?dry_run=true">'
            '<button class="secondary">Essai à blanc : ce qui partirait</button></form>'
        )
    if digest and ("POST", DIGEST) in registered:
        buttons.append(
            f'<form class="inline" method="post" action="{DIGEST}">'
            '<button class="secondary">Envoyer le récapitulatif du matin</button></form>'
        )
    return f"<div>{''.join(buttons)}</div>" if buttons else ""


def _outbox_for(address: str) -> str:
    return f"{OUTBOX}?{urlencode({'to': address})}"


def index_page(console: Console, approvers: Sequence[str]) -> ConsoleResponse:
    deciders = ", ".join(
        f'<a href="{escape(_outbox_for(address))}">{escape(address)}</a>' for address in approvers
    )
    path = f"""<h2>Le parcours d'une publication</h2>
<ol class="path">
<li><strong>Proposer</strong> : remplissez <a href="{PROPOSAL_FORM}">le formulaire de proposition</a>
 avec une adresse en <code>@example.org</code>.</li>
<li><strong>Boîte d'envoi</strong> : <a href="{OUTBOX}">la boîte d'envoi</a> montre chaque message
 envoyé ; celui de l'auteur s'intitule « Confirmez votre proposition ».</li>
<li><strong>Confirmer</strong> : dans ce message, ouvrez le lien « Confirmer — <em>l'auteur</em> »
 et appuyez sur Confirmer. La proposition part chez les décideurs.</li>
<li><strong>Approuver</strong> : la boîte d'envoi de chaque décideur ({deciders or "aucun"}) reçoit
 « À décider » ; ouvrez « Approuver — <em>le décideur</em> » et appuyez sur Approuver. Un appel à
 témoins, ou un texte à risque judiciaire, demande l'accord de deux décideurs.</li>
<li><strong>Publication du matin</strong> : ce que les décideurs ont approuvé part à la publication du
 matin ; ici, elle part quand vous le demandez.{run_buttons(console, digest=False)}</li>
<li><strong>Fil publié</strong> : <a href="{TIMELINE}">le fil</a> montre ce qui a été publié, le
 plus récent en premier.</li>
</ol>
<h2>Autres outils</h2>
{run_buttons(console, publish=False)}
<p>Une proposition peut aussi arriver par courrier : collez un message sur
 <a href="{INBOUND}">la page du courrier reçu</a>.</p>"""
    items = []
    for route in console.routes():
        if route.path == PREFIX:
            continue
        if route.method == "GET":
            link = f'<a href="{escape(route.path)}">{escape(route.path)}</a>'
            items.append(f"<li>{link} : {escape(route.title)}</li>")
        else:
            items.append(
                f"<li><code>{escape(route.method)} {escape(route.path)}</code> : {escape(route.title)}</li>"
            )
    listing = (
        "<h2>Toutes les pages de la console</h2>\n<p>Pour les scripts aussi ; les pages du site lui-même "
        f'commencent à <a href="/">/</a>.</p>\n<ul>\n{"".join(items)}\n</ul>'
    )
    return ConsoleResponse.html_page("Console locale de postdesk", f"{path}\n{listing}")


def _link_html(link: ReadLink, time_zone: str) -> str:
    notes = []
    if link.expires_at:
        notes.append(f"valable jusqu'au {local_time(link.expires_at, time_zone)}")
    if link.problem:
        notes.append(escape(link.problem))
    note = f" <small>({' ; '.join(notes)})</small>" if notes else ""
    return f'<li><a href="{escape(link.url)}" rel="noreferrer">{escape(link.label)}</a>{note}</li>'


def _mail_html(mail: SentMail, links: list[ReadLink], time_zone: str) -> str:
    shown = "".join(_link_html(link, time_zone) for link in links)
    framed = escape('<base target="_blank">' + mail.html)
    subject = escape(mail.subject) or "(sans objet)"
    frame = ""
    if mail.html:
        frame = f"""<details><summary>Le message tel qu'il s'affiche (HTML)</summary>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"
 title="Message : {subject}" srcdoc="{framed}"></iframe>
</details>"""
    return f"""<article>
<h2>{subject}</h2>
<dl>
<dt>À</dt><dd>{escape(", ".join(mail.to))}</dd>
<dt>De</dt><dd>{escape(mail.sender)}</dd>
<dt>Envoyé</dt><dd>{local_time(mail.sent_at, time_zone) if mail.sent_at else "(pas d'en-tête Date)"}</dd>
</dl>
<h3>Liens</h3>
<ul class="links">{shown or "<li>(aucun)</li>"}</ul>
<details open><summary>Texte</summary><pre>{escape(mail.text)}</pre></details>
{frame}
</article>"""


@dataclass(frozen=True)
class Paging:
    """`?page=` (from 1) and `?limit=` of a console listing, newest first."""

    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @classmethod
    def from_query(cls, query: dict[str, list[str]]) -> Paging:
        """Raises ValueError naming the parameter and what is wrong with it."""
        values = {}
        for name, default, highest in (("page", 1, None), ("limit", DEFAULT_LIMIT, MAX_LIMIT)):
            raw = query.get(name, [str(default)])[-1].strip() or str(default)
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{name}: a whole number from 1 is expected, not {raw!r}")
            if highest is not None and int(raw) > highest:
                raise ValueError(f"{name}: at most {highest}, not {raw}")
            values[name] = int(raw)
        return cls(page=values["page"], limit=values["limit"])

    def links(self, path: str, total: int, keep: dict[str, str]) -> dict[str, str]:
        """The first, previous, next and last pages' addresses (those that exist), by relation."""
        last = max(1, -(-total // self.limit))

        def url(page: int) -> str:
            return f"{path}?{urlencode({**keep, 'page': page, 'limit': self.limit})}"

        links = {"first": url(1), "last": url(last)}
        if self.page > 1:
            links["prev"] = url(min(self.page - 1, last))
        if self.page < last:
            links["next"] = url(self.page + 1)
        return links


def _paged(entries: list[dict[str, Any]], total: int, links: dict[str, str]) -> ConsoleResponse:
    """The JSON list itself (its shape is what scripts rely on), the paging in the headers."""
    answer = ConsoleResponse.json(entries)
    header = ", ".join(f'<{url}>; rel="{relation}"' for relation, url in links.items())
    return ConsoleResponse(
        answer.status, answer.content_type, answer.body, {"Link": header, "X-Total-Count": str(total)}
    )


NAV_LABELS = (("first", "Première"), ("prev", "Précédente"), ("next", "Suivante"), ("last", "Dernière"))


def _nav(paging: Paging, total: int, links: dict[str, str], what: str) -> str:
    last = max(1, -(-total // paging.limit))
    parts = [f"{total} {what}, le plus récent en premier ; page {paging.page} sur {last}."]
    for relation, label in NAV_LABELS:
        if relation in links:
            parts.append(f'<a href="{escape(links[relation])}" rel="{relation}">{label}</a>')
    return f"<p>{' '.join(parts)}</p>"


def _filter_form(shown: str, known: Sequence[str]) -> str:
    options = "".join(f'<option value="{escape(address)}">' for address in dict.fromkeys(known))
    every = f' <a href="{OUTBOX}">Tout afficher</a>' if shown else ""
    return f"""<form method="get" action="{OUTBOX}" role="search" aria-label="Filtrer par destinataire">
<label for="to">Destinataire</label>
<input id="to" name="to" type="email" list="recipients" value="{escape(shown)}" autocomplete="off">
<datalist id="recipients">{options}</datalist>
<button>Filtrer</button>{every}
</form>"""


def _fetch(aws_endpoint: str, path: str, query: dict[str, Any]) -> dict[str, Any]:
    """A page read in moto's process (moto_console)."""
    url = f"{aws_endpoint.rstrip('/')}{path}?{urlencode(query)}"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http endpoint: {aws_endpoint}")
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - http(s) checked above
        page: dict[str, Any] = json.loads(answer.read())
    return page


def add_console_pages(
    console: Console,
    *,
    aws_endpoint: str,
    table_name: str,
    signing_keys: Callable[[], SigningKeys | None] = lambda: None,
    time_zone: str = DEFAULT_TIME_ZONE,
    approvers: Sequence[str] = (),
) -> None:
    """Register the local stack's own pages: the index, the outbox and the proposals. `signing_keys`
    reads the stack's keys, with which the outbox tells what each signed link is for."""

    def outbox_page(request: ConsoleRequest) -> tuple[Paging, dict[str, Any], dict[str, str]]:
        paging = Paging.from_query(request.query)
        wanted = request.query.get("to", [""])[-1].strip()
        keep = {"to": wanted} if wanted else {}
        page = _fetch(aws_endpoint, OUTBOX_PATH, {"offset": paging.offset, "limit": paging.limit, **keep})
        return paging, page, keep

    def outbox_json(request: ConsoleRequest) -> ConsoleResponse:
        try:
            paging, page, keep = outbox_page(request)
        except ValueError as error:
            return ConsoleResponse.json({"message": str(error)}, status=400)
        keys, now = signing_keys(), datetime.now(UTC)
        mails = [
            {
                **mail,
                "link_details": [link.as_json() for link in read_links(mail["links"], mail["to"], keys, now)],
            }
            for mail in page["mails"]
        ]
        return _paged(mails, page["total"], paging.links(OUTBOX_JSON, page["total"], keep))

    def outbox(request: ConsoleRequest) -> ConsoleResponse:
        wanted = request.query.get("to", [""])[-1].strip()
        form = _filter_form(wanted, approvers)
        try:
            paging, page, keep = outbox_page(request)
        except ValueError as error:
            return ConsoleResponse.html_page(
                "Boîte d'envoi", f"{form}<p>Cette page n'existe pas : {escape(str(error))}.</p>", status=400
            )
        total = page["total"]
        links = paging.links(OUTBOX, total, keep)
        json_link = f"{OUTBOX_JSON}?{urlencode({**keep, 'page': paging.page, 'limit': paging.limit})}"
        nav = _nav(paging, total, links, "message(s)")
        mails = [SentMail.from_json(mail) for mail in page["mails"]]
        form = _filter_form(wanted, [*approvers, *(address for mail in mails for address in mail.to)])
        only = f"<p>Seulement les messages à {escape(keep['to'])}.</p>" if keep else ""
        summary = f'{form}{only}{nav}<p><a href="{escape(json_link)}">En JSON</a>.</p>{run_buttons(console)}'
        keys, now = signing_keys(), datetime.now(UTC)
        body = "\n".join(
            _mail_html(mail, read_links(mail.links, mail.to, keys, now), time_zone) for mail in mails
        )
        answer = ConsoleResponse.html_page(
            "Boîte d'envoi", f"{summary}\n{body or '<p>Aucun message envoyé.</p>'}\n{nav}"
        )
        return ConsoleResponse(
            answer.status, answer.content_type, answer.body, {"X-Total-Count": str(total)}, answer.page
        )

    def proposals_json(request: ConsoleRequest) -> ConsoleResponse:
        try:
            paging = Paging.from_query(request.query)
        except ValueError as error:
            return ConsoleResponse.json({"message": str(error)}, status=400)
        page = _fetch(
            aws_endpoint,
            PROPOSALS_PATH,
            {"table": table_name, "offset": paging.offset, "limit": paging.limit},
        )
        return _paged(page["proposals"], page["total"], paging.links(PROPOSALS_JSON, page["total"], {}))

    console.add("GET", PREFIX, lambda _: index_page(console, approvers), "Ce sommaire")
    console.add(
        "GET", OUTBOX, outbox, "Chaque message envoyé, le plus récent en premier (?page=, ?limit=, ?to=)"
    )
    console.add("GET", OUTBOX_JSON, outbox_json, "La même, en JSON (les pages dans l'en-tête Link)")
    console.add(
        "GET",
        PROPOSALS_JSON,
        proposals_json,
        "Chaque proposition avec son état, sa version et ses votes, la plus récente en premier "
        "(?page=, ?limit=)",
    )
