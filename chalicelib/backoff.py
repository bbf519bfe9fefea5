"""How long a due item that failed waits before its next attempt, and when it is parked instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """The waits after each failure in turn; the failure after the last wait parks the item.

    Bounded on purpose: an item that fails that often will not pass by itself (a bad address, a file that
    cannot be read, an endpoint that is gone), and trying it for ever costs every run a slot of its page."""

    waits: tuple[timedelta, ...]

    @classmethod
    def doubling(cls, first: timedelta, longest: timedelta, attempts: int) -> Backoff:
        """`first`, then twice as long each time up to `longest`; parked at the `attempts`-th failure."""
        return cls(tuple(min(first * 2**n, longest) for n in range(max(attempts - 1, 0))))

    @property
    def attempts(self) -> int:
        """Failures an item may have in all: the last of them parks it."""
        return len(self.waits) + 1

    def wait_after(self, failures: int) -> timedelta | None:
        """How long an item waits after its `failures`-th failure (1 for the first); None: park it."""
        if failures < 1:
            raise ValueError("a wait follows a failure: failures counts from 1")
        return self.waits[failures - 1] if failures <= len(self.waits) else None


# Each due job's own: how soon a retry may pass, and how long the owner can wait to hear of it.
REVIEW_REQUESTS = Backoff.doubling(timedelta(minutes=15), timedelta(hours=6), attempts=8)  # ~20 hours in all
OUTBOUND_EVENTS = Backoff(
    tuple(timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600))
)  # 8 attempts, ~11 hours: a receiver down for a deploy or a night still gets every event
PHOTOS = Backoff.doubling(timedelta(minutes=1), timedelta(hours=1), attempts=8)  # ~2 hours, within the upload's day
SHARE_CARDS = Backoff.doubling(timedelta(minutes=5), timedelta(hours=6), attempts=16)  # ~2.5 days: a preview nicety
IMPORTS = Backoff.doubling(timedelta(minutes=1), timedelta(hours=1), attempts=8)
ERASURES = Backoff.doubling(timedelta(minutes=10), timedelta(hours=6), attempts=8)  # the law's month has room
REWARDS = Backoff.doubling(timedelta(minutes=15), timedelta(hours=6), attempts=8)  # ~20 hours: a reward waits a day
EXPERIMENT_UNITS = Backoff.doubling(timedelta(minutes=15), timedelta(hours=6), attempts=8)  # ~20 hours: a result waits
STORE_RATINGS = Backoff.doubling(timedelta(minutes=2), timedelta(hours=2), attempts=8)  # ~5 hours: stars wait
# The owner's digest of unhappy reviews waiting: tried again within the day; after that, the next day's lists them.
ANSWER_DIGESTS = Backoff.doubling(timedelta(minutes=15), timedelta(hours=4), attempts=6)  # ~8 hours
ANSWER_FIGURES = Backoff.doubling(timedelta(minutes=10), timedelta(hours=4), attempts=6)  # then once a day
