"""The local stack's channel: each post is a line appended to a JSON-lines timeline file in the state
directory, its images saved beside it, so that `/_local/timeline` shows what went out.

Used only where CHANNEL=local is set explicitly, as the local stack does. The local stack runs each
function in several processes at once: a file lock (flock) keeps each post's line whole, for writers
and readers in any process."""

from __future__ import annotations

import fcntl
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from postdesk.channels import ImageToPost, Posted
from postdesk.domain.post_matching import same_post
from postdesk.domain.validation import IMAGE_TYPES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


@dataclass(frozen=True)
class TimelinePost:
    id: str
    text: str
    url: str
    images: list[dict[str, Any]]
    published_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "url": self.url,
            "images": self.images,
            "published_at": self.published_at,
        }


def media_dir(timeline: Path) -> Path:
    return timeline.with_name(f"{timeline.stem}-media")


def read_timeline(timeline: Path) -> list[TimelinePost]:
    """Every post of the timeline file, oldest first (a missing file is an empty timeline)."""
    if not timeline.exists():
        return []
    with timeline.open(encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_SH)
        lines = file.read().splitlines()
    posts = []
    for line in lines:
        if line.strip():
            entry = json.loads(line)
            posts.append(
                TimelinePost(
                    id=str(entry["id"]),
                    text=str(entry["text"]),
                    url=str(entry["url"]),
                    images=list(entry.get("images") or []),
                    published_at=str(entry["published_at"]),
                )
            )
    return posts


class LocalTimeline:
    name = "local"

    def __init__(self, path: Path, base_url: str, *, clock: Callable[[], datetime]) -> None:
        self._path = path
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    def post(self, text: str, images: Sequence[ImageToPost]) -> Posted:
        post_id = str(secrets.randbits(62))
        url = f"{self._base_url}/_local/timeline#post-{post_id}"
        saved = []
        folder = media_dir(self._path)
        for number, image in enumerate(images, start=1):
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{post_id}-{number}.{IMAGE_TYPES.get(image.content_type, 'bin')}"
            (folder / name).write_bytes(image.data)
            saved.append({"file": name, "content_type": image.content_type, "alt": image.alt})
        entry = TimelinePost(post_id, text, url, saved, self._clock().isoformat())
        line = json.dumps(entry.as_json(), ensure_ascii=False) + "\n"
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as timeline:
            fcntl.flock(timeline, fcntl.LOCK_EX)  # released when the file closes, after the write
            timeline.write(line)
        return Posted(post_id, url, text)

    def find_recent(self, text: str, since: datetime) -> Posted | None:
        for post in reversed(read_timeline(self._path)):
            if datetime.fromisoformat(post.published_at) >= since and same_post(post.text, text):
                return Posted(post.id, post.url, post.text)
        return None
