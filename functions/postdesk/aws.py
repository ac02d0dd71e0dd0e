"""What every AWS client of the package shares: timeouts and retries (boto3's defaults wait a minute
per call, longer than a person at a page or a morning run's budget allows)."""

from __future__ import annotations

from botocore.config import Config

AWS_TIMEOUTS = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
