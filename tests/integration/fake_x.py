"""X faked at the HTTP layer (the `responses` library), so that tweepy's real code and our own calls to
X's v2 media endpoints run as they would against X.

The fake keeps the account's timeline: what X accepted, in order. A test scripts what X answers next
(an error status with X's body and headers, a timeout, or a post X takes but whose answer is lost)."""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

if TYPE_CHECKING:
    from collections.abc import Callable

TWEETS = "https://api.twitter.com/2/tweets"
ME = "https://api.twitter.com/2/users/me"
USER_TWEETS = re.compile(r"https://api\.twitter\.com/2/users/(\d+)/tweets")
MEDIA_UPLOAD = "https://api.x.com/2/media/upload"
MEDIA_METADATA = "https://api.x.com/2/media/metadata"
MEDIA_STEP = re.compile(r"https://api\.x\.com/2/media/upload/(initialize|\d+/append|\d+/finalize)$")
ACCOUNT_ID = "1500000000000000001"
ACCOUNT = "police_demo"

DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
NOT_PERMITTED = {
    "title": "Forbidden",
    "type": "about:blank",
    "status": 403,
    "detail": "You are not permitted to perform this action.",
}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
UNAVAILABLE = {
    "title": "Service Unavailable",
    "detail": "Service Unavailable",
    "type": "about:blank",
    "status": 503,
}


@dataclass
class Answer:
    status: int = 201
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: bool = False  # X says nothing in time
    taken: bool = False  # ...but the post went out all the same
    unreachable: bool = False  # X's name does not resolve: nothing reaches X


def unreachable() -> requests.ConnectionError:
    """What requests raises when X's name does not resolve (DNS down, or no network)."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    cause = NameResolutionError("api.twitter.com", None, "[Errno -3] Temporary failure in name resolution")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/2/tweets", cause))  # type: ignore[arg-type]


@dataclass
class Tweet:
    id: str
    text: str
    created_at: datetime
    media_ids: list[str]


class FakeX:
    def __init__(self, mock: responses.RequestsMock, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.timeline: list[Tweet] = []
        self.post_attempts = 0
        self.timeline_reads = 0
        self.uploads: list[dict[str, Any]] = []
        self.alt_texts: dict[str, str] = {}
        self.next_posts: deque[Answer] = deque()
        self.next_uploads: deque[Answer] = deque()
        self.next_reads: deque[Answer] = deque()
        self._ids = iter(range(1_800_000_000_000_000_000, 1_900_000_000_000_000_000))
        mock.add_callback(responses.POST, TWEETS, callback=self._create_tweet)
        mock.add_callback(responses.GET, ME, callback=self._me)
        mock.add_callback(responses.GET, USER_TWEETS, callback=self._user_tweets)
        mock.add_callback(responses.POST, MEDIA_UPLOAD, callback=self._upload)
        mock.add_callback(responses.POST, MEDIA_METADATA, callback=self._metadata)
        mock.add_callback(responses.POST, MEDIA_STEP, callback=self._chunked_step)
        mock.add_callback(responses.GET, MEDIA_UPLOAD, callback=self._processing_status)
        self.chunks: dict[str, list[bytes]] = {}
        self.status_checks = 0

    # -- what a test sees ------------------------------------------------------------------------
    @property
    def texts(self) -> list[str]:
        return [tweet.text for tweet in self.timeline]

    # -- the endpoints ---------------------------------------------------------------------------
    def _create_tweet(self, request: Any) -> Any:
        self.post_attempts += 1
        assert request.headers["Authorization"].startswith("OAuth "), "posts need user-context OAuth 1.0a"
        document = json.loads(request.body)
        answer = self.next_posts.popleft() if self.next_posts else Answer()
        if answer.unreachable:
            self.post_attempts -= 1  # it never reached X
            return unreachable()
        if answer.timeout and not answer.taken:
            return requests.exceptions.ReadTimeout("read timed out")
        if answer.status == 201 or answer.taken:
            tweet = Tweet(
                str(next(self._ids)),
                _as_x_returns_it(document["text"]),
                self.clock(),
                list((document.get("media") or {}).get("media_ids") or []),
            )
            self.timeline.append(tweet)
            if answer.timeout:
                return requests.exceptions.ReadTimeout("read timed out")
            return (201, {}, json.dumps({"data": {"id": tweet.id, "text": tweet.text}}))
        return (answer.status, answer.headers, json.dumps(answer.body))

    def _me(self, request: Any) -> Any:
        return (200, {}, json.dumps({"data": {"id": ACCOUNT_ID, "name": "Police", "username": ACCOUNT}}))

    def _user_tweets(self, request: Any) -> Any:
        self.timeline_reads += 1
        answer = self.next_reads.popleft() if self.next_reads else Answer(200)
        if answer.unreachable:
            self.timeline_reads -= 1
            return unreachable()
        if answer.status != 200:
            return (answer.status, answer.headers, json.dumps(answer.body))
        query = parse_qs(urlsplit(request.url).query)
        since = datetime.fromisoformat(query["start_time"][0].replace("Z", "+00:00"))
        recent = [t for t in reversed(self.timeline) if t.created_at >= since]
        data = [
            {
                "id": t.id,
                "text": t.text,
                "edit_history_tweet_ids": [t.id],
            }
            for t in recent
        ]
        return (
            200,
            {},
            json.dumps({"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {}}),
        )

    def _upload(self, request: Any) -> Any:
        answer = self.next_uploads.popleft() if self.next_uploads else Answer(200)
        if answer.timeout:
            return requests.exceptions.ConnectTimeout("connect timed out")
        if answer.status != 200:
            return (answer.status, answer.headers, json.dumps(answer.body))
        content_type = request.headers["Content-Type"]
        assert content_type.startswith("multipart/form-data"), content_type
        media_id = str(next(self._ids))
        self.uploads.append({"id": media_id, "body": request.body})
        return (200, {}, json.dumps({"data": {"id": media_id, "media_key": f"3_{media_id}", "size": 1}}))

    def _chunked_step(self, request: Any) -> Any:
        """A GIF: initialize, append its one segment, finalize; X then processes it for a moment."""
        step = MEDIA_STEP.fullmatch(request.url.split("?")[0])
        assert step is not None
        if step.group(1) == "initialize":
            document = json.loads(request.body)
            assert document["media_category"] == "tweet_gif", document
            media_id = str(next(self._ids))
            self.chunks[media_id] = []
            return (200, {}, json.dumps({"data": {"id": media_id, "expires_after_secs": 86400}}))
        media_id, command = step.group(1).split("/")
        if command == "append":
            self.chunks[media_id].append(request.body)
            return (204, {}, "")
        self.uploads.append({"id": media_id, "body": b"".join(self.chunks[media_id])})
        processing = {"state": "pending", "check_after_secs": 1}
        return (200, {}, json.dumps({"data": {"id": media_id, "processing_info": processing}}))

    def _processing_status(self, request: Any) -> Any:
        self.status_checks += 1
        query = parse_qs(urlsplit(request.url).query)
        assert query["command"] == ["STATUS"], query
        processing = {"state": "succeeded", "progress_percent": 100}
        return (200, {}, json.dumps({"data": {"id": query["media_id"][0], "processing_info": processing}}))

    def _metadata(self, request: Any) -> Any:
        document = json.loads(request.body)
        self.alt_texts[document["id"]] = document["metadata"]["alt_text"]["text"]
        return (200, {}, json.dumps({"data": {"associated_metadata": document["metadata"]}}))


def _as_x_returns_it(text: str) -> str:
    """X escapes &, < and > as HTML entities and puts t.co links in place of links."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"https?://\S+", "https://t.co/AbCdEf1234", escaped)
