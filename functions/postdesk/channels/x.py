"""X, through tweepy: `Client.create_tweet` with the account's user-context (OAuth 1.0a) credentials,
read from Secrets Manager.

Two things tweepy 4.17 does not do, done here with tweepy's own pieces:
- a timeout: tweepy's Client calls its requests session with none, so a slow X would hold the run until
  Lambda kills it; the client is given a session whose every call has one.
- images: tweepy only has the retired v1.1 upload, so images go to X's v2 media endpoints
  (`POST /2/media/upload`, alt text through `POST /2/media/metadata`; a GIF through the chunked
  initialize / append / finalize steps) on that same session, signed by tweepy's OAuth 1.0a handler
  (requests-oauthlib's OAuth1, which tweepy depends on).

Every failure leaves as one of the channel's errors (postdesk.channels), carrying X's own message."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from aws_lambda_powertools.utilities import parameters

from postdesk.channels import (
    ChannelError,
    CredentialsMissing,
    CredentialsRefused,
    DuplicateContent,
    ImageToPost,
    Posted,
    RateLimited,
    Refused,
    Unavailable,
    Unreachable,
)
from postdesk.domain.post_matching import same_post

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MEDIA_UPLOAD_URL = "https://api.x.com/2/media/upload"
MEDIA_METADATA_URL = "https://api.x.com/2/media/metadata"
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 20.0
MAX_ALT_TEXT = 1000
MAX_PROCESSING_WAIT_SECONDS = 60.0
RECENT_POSTS = 100
CREDENTIALS_CACHE_SECONDS = 300
CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# What X says about its limits: the 15-minute window and the 24-hour quotas of the app and the user.
QUOTA_HEADERS = (
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "x-app-limit-24hour-limit",
    "x-app-limit-24hour-remaining",
    "x-app-limit-24hour-reset",
    "x-user-limit-24hour-limit",
    "x-user-limit-24hour-remaining",
    "x-user-limit-24hour-reset",
)


@dataclass(frozen=True)
class XCredentials:
    """The account's OAuth 1.0a user-context credentials. `user_id` and `username`, when the secret holds
    them, spare a lookup of the account (X's `users/me` has a small daily quota)."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    user_id: str = ""
    username: str = ""

    @classmethod
    def from_secret_value(cls, value: object, secret_name: str) -> XCredentials:
        if not isinstance(value, dict) or not value:
            raise CredentialsMissing(f"the X credentials secret {secret_name} is empty")
        missing = [name for name in CREDENTIAL_NAMES if not str(value.get(name) or "").strip()]
        if missing:  # names only: a secret's values are never written anywhere
            raise CredentialsMissing(f"the X credentials secret {secret_name} lacks {', '.join(missing)}")
        consumer_key, consumer_secret, access_token, access_token_secret = (
            str(value[name]).strip() for name in CREDENTIAL_NAMES
        )
        return cls(
            consumer_key,
            consumer_secret,
            access_token,
            access_token_secret,
            user_id=str(value.get("user_id") or ""),
            username=str(value.get("username") or ""),
        )


def load_credentials(secret_name: str) -> XCredentials:
    if not secret_name:
        raise CredentialsMissing(
            "no X credentials are configured (the XCredentialsSecretName parameter is empty)"
        )
    try:
        value = parameters.get_secret(secret_name, transform="json", max_age=CREDENTIALS_CACHE_SECONDS)
    except (parameters.exceptions.GetParameterError, parameters.exceptions.TransformParameterError) as error:
        raise CredentialsMissing(
            f"the X credentials secret {secret_name} cannot be read ({type(error).__name__})"
        ) from None
    return XCredentials.from_secret_value(value, secret_name)


class TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout, whoever makes it (tweepy passes none)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def _epoch(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value or ""), tz=UTC)
    except ValueError:
        return None


def quota_headers(headers: Any) -> dict[str, str]:
    return {name: str(headers[name]) for name in QUOTA_HEADERS if name in headers}


def _reset_at(headers: dict[str, str]) -> datetime | None:
    """When posting may start again: the window's reset, or a spent 24-hour quota's, whichever is later."""
    resets = [_epoch(headers.get("x-rate-limit-reset"))]
    for who in ("app", "user"):
        if headers.get(f"x-{who}-limit-24hour-remaining") == "0":
            resets.append(_epoch(headers.get(f"x-{who}-limit-24hour-reset")))
    known = [reset for reset in resets if reset is not None]
    return max(known) if known else None


def translate(error: Exception, *, posting: bool) -> ChannelError:
    """The channel's error for what tweepy or requests raised. `posting`: the call was the post itself,
    so a failure after sending leaves it unknown whether the post went out."""
    import tweepy

    if isinstance(error, tweepy.HTTPException):
        status = getattr(error.response, "status_code", 0)
        message = "; ".join(str(m) for m in error.api_messages) or str(error)
        if isinstance(error, tweepy.TooManyRequests):
            headers = quota_headers(error.response.headers)
            return RateLimited(f"X's rate limit is reached: {message}", _reset_at(headers), headers)
        if isinstance(error, tweepy.Unauthorized):
            return CredentialsRefused(f"X refused the account's credentials (401): {message}")
        if isinstance(error, tweepy.Forbidden):
            if "duplicate" in message.lower() or 187 in error.api_codes:
                return DuplicateContent(f"X refused the text as a duplicate (403): {message}")
            return CredentialsRefused(f"X refused the account this action (403): {message}")
        if isinstance(error, tweepy.TwitterServerError):
            return Unavailable(f"X answered {status}: {message}", maybe_posted=posting)
        return Refused(f"X refused the post ({status}): {message}")
    never_sent = _never_sent(error)
    if never_sent:
        return Unreachable(f"X could not be reached ({never_sent}): nothing was sent")
    if isinstance(error, requests.Timeout):
        return Unavailable("X did not answer in time", maybe_posted=posting)
    return Unavailable(f"X could not be reached: {type(error).__name__}", maybe_posted=posting)


def _never_sent(error: Exception) -> str:
    """Why no byte of the request reached X, if that is certain: the connection itself failed (no
    address for X's name, a refused connection, a proxy or TLS handshake that failed, a connection not
    accepted in time). Empty when the request may have gone out."""
    from urllib3 import exceptions as connection

    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy refused or failed"
    if isinstance(error, requests.exceptions.SSLError):
        return "the secure connection could not be set up"
    if isinstance(error, requests.ConnectTimeout):
        return "the connection was not accepted in time"
    if not isinstance(error, requests.ConnectionError):
        return ""
    cause: object = error.args[0] if error.args else None
    cause = getattr(cause, "reason", cause)  # urllib3 wraps it in a MaxRetryError
    if isinstance(cause, connection.NameResolutionError):
        return "X's address could not be resolved"
    if isinstance(cause, connection.NewConnectionError):
        return "the connection was refused or failed"
    if isinstance(cause, (connection.ConnectTimeoutError, connection.ProxyError, connection.SSLError)):
        return "the connection could not be made"
    return ""


def _raise_for_status(response: Any) -> None:
    """tweepy's own exception for an answer of X's (the media calls are made here, not by tweepy)."""
    import tweepy

    status = response.status_code
    if 200 <= status < 300:
        return
    errors: dict[int, type[Exception]] = {
        400: tweepy.BadRequest,
        401: tweepy.Unauthorized,
        403: tweepy.Forbidden,
        404: tweepy.NotFound,
    }
    if status == 429:
        raise tweepy.TooManyRequests(response)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    raise errors.get(status, tweepy.HTTPException)(response)


def _media_id(answer: dict[str, Any]) -> str:
    data = answer.get("data") or {}
    if not data.get("id"):
        raise Refused("X's media upload answered without a media id")
    return str(data["id"])


class XChannel:
    name = "x"

    def __init__(
        self,
        credentials: XCredentials,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
    ) -> None:
        import tweepy

        self._credentials = credentials
        self._client = tweepy.Client(
            consumer_key=credentials.consumer_key,
            consumer_secret=credentials.consumer_secret,
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
        )
        self._client.session = TimeoutSession(timeout)
        self._sleep = sleep
        self._user_id = credentials.user_id
        self._username = credentials.username

    @classmethod
    def from_secret(cls, secret_name: str, *, sleep: Callable[[float], None] = time.sleep) -> XChannel:
        return cls(load_credentials(secret_name), sleep=sleep)

    def url_of(self, post_id: str) -> str:
        account = self._username or "i/web"
        return f"https://x.com/{account}/status/{post_id}"

    def post(self, text: str, images: Sequence[ImageToPost]) -> Posted:
        import tweepy

        media_ids = [self._upload(image) for image in images]
        try:
            answer = self._client.create_tweet(text=text, media_ids=media_ids or None)
        except (tweepy.TweepyException, requests.RequestException) as error:
            raise translate(error, posting=True) from error
        post_id = str(answer.data["id"])
        return Posted(post_id, self.url_of(post_id), str(answer.data.get("text") or text))

    def find_recent(self, text: str, since: datetime) -> Posted | None:
        import tweepy

        try:
            answer = self._client.get_users_tweets(
                self._account_id(),
                start_time=since,
                max_results=RECENT_POSTS,
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as error:
            raise translate(error, posting=False) from error
        for tweet in answer.data or []:
            if same_post(str(tweet.text), text):
                return Posted(str(tweet.id), self.url_of(str(tweet.id)), str(tweet.text))
        return None

    def _account_id(self) -> str:
        if not self._user_id:
            me = self._client.get_me(user_auth=True)
            self._user_id, self._username = str(me.data.id), str(me.data.username)
        return self._user_id

    # -- images, through X's v2 media endpoints ----------------------------------------------------
    def _upload(self, image: ImageToPost) -> str:
        if image.content_type == "image/gif":
            media_id = self._upload_in_chunks(image)
        else:
            answer = self._call(
                "POST",
                MEDIA_UPLOAD_URL,
                data={"media_category": "tweet_image", "media_type": image.content_type},
                files={"media": ("image", image.data, image.content_type)},
            )
            media_id = _media_id(answer)
        if image.alt.strip():
            metadata = {"alt_text": {"text": image.alt.strip()[:MAX_ALT_TEXT]}}
            self._call("POST", MEDIA_METADATA_URL, json={"id": media_id, "metadata": metadata})
        return media_id

    def _upload_in_chunks(self, image: ImageToPost) -> str:
        """A GIF goes through X's chunked steps (the one-shot upload takes still images only); postdesk's
        images are at most 4 MB, so one segment."""
        started = self._call(
            "POST",
            f"{MEDIA_UPLOAD_URL}/initialize",
            json={
                "media_type": image.content_type,
                "total_bytes": len(image.data),
                "media_category": "tweet_gif",
            },
        )
        media_id = _media_id(started)
        self._call(
            "POST",
            f"{MEDIA_UPLOAD_URL}/{media_id}/append",
            data={"segment_index": "0"},
            files={"media": ("image.gif", image.data, image.content_type)},
        )
        finished = self._call("POST", f"{MEDIA_UPLOAD_URL}/{media_id}/finalize")
        self._wait_for_processing(media_id, finished)
        return media_id

    def _wait_for_processing(self, media_id: str, answer: dict[str, Any]) -> None:
        waited = 0.0
        info = (answer.get("data") or {}).get("processing_info") or {}
        while info.get("state") in ("pending", "in_progress"):
            pause = float(info.get("check_after_secs") or 1)
            waited += pause
            if waited > MAX_PROCESSING_WAIT_SECONDS:
                raise Unavailable("X is still processing the image", maybe_posted=False)
            self._sleep(pause)
            status = self._call("GET", MEDIA_UPLOAD_URL, params={"command": "STATUS", "media_id": media_id})
            info = (status.get("data") or {}).get("processing_info") or {}
        if info.get("state") == "failed":
            reason = (info.get("error") or {}).get("message") or "no reason given"
            raise Refused(f"X could not process the image: {reason}")

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        import tweepy

        credentials = self._credentials
        auth = tweepy.OAuth1UserHandler(
            credentials.consumer_key,
            credentials.consumer_secret,
            credentials.access_token,
            credentials.access_token_secret,
        ).apply_auth()
        try:
            with self._client.session.request(
                method, url, auth=auth, headers={"User-Agent": self._client.user_agent}, **kwargs
            ) as response:
                _raise_for_status(response)
                answer: dict[str, Any] = response.json() if response.content else {}
                return answer
        except (tweepy.TweepyException, requests.RequestException) as error:
            raise translate(error, posting=False) from error
