"""The local channel's timeline holds when the local stack publishes from several processes at once (its
functions run in execution environments of their own): every post lands whole, once."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from postdesk.channels.local import LocalTimeline, read_timeline

if TYPE_CHECKING:
    from pathlib import Path

POSTS_PER_PROCESS = 100
PROCESSES = 4


def _publish(path: str, writer: int, start: multiprocessing.synchronize.Event) -> None:
    from pathlib import Path

    timeline = LocalTimeline(Path(path), "http://127.0.0.1:8110", clock=lambda: datetime.now(UTC))
    start.wait()
    for number in range(POSTS_PER_PROCESS):
        # Long texts, so that a line takes more than one write of the file's buffer
        timeline.post(f"{writer}/{number} " + "é" * 30000, [])
        if number % 5 == 0:
            read_timeline(Path(path))  # readers at the same time see only whole lines


def test_posts_from_several_processes_at_once_all_land_whole_on_the_timeline(tmp_path: Path) -> None:
    # Given the same timeline file, and processes that publish to it at the same moment
    path = tmp_path / "timeline.jsonl"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [context.Process(target=_publish, args=(str(path), n, start)) for n in range(PROCESSES)]
    for process in processes:
        process.start()

    # When they all publish
    start.set()
    for process in processes:
        process.join(timeout=120)

    # Then every post is on the timeline once, whole
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    texts = [post.text.split(" ")[0] for post in read_timeline(path)]
    assert sorted(texts) == sorted(f"{w}/{n}" for w in range(PROCESSES) for n in range(POSTS_PER_PROCESS))
