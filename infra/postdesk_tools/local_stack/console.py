"""The dev console's registry: the pages the gateway serves itself under /_local/, never through Lambda.

A page is a function from a ConsoleRequest to a ConsoleResponse, registered for one method and path;
later features add theirs (`console.add("POST", "/_local/publish", view, "Run the morning run now")`)
and the index lists every registered page."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeAlias

log = logging.getLogger("local_stack.console")

PREFIX = "/_local/"


@dataclass(frozen=True)
class ConsoleRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class ConsoleResponse:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> ConsoleResponse:
        body = json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
        return cls(status, "application/json; charset=utf-8", body)

    @classmethod
    def html(cls, markup: str, status: int = 200) -> ConsoleResponse:
        return cls(status, "text/html; charset=utf-8", markup.encode("utf-8"))


if TYPE_CHECKING:
    View: TypeAlias = Callable[[ConsoleRequest], ConsoleResponse]


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str
    view: View
    title: str


def page(title: str, body: str) -> str:
    """A console page around `body`, which must already be escaped; `title` is escaped here."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · postdesk local</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }}
article {{ border: 1px solid #ccc; border-radius: 6px; padding: 0 1rem 1rem; margin: 1rem 0; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }}
iframe {{ width: 100%; min-height: 20rem; border: 1px solid #ddd; }}
dt {{ font-weight: bold; }} dd {{ margin: 0 0 .3rem 1rem; }}
</style>
</head>
<body>
<nav><a href="{PREFIX}">postdesk local console</a></nav>
<h1>{html.escape(title)}</h1>
{body}
</body>
</html>
"""


class Console:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], ConsoleRoute] = {}

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
            return ConsoleResponse.json({"message": f"no console page at {request.path}"}, status=404)
        try:
            return route.view(request)
        except Exception as error:
            # A console page failing must say why, not take the gateway down.
            log.exception("console page %s %s failed", request.method, request.path)
            return ConsoleResponse.json({"message": f"{type(error).__name__}: {error}"}, status=500)
