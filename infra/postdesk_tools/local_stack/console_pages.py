"""The console's own pages: its index, the outbox (HTML and JSON) and the proposals (JSON).

Every text shown comes from users or from mail, so every one is escaped; a mail's HTML is shown in a
sandboxed frame (no scripts, no access to this page) whose links open in a new tab."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse, page
from postdesk_tools.local_stack.outbox import SentMail, read_outbox
from postdesk_tools.local_stack.proposal_listing import list_proposals

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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
    return ConsoleResponse.html(page("Console", f"{body}\n<ul>\n{''.join(items)}\n</ul>"))


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


def add_console_pages(
    console: Console, *, aws_endpoint: str, dynamodb: DynamoDBClient, table_name: str
) -> None:
    """Register the local stack's own pages: the index, the outbox and the proposals."""

    def outbox_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json([mail.as_json() for mail in read_outbox(aws_endpoint)])

    def outbox(_: ConsoleRequest) -> ConsoleResponse:
        mails = read_outbox(aws_endpoint)
        summary = f'<p>{len(mails)} mail(s), newest first. <a href="{OUTBOX_JSON}">As JSON</a>.</p>'
        body = "\n".join(_mail_html(mail) for mail in mails) or "<p>No mail sent yet.</p>"
        return ConsoleResponse.html(page("Outbox", f"{summary}\n{body}"))

    def proposals_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json(list_proposals(dynamodb, table_name))

    console.add("GET", PREFIX, lambda _: index_page(console), "This index")
    console.add("GET", OUTBOX, outbox, "Every email sent, newest first")
    console.add("GET", OUTBOX_JSON, outbox_json, "The same, as JSON")
    console.add("GET", PROPOSALS_JSON, proposals_json, "Every proposal with its status, version and votes")
