"""The console's publishing pages: run a morning run now, and see what the local channel published.

`POST /_local/publish` invokes the publish function, in its own execution environments as Lambda runs it
(its timeout from the template), with no scheduled time: each call is a new run, as on a new morning,
and calls at the same moment are runs at the same moment. A browser's form post is sent on to the
timeline, or, for a dry run (`?dry_run=true`), shown what would go out; a script gets the run's report
as JSON. The timeline is the local channel's file, newest first."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postdesk.channels.local import media_dir, read_timeline
from postdesk_tools.local_stack.console import (
    DEFAULT_TIME_ZONE,
    PREFIX,
    Console,
    ConsoleRequest,
    ConsoleResponse,
    escape,
    local_time,
)
from postdesk_tools.local_stack.console_pages import PUBLISH, TIMELINE, run_buttons
from postdesk_tools.local_stack.lambda_function import InvocationError

if TYPE_CHECKING:
    from postdesk.channels.local import TimelinePost
    from postdesk_tools.local_stack.lambda_function import Function

PUBLISH_FUNCTION = "PublishFunction"
TIMELINE_JSON = f"{PREFIX}timeline.json"
__all__ = ["PUBLISH", "PUBLISH_FUNCTION", "TIMELINE", "TIMELINE_JSON", "add_publish_console"]


def _image_html(folder: Path, image: dict[str, Any]) -> str:
    path = folder / str(image.get("file", ""))
    alt = escape(str(image.get("alt", "")))
    if not path.is_file():
        return f"<p>(image manquante : {alt})</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    content_type = escape(str(image.get("content_type", "application/octet-stream")))
    return f'<img src="data:{content_type};base64,{data}" alt="{alt}">'


def _post_html(post: TimelinePost, folder: Path, time_zone: str) -> str:
    images = "".join(_image_html(folder, image) for image in post.images)
    link = f'<a href="{escape(post.url)}">{escape(post.id)}</a>'
    return f"""<article id="post-{escape(post.id)}">
<p class="post-text">{escape(post.text)}</p>
{images}
<p><small>{local_time(post.published_at, time_zone)} · {link}</small></p>
</article>"""


def _entries(report: dict[str, Any], name: str) -> list[Any]:
    value = report.get(name)
    return value if isinstance(value, list) else []


def _would_publish_html(entry: dict[str, Any], time_zone: str) -> str:
    approved = local_time(entry.get("approved_at"), time_zone)
    return f"""<article>
<p class="post-text">{escape(str(entry.get("text", "")))}</p>
<p class="meta">{escape(str(entry.get("kind", "")))} · approuvée le {approved}
 · <code>{escape(str(entry.get("id", "")))}</code></p>
</article>"""


def _dry_run_page(console: Console, report: dict[str, Any], time_zone: str) -> ConsoleResponse:
    """What a morning run now would publish, as the dry run's report says, for a person."""
    going = _entries(report, "would_publish")
    rows = "".join(_would_publish_html(entry, time_zone) for entry in going if isinstance(entry, dict))
    left = len(_entries(report, "deferred"))
    expired = len(_entries(report, "expired"))
    said = [
        f"<p>Une publication du matin lancée maintenant publierait {len(going)} message(s) ; rien n'a "
        "été publié ni changé.</p>"
    ]
    if left:
        said.append(
            f"<p>{left} autre(s), approuvée(s), attendrai(en)t la publication suivante (plafond).</p>"
        )
    if expired:
        said.append(f"<p>{expired} proposition(s) seraient expirées.</p>")
    if report.get("stopped"):
        said.append(f"<p>Elle s'arrêterait avant la fin : {escape(str(report['stopped']))}.</p>")
    body = "".join(said) + (rows or "<p>Rien ne partirait : c'est un jour normal.</p>")
    return ConsoleResponse.html_page(
        "Essai à blanc de la publication du matin",
        f'{body}{run_buttons(console, digest=False)}<p><a href="{TIMELINE}">Le fil publié</a>.</p>',
    )


def add_publish_console(console: Console, *, function: Function, environment: dict[str, str]) -> None:
    """Register POST /_local/publish, /_local/timeline and /_local/timeline.json."""
    timeline_path = Path(environment["LOCAL_TIMELINE_PATH"])
    time_zone = environment.get("TIME_ZONE", DEFAULT_TIME_ZONE)

    def publish(request: ConsoleRequest) -> ConsoleResponse:
        dry_run = request.query.get("dry_run", ["false"])[-1].lower() in ("1", "true", "yes")
        try:
            report = function.invoke({"dry_run": dry_run})
        except InvocationError as error:
            return ConsoleResponse.failed_run(
                request, "La publication du matin a échoué", "the morning run", error
            )
        if request.wants_html():
            if dry_run:
                return _dry_run_page(console, report if isinstance(report, dict) else {}, time_zone)
            return ConsoleResponse.redirect(TIMELINE)
        return ConsoleResponse.json(report)

    def timeline_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json([post.as_json() for post in reversed(read_timeline(timeline_path))])

    def timeline(_: ConsoleRequest) -> ConsoleResponse:
        posts = list(reversed(read_timeline(timeline_path)))
        folder = media_dir(timeline_path)
        summary = (
            f"<p>{len(posts)} publication(s), la plus récente en premier. "
            f'<a href="{TIMELINE_JSON}">En JSON</a>.</p>'
        )
        body = (
            "\n".join(_post_html(post, folder, time_zone) for post in posts)
            or "<p>Rien n'est encore publié.</p>"
        )
        return ConsoleResponse.html_page(
            "Fil publié", f"{run_buttons(console, digest=False)}\n{summary}\n{body}"
        )

    console.add(
        "POST",
        PUBLISH,
        publish,
        "Lancer la publication du matin (chaque appel est une nouvelle ; ?dry_run=true)",
    )
    console.add("GET", TIMELINE, timeline, "Ce que le canal local a publié, le plus récent en premier")
    console.add("GET", TIMELINE_JSON, timeline_json, "Le même, en JSON")
