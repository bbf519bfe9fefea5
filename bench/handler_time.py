"""Handler time per event type, in-process, with DynamoDB stubbed out, as a multiple of a trivial route.

bench/ddb_calls.py records, for each event, the Lambda events the app was invoked with, DynamoDB's answers in
order, and the container's cache of shops and products it started from. Here each event is replayed from that
cache against the Lambda handler (`app.app(event, context)`)
while botocore's before-call hook hands back the recorded answers: no database, no network, no
serialization on the wire, only our code (parsing, signatures, planning, rendering) and the client's
parameter handling. Rounds interleave every event type, so machine noise hits them alike; the figure is
the median per event divided by the median of GET /health in the same run.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ddb_calls import HUGE_ID

if TYPE_CHECKING:
    from bench.ddb_calls import Recording, Results

TRIVIAL = "trivial route (GET /health)"
GOAL_HUGE_ID = 1.0  # a body refused for one field costs no more than a valid order applied
SKIPPED = ("create shop",)  # setup, not an event


class Replay:
    """Answers DynamoDB calls from a recording, in order; a call the recording did not make is an error."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int, Any]] = []
        self.position = 0

    def load(self, recording: Recording) -> None:
        self.answers = recording.answers
        self.position = 0

    def answer(self, model: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        if self.position >= len(self.answers):
            raise AssertionError(f"replay ran out of answers at {model.name}")
        name, status, parsed = self.answers[self.position]
        if name != model.name:
            raise AssertionError(f"replay expected {name}, the handler called {model.name}")
        self.position += 1
        return AWSResponse("https://dynamodb.stub", status, {}, None), _fresh(parsed)


def _fresh(parsed: Any) -> Any:
    """A copy the handler may change without changing the recording (cheap: only containers)."""
    if isinstance(parsed, dict):
        return {k: _fresh(v) for k, v in parsed.items()}
    if isinstance(parsed, list):
        return [_fresh(v) for v in parsed]
    return parsed


@contextmanager
def stubbed(client: Any) -> Iterator[Replay]:
    replay = Replay()
    client.meta.events.register_first("before-call.dynamodb", replay.answer)
    try:
        yield replay
    finally:
        client.meta.events.unregister("before-call.dynamodb", replay.answer)


@dataclass
class Replayed:
    """One recording replayed: its time, the status of each answer, and what the action returned."""

    seconds: float
    statuses: list[int]
    outcome: Any


def replay_once(replay: Replay, recording: Recording, context: Any) -> Replayed:
    """Replays one recording from the state it was recorded in (the container's cache of shops and products as
    it was then: empty for a new container's click, holding them for a warm one's). Fails unless every answer
    has the status it had and the handler made exactly the recorded DynamoDB calls, in order."""
    import app
    from chalicelib.store.table import get_table

    get_table().recent.restore(recording.cache)
    replay.load(recording)
    answers: list[dict[str, Any]] = []
    outcome = None
    started = time.perf_counter()
    if recording.events:
        for event in recording.events:
            answers.append(app.app(_fresh(event), context))
    else:
        outcome = recording.action()
    elapsed = time.perf_counter() - started
    statuses = [answer["statusCode"] for answer in answers]
    if statuses != recording.statuses:
        bodies = [answer["body"][:300] for answer in answers]
        raise AssertionError(f"replay answered {statuses}, the recording {recording.statuses}: {bodies}")
    if replay.position != len(replay.answers):
        raise AssertionError(f"replay used {replay.position} of {len(replay.answers)} answers")
    if outcome != recording.outcome and not recording.events:
        raise AssertionError(f"replay's action returned {outcome!r}, the recording's {recording.outcome!r}")
    return Replayed(elapsed, statuses, outcome)


def measure(results: Results, rounds: int = 60) -> dict[str, float]:
    """Median seconds per event type (per request for the due job), from bench.ddb_calls' recordings."""
    from chalice.local import LambdaContext

    from chalicelib.store.table import get_client

    context = LambdaContext("api_handler", 1024)
    labels = [label for label in results.recordings if label not in SKIPPED]
    samples: dict[str, list[float]] = {label: [] for label in labels}
    per_request = {label: int(label.split()[2]) if label.startswith("due job") else 1 for label in labels}

    with stubbed(get_client()) as replay:
        for label in labels:  # warm every path once
            replay_once(replay, results.recordings[label], context)
        for _ in range(rounds):
            gc.collect()  # between rounds, never inside a timing
            gc.disable()
            try:
                for label in labels:
                    seconds = replay_once(replay, results.recordings[label], context).seconds
                    samples[label].append(seconds / per_request[label])
            finally:
                gc.enable()
    return {label: statistics.median(times) for label, times in samples.items()}


def report(medians: dict[str, float]) -> list[str]:
    floor = medians[TRIVIAL]
    lines = [
        "Handler time per event, DynamoDB stubbed out (recorded answers replayed), median of interleaved rounds",
        f"  {TRIVIAL:<30} {floor * 1e3:7.3f} ms   1.0x (the baseline)",
    ]
    for label, seconds in medians.items():
        if label != TRIVIAL:
            unit = " per request" if label.startswith("due job") else ""
            lines.append(f"  {label:<30} {seconds * 1e3:7.3f} ms {seconds / floor:5.1f}x{unit}")
    huge, order = medians.get(HUGE_ID), medians.get("order webhook (new order)")
    if huge is not None and order:
        # int("1E+1000000") alone would take about half a minute: the refusal must come before any such number.
        verdict = "ok" if huge <= GOAL_HUGE_ID * order else "OVER"
        lines.append(
            f"  {HUGE_ID} (refused, 422) / a valid new order: {huge / order:.2f}x (goal <= {GOAL_HUGE_ID:g}x) {verdict}"
        )
    return lines


def run() -> list[str]:
    """Standalone: record on moto (bench.ddb_calls), then replay (no database needed any more)."""
    from bench import ddb_calls

    ddb_calls.use_environment()
    return report(measure(ddb_calls.run()))


if __name__ == "__main__":
    print("\n".join(run()))
