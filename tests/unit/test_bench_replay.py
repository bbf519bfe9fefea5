"""The bench's replay of recorded events (bench/handler_time.py) runs, so `make bench` gets past its call counts.

Counts and outcomes only: timings belong to `make bench`, where they are ratios measured in one run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One event of each kind, recorded on moto the way `make bench` records them, in this module's environment
    (recorded once: the replays do not change it)."""
    from bench import ddb_calls
    from chalicelib import observability  # noqa: F401 - its logger is built now, at the tests' own log level
    from chalicelib.config import reset_settings
    from chalicelib.store.table import reset_table

    with pytest.MonkeyPatch.context() as patch:
        for name, value in ddb_calls.ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.setenv("PROOFLOOP_OUTBOX", str(tmp_path_factory.mktemp("bench-outbox")))
        patch.delenv("DYNAMODB_ENDPOINT", raising=False)
        reset_settings()
        reset_table()
        try:
            yield ddb_calls.run(each_kind_once=True)
        finally:
            reset_table()
            reset_settings()


def test_every_recorded_event_replays_with_its_status_and_its_calls(recorded):
    from chalice.local import LambdaContext

    from bench.handler_time import replay_once, stubbed
    from chalicelib.store.table import get_client

    # Given one recording of each kind of event: webhooks, reviews, a share, clicks, the due job, a report
    assert {
        "order webhook (new order)",
        "refund webhook",
        "review submission (happy)",
        "share",
        "click (new container)",
        "click (counted)",
        "referred order webhook",
        "due job, 10 requests",
        "report, 1x events",
    } <= set(recorded.recordings)
    counted = dict(recorded)
    with stubbed(get_client()) as replay:
        for label, recording in recorded.recordings.items():
            # When it is replayed against the Lambda handler with DynamoDB's recorded answers
            replayed = replay_once(replay, recording, LambdaContext("api_handler", 1024))
            # Then each answer has its recorded status, and the handler made exactly the recorded calls
            assert replayed.statuses == recording.statuses, label
            assert all(status < 500 for status in replayed.statuses), label
            assert replay.position == len(recording.answers), label
            calls = sum(n for name, n in counted[label].items() if not name.startswith("~"))
            assert len(recording.answers) == calls, label
    # And the due job sent its ten review requests again, as when it was recorded
    assert recorded.recordings["due job, 10 requests"].outcome == 10


def test_a_click_replays_from_the_cache_it_was_recorded_with(recorded):
    from chalice.local import LambdaContext

    from bench.handler_time import replay_once, stubbed
    from chalicelib.store.table import get_client, get_table

    # Given a new container's click (its shop and product not yet read) recorded after a warm click was replayed
    new, warm = recorded.recordings["click (new container)"], recorded.recordings["click (counted)"]
    assert [name for name, _, _ in new.answers] == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert [name for name, _, _ in warm.answers] == ["GetItem", "TransactWriteItems"]
    context = LambdaContext("api_handler", 1024)
    with stubbed(get_client()) as replay:
        replay_once(replay, warm, context)
        assert get_table().recent.snapshot()  # the container now holds the shop and product
        # When the new container's click is replayed, and the warm one after it
        cold_again = replay_once(replay, new, context)
        warm_again = replay_once(replay, warm, context)
    # Then each starts from its own recorded cache and answers as recorded (a redirect each)
    assert cold_again.statuses == new.statuses == [302]
    assert warm_again.statuses == warm.statuses == [302]
