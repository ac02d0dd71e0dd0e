"""The dev console's registry: the pages the gateway serves itself under /_local/, never through Lambda.

A page is a function from a ConsoleRequest to a ConsoleResponse, registered for one method and path;
later features add theirs (`console.add("POST", "/_local/publish", view, "Run the morning run now")`)
and the index lists every registered page.

The console draws the frame of every page itself (`ConsoleResponse.page(title, body)`): the language,
the navigation, `<main>` and its `<h1>`, and, when the console is exposed beyond this machine, a warning
no page can leave out. Its answers all carry the headers of a page that must not be framed, sniffed or
leak its address: every mail and every approver's signed links are on it.

The console speaks French, as the product does by default: the mails it shows are French, and each link
is named by the words of the mail's own button ("Approuver — deputy1@example.org"), so a person reads
one language from the form to the timeline. JSON answers, for scripts, keep their English messages."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from postdesk.wording import zone_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeAlias

log = logging.getLogger("local_stack.console")

PREFIX = "/_local/"
LANGUAGE = "fr"
DEFAULT_TIME_ZONE = "Europe/Paris"

# Inline styles are allowed because a mail's HTML is shown as its recipients see it, styles included, in
# a sandboxed frame that inherits this policy; no script runs anywhere on the console.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.45; color: #1b1b1b; max-width: 60rem;
  margin: 0 auto; padding: 0 1rem 2rem; overflow-wrap: anywhere; }
header nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; }
a { color: #0b4f9c; }
a, button, input, textarea, select, summary { min-height: 24px; }
:focus-visible { outline: 3px solid #0b4f9c; outline-offset: 2px; }
article { border: 1px solid #8a8a8a; border-radius: 6px; padding: 0 1rem 1rem; margin: 1rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f3f3; padding: .5rem; }
iframe { width: 100%; min-height: 20rem; border: 1px solid #8a8a8a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; }
dt { font-weight: bold; } dd { margin: 0; min-width: 0; }
form.inline { display: inline-block; margin: 0 .5rem .5rem 0; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid #0b4f9c; border-radius: 6px;
  background: #0b4f9c; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b4f9c; }
input, textarea { font: inherit; max-width: 100%; box-sizing: border-box; }
textarea { width: 100%; font-family: ui-monospace, monospace; }
label { display: block; font-weight: bold; margin: .5rem 0 .2rem; }
img { max-width: 100%; height: auto; }
small, .meta { color: #4a4a4a; }
.exposed { background: #fff4ce; border: 3px solid #8a5300; padding: .5rem 1rem; margin: 1rem 0; }
.links li { margin: .3rem 0; }
.post-text { white-space: pre-wrap; }
ol.path li { margin: .5rem 0; }
"""


@dataclass(frozen=True)
class ConsoleRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""

    def wants_html(self) -> bool:
        """A browser (its Accept names HTML), not a script."""
        return "text/html" in self.headers.get("accept", "")


@dataclass(frozen=True)
class ConsolePage:
    """A page's own part: its title and the markup of its `<main>` after the `<h1>` (already escaped)."""

    title: str
    body: str


@dataclass(frozen=True)
class ConsoleResponse:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    page: ConsolePage | None = None  # drawn in the console's frame by Console.handle

    @classmethod
    def json(cls, value: Any, status: int = 200) -> ConsoleResponse:
        body = json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
        return cls(status, "application/json; charset=utf-8", body)

    @classmethod
    def html_page(
        cls, title: str, body: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> ConsoleResponse:
        """A console page: `title` is escaped here, `body` must already be."""
        return cls(status, "text/html; charset=utf-8", b"", dict(headers or {}), ConsolePage(title, body))

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> ConsoleResponse:
        return cls(status, "text/plain; charset=utf-8", b"", {"Location": location})

    @classmethod
    def failed_run(cls, request: ConsoleRequest, title: str, run: str, error: Exception) -> ConsoleResponse:
        """A function run by hand that failed: a 502 page for a person (the detail is in the stack's log),
        JSON naming the `run` for a script."""
        if request.wants_html():
            return cls.html_page(
                title,
                f"<p>{escape(str(error))}</p>"
                "<p>Le détail est dans le journal de <code>postdesk local</code>.</p>",
                status=502,
            )
        return cls.json({"message": f"{run} failed: {error}"}, status=502)


if TYPE_CHECKING:
    View: TypeAlias = Callable[[ConsoleRequest], ConsoleResponse]


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str
    view: View
    title: str


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def local_time(moment: str | datetime | None, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """A moment as a person reads it: in the stack's time zone, to the second, the zone named
    ("01/12/2026 08:00:05 (heure de Paris)"), in a `<time>` element; escaped. What is not a moment is
    shown as it is."""
    if moment is None or moment == "":
        return "—"
    try:
        parsed = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    except ValueError:
        return escape(str(moment))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    local = parsed.astimezone(ZoneInfo(time_zone))
    shown = f"{local:%d/%m/%Y %H:%M:%S} ({zone_name(time_zone, LANGUAGE)})"
    return f'<time datetime="{escape(parsed.isoformat(timespec="seconds"))}">{escape(shown)}</time>'


NAVIGATION = (
    ("", "Console"),
    ("outbox", "Boîte d'envoi"),
    ("timeline", "Fil publié"),
    ("inbound", "Courrier reçu"),
)


def render_page(page: ConsolePage, *, exposed_at: str | None = None) -> bytes:
    """The whole document of a console page."""
    links = "".join(f'<li><a href="{PREFIX}{path}">{escape(label)}</a></li>' for path, label in NAVIGATION)
    warning = ""
    if exposed_at is not None:
        warning = (
            '<p class="exposed" role="note"><strong>Attention : cette console est ouverte au réseau '
            f"({escape(exposed_at)}).</strong> Elle montre chaque message envoyé, avec les liens signés "
            "de chaque décideur : quiconque l'atteint peut approuver ou rejeter à leur place. "
            "C'est un outil de développement, à ne jamais exposer hors d'un réseau de confiance.</p>"
        )
    return f"""<!doctype html>
<html lang="{LANGUAGE}">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.title)} · postdesk, console locale</title>
<style>{STYLE}</style>
</head>
<body>
<header>
{warning}
<nav aria-label="Console locale"><ul>{links}<li><a href="/">Le site (postdesk)</a></li></ul></nav>
</header>
<main>
<h1>{escape(page.title)}</h1>
{page.body}
</main>
</body>
</html>
""".encode()


class Console:
    def __init__(self, *, exposed_at: str | None = None) -> None:
        """`exposed_at`: the address the console can be reached at beyond this machine, if it can; every
        page then says so."""
        self._routes: dict[tuple[str, str], ConsoleRoute] = {}
        self.exposed_at = exposed_at

    def add(self, method: str, path: str, view: View, title: str = "") -> None:
        if not path.startswith(PREFIX):
            raise ValueError(f"console pages live under {PREFIX}, not at {path}")
        key = (method.upper(), path)
        if key in self._routes:
            raise ValueError(f"{method.upper()} {path} is already a console page")
        self._routes[key] = ConsoleRoute(method.upper(), path, view, title or path)

    def routes(self) -> list[ConsoleRoute]:
        return list(self._routes.values())

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX.rstrip("/") or path.startswith(PREFIX)

    def handle(self, request: ConsoleRequest) -> ConsoleResponse:
        """The answer to `request`, drawn in the console's frame, with the console's headers."""
        response = self._answer(request)
        body = response.body
        if response.page is not None:
            body = render_page(response.page, exposed_at=self.exposed_at)
        return replace(response, body=body, page=None, headers={**SECURITY_HEADERS, **response.headers})

    def _answer(self, request: ConsoleRequest) -> ConsoleResponse:
        if request.path == PREFIX.rstrip("/"):
            return ConsoleResponse(308, "text/plain; charset=utf-8", b"", {"Location": PREFIX})
        method = "GET" if request.method == "HEAD" else request.method
        route = self._routes.get((method, request.path))
        if route is None:
            allowed = sorted(m for m, path in self._routes if path == request.path)
            if allowed:
                return ConsoleResponse(
                    405, "text/plain; charset=utf-8", b"method not allowed", {"Allow": ", ".join(allowed)}
                )
            if request.wants_html():
                return ConsoleResponse.html_page(
                    "Page introuvable",
                    f"<p>La console n'a pas de page à l'adresse <code>{escape(request.path)}</code>. "
                    f'Ses pages sont listées sur <a href="{PREFIX}">son sommaire</a>.</p>',
                    status=404,
                )
            return ConsoleResponse.json({"message": f"no console page at {request.path}"}, status=404)
        try:
            return route.view(request)
        except Exception as error:
            # A console page failing must say why, not take the gateway down.
            log.exception("console page %s %s failed", request.method, request.path)
            if request.wants_html():
                return ConsoleResponse.html_page(
                    "La page a échoué",
                    f"<p>La console n'a pas pu faire cette page : <code>{escape(type(error).__name__)}: "
                    f"{escape(str(error))}</code>. Le détail est dans le journal de "
                    "<code>postdesk local</code>.</p>",
                    status=500,
                )
            return ConsoleResponse.json({"message": f"{type(error).__name__}: {error}"}, status=500)
