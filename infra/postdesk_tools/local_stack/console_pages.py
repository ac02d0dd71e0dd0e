"""The console's own pages: its index, the outbox (HTML and JSON) and the proposals (JSON).

The listings are read a page at a time in moto's process (moto_console), newest first: `?page=` from 1,
`?limit=` (50 unless said, at most 500), and `?to=` for the mail of one address. A JSON listing stays
the list it always was; where the other pages are is in its `Link` header (first, prev, next, last)
and how many there are in `X-Total-Count`, as paged HTTP APIs do.

Every text shown comes from users or from mail, so every one is escaped; a mail's HTML is shown in a
sandboxed frame (no scripts, no access to this page) whose links open in a new tab."""

from __future__ import annotations

import html
import json
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse
from postdesk_tools.local_stack.console import page as page_markup
from postdesk_tools.local_stack.moto_console import DEFAULT_LIMIT, MAX_LIMIT, OUTBOX_PATH, PROPOSALS_PATH
from postdesk_tools.local_stack.outbox import SentMail

OUTBOX = f"{PREFIX}outbox"
OUTBOX_JSON = f"{PREFIX}outbox.json"
PROPOSALS_JSON = f"{PREFIX}proposals.json"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def index_page(console: Console) -> ConsoleResponse:
    items = []
    for route in console.routes():
        if route.path == PREFIX:
            continue
        if route.method == "GET":
            link = f'<a href="{_escape(route.path)}">{_escape(route.path)}</a>'
            items.append(f"<li>{link}: {_escape(route.title)}</li>")
        else:
            items.append(
                f"<li><code>{_escape(route.method)} {_escape(route.path)}</code>: {_escape(route.title)}</li>"
            )
    body = '<p>Pages of the local stack itself; the product\'s pages are at <a href="/">/</a>.</p>'
    return ConsoleResponse.html(page_markup("Console", f"{body}\n<ul>\n{''.join(items)}\n</ul>"))


def _mail_html(mail: SentMail) -> str:
    links = "".join(
        f'<li><a href="{_escape(url)}" rel="noreferrer">{_escape(url)}</a></li>' for url in mail.links
    )
    framed = _escape('<base target="_blank">' + mail.html)
    return f"""<article>
<h2>{_escape(mail.subject) or "(no subject)"}</h2>
<dl>
<dt>To</dt><dd>{_escape(", ".join(mail.to))}</dd>
<dt>From</dt><dd>{_escape(mail.sender)}</dd>
<dt>Sent</dt><dd>{_escape(mail.sent_at or "(no Date header)")}</dd>
</dl>
<h3>Links</h3>
<ul>{links or "<li>(none)</li>"}</ul>
<details open><summary>Text</summary><pre>{_escape(mail.text)}</pre></details>
<details><summary>HTML</summary>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"
 title="{_escape(mail.subject)}" srcdoc="{framed}"></iframe>
</details>
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


def _with_total(response: ConsoleResponse, total: int) -> ConsoleResponse:
    return ConsoleResponse(
        response.status,
        response.content_type,
        response.body,
        {**response.headers, "X-Total-Count": str(total)},
    )


def _nav(paging: Paging, total: int, links: dict[str, str], what: str) -> str:
    last = max(1, -(-total // paging.limit))
    parts = [f"{total} {what}, newest first; page {paging.page} of {last}."]
    for relation, label in (("first", "First"), ("prev", "Previous"), ("next", "Next"), ("last", "Last")):
        if relation in links:
            parts.append(f'<a href="{_escape(links[relation])}" rel="{relation}">{label}</a>')
    return f"<p>{' '.join(parts)}</p>"


def _fetch(aws_endpoint: str, path: str, query: dict[str, Any]) -> dict[str, Any]:
    """A page read in moto's process (moto_console)."""
    url = f"{aws_endpoint.rstrip('/')}{path}?{urlencode(query)}"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http endpoint: {aws_endpoint}")
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - http(s) checked above
        page: dict[str, Any] = json.loads(answer.read())
    return page


def add_console_pages(console: Console, *, aws_endpoint: str, table_name: str) -> None:
    """Register the local stack's own pages: the index, the outbox and the proposals."""

    def outbox_page(request: ConsoleRequest) -> tuple[Paging, dict[str, Any], dict[str, str]]:
        paging = Paging.from_query(request.query)
        keep = {"to": request.query["to"][-1]} if request.query.get("to", [""])[-1] else {}
        page = _fetch(aws_endpoint, OUTBOX_PATH, {"offset": paging.offset, "limit": paging.limit, **keep})
        return paging, page, keep

    def outbox_json(request: ConsoleRequest) -> ConsoleResponse:
        try:
            paging, page, keep = outbox_page(request)
        except ValueError as error:
            return ConsoleResponse.json({"message": str(error)}, status=400)
        return _paged(page["mails"], page["total"], paging.links(OUTBOX_JSON, page["total"], keep))

    def outbox(request: ConsoleRequest) -> ConsoleResponse:
        try:
            paging, page, keep = outbox_page(request)
        except ValueError as error:
            return ConsoleResponse.html(page_markup("Outbox", f"<p>{_escape(str(error))}</p>"), status=400)
        total = page["total"]
        links = paging.links(OUTBOX, total, keep)
        json_link = f"{OUTBOX_JSON}?{urlencode({**keep, 'page': paging.page, 'limit': paging.limit})}"
        nav = _nav(paging, total, links, "mail(s)")
        summary = f"{nav}<p>Only mail to {_escape(keep['to'])}. " if keep else nav + "<p>"
        summary += f'<a href="{_escape(json_link)}">As JSON</a>.</p>'
        mails = [SentMail.from_json(mail) for mail in page["mails"]]
        body = "\n".join(_mail_html(mail) for mail in mails) or "<p>No mail sent yet.</p>"
        return _with_total(ConsoleResponse.html(page_markup("Outbox", f"{summary}\n{body}\n{nav}")), total)

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

    console.add("GET", PREFIX, lambda _: index_page(console), "This index")
    console.add("GET", OUTBOX, outbox, "Every email sent, newest first (?page=, ?limit=, ?to=)")
    console.add("GET", OUTBOX_JSON, outbox_json, "The same, as JSON (paging in the Link header)")
    console.add(
        "GET",
        PROPOSALS_JSON,
        proposals_json,
        "Every proposal with its status, version and votes, newest first (?page=, ?limit=)",
    )
