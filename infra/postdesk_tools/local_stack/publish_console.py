"""The console's publishing pages: run a morning run now, and see what the local channel published.

`POST /_local/publish` invokes the publish function, in its own execution environments as Lambda runs it
(its timeout from the template), with no scheduled time: each call is a new run, as on a new morning,
and calls at the same moment are runs at the same moment. A browser's form post is sent on to the
timeline; a script gets the run's report as JSON (`?dry_run=true` for what would go out). The timeline
is the local channel's file, newest first."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postdesk.channels.local import media_dir, read_timeline
from postdesk_tools.local_stack.console import PREFIX, Console, ConsoleRequest, ConsoleResponse, page
from postdesk_tools.local_stack.lambda_function import InvocationError

if TYPE_CHECKING:
    from postdesk.channels.local import TimelinePost
    from postdesk_tools.local_stack.lambda_function import Function

PUBLISH_FUNCTION = "PublishFunction"
PUBLISH = f"{PREFIX}publish"
TIMELINE = f"{PREFIX}timeline"
TIMELINE_JSON = f"{PREFIX}timeline.json"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _image_html(folder: Path, image: dict[str, Any]) -> str:
    path = folder / str(image.get("file", ""))
    alt = _escape(str(image.get("alt", "")))
    if not path.is_file():
        return f"<p>(image missing: {alt})</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    content_type = _escape(str(image.get("content_type", "application/octet-stream")))
    return f'<img src="data:{content_type};base64,{data}" alt="{alt}" style="max-width: 100%">'


def _post_html(post: TimelinePost, folder: Path) -> str:
    images = "".join(_image_html(folder, image) for image in post.images)
    return f"""<article id="post-{_escape(post.id)}">
<p style="white-space: pre-wrap">{_escape(post.text)}</p>
{images}
<p><small>{_escape(post.published_at)} · <a href="{_escape(post.url)}">{_escape(post.id)}</a></small></p>
</article>"""


def add_publish_console(console: Console, *, function: Function, environment: dict[str, str]) -> None:
    """Register POST /_local/publish, /_local/timeline and /_local/timeline.json."""
    timeline_path = Path(environment["LOCAL_TIMELINE_PATH"])

    def publish(request: ConsoleRequest) -> ConsoleResponse:
        dry_run = request.query.get("dry_run", ["false"])[-1].lower() in ("1", "true", "yes")
        try:
            report = function.invoke({"dry_run": dry_run})
        except InvocationError as error:
            return ConsoleResponse.json({"message": f"the morning run failed: {error}"}, status=502)
        if "text/html" in request.headers.get("accept", "") and not dry_run:
            return ConsoleResponse(303, "text/plain; charset=utf-8", b"", {"Location": TIMELINE})
        return ConsoleResponse.json(report)

    def timeline_json(_: ConsoleRequest) -> ConsoleResponse:
        return ConsoleResponse.json([post.as_json() for post in reversed(read_timeline(timeline_path))])

    def timeline(_: ConsoleRequest) -> ConsoleResponse:
        posts = list(reversed(read_timeline(timeline_path)))
        folder = media_dir(timeline_path)
        button = f'<form method="post" action="{PUBLISH}"><button>Run a morning run now</button></form>'
        summary = f'<p>{len(posts)} post(s), newest first. <a href="{TIMELINE_JSON}">As JSON</a>.</p>'
        body = "\n".join(_post_html(post, folder) for post in posts) or "<p>Nothing published yet.</p>"
        return ConsoleResponse.html(page("Timeline", f"{button}\n{summary}\n{body}"))

    console.add("POST", PUBLISH, publish, "Run a morning run now (each call a new run; ?dry_run=true)")
    console.add("GET", TIMELINE, timeline, "What the local channel published, newest first")
    console.add("GET", TIMELINE_JSON, timeline_json, "The same, as JSON")
