"""What every AWS client of the package shares: timeouts and retries (boto3's defaults wait a minute
per call, longer than a person at a page or a morning run's budget allows), and botocore's reading of
the AWS service models."""

from __future__ import annotations

import threading

import botocore.loaders
import botocore.session
from botocore.config import Config

AWS_TIMEOUTS = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})

_loaders: dict[str | None, botocore.loaders.Loader] = {}
_loaders_lock = threading.Lock()


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    with _loaders_lock:
        if search_path_string not in _loaders:
            _loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return _loaders[search_path_string]


def share_service_models() -> None:
    """Make every botocore session of this process read the AWS service models through one loader.

    A process holds several sessions: boto3's default one, the one pynamodb builds for each connection
    and thread, the one each Powertools parameter provider builds. Each new session makes a loader of
    its own, which lists botocore's data folders and parses each service's JSON model and endpoint
    rules again, a large part of building a session's first client: paid on every cold start and
    again by each later session. Within one session botocore already hands one loader's models to all
    its clients and threads, so they are read-only to botocore; this extends that to sessions (a
    different `AWS_DATA_PATH` still gets its own loader). Idempotent.

    Written against botocore 1.44, whose `Session._register_data_loader` builds the loader by calling
    `botocore.session.create_loader(data_path)`: tests/unit/test_aws_service_models.py checks it."""
    botocore.session.create_loader = _shared_loader
