"""Handler time per event type, in-process, with DynamoDB stubbed out, as a multiple of a trivial route.

bench/ddb_calls.py records, for each event, the Lambda events the app was invoked with and DynamoDB's
answers in order. Here each event is replayed against the Lambda handler (`app.app(event, context)`)
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from bench.ddb_calls import Recording, Results

TRIVIAL = "trivial route (GET /health)"
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


def measure(results: Results, rounds: int = 60) -> dict[str, float]:
    """Median seconds per event type (per request for the due job), from bench.ddb_calls' recordings."""
    from chalice.local import LambdaContext

    import app
    from chalicelib.store.table import get_client

    context = LambdaContext("api_handler", 1024)
    labels = [label for label in results.recordings if label not in SKIPPED]
    samples: dict[str, list[float]] = {label: [] for label in labels}
    per_request = {label: int(label.split()[2]) if label.startswith("due job") else 1 for label in labels}

    with stubbed(get_client()) as replay:

        def once(recording: Recording) -> float:
            replay.load(recording)
            started = time.perf_counter()
            if recording.events:
                for event in recording.events:
                    response = app.app(_fresh(event), context)
                    if response["statusCode"] >= 500:
                        raise AssertionError(f"replay answered {response['statusCode']}: {response['body'][:300]}")
            else:
                recording.action()
            elapsed = time.perf_counter() - started
            if replay.position != len(replay.answers):
                raise AssertionError(f"replay used {replay.position} of {len(replay.answers)} answers")
            return elapsed

        for label in labels:  # warm every path once
            once(results.recordings[label])
        for _ in range(rounds):
            gc.collect()  # between rounds, never inside a timing
            gc.disable()
            try:
                for label in labels:
                    samples[label].append(once(results.recordings[label]) / per_request[label])
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
    return lines


def run() -> list[str]:
    """Standalone: record on moto (bench.ddb_calls), then replay (no database needed any more)."""
    from bench import ddb_calls

    return report(measure(ddb_calls.run()))


if __name__ == "__main__":
    print("\n".join(run()))
