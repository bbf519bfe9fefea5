"""A time budget for a run of due work, so a run ends on its own before Lambda's timeout cuts it off.

Every due job claims an item, then acts on it (sends the email, posts the event). A run killed by the
timeout between the two would leave an item claimed and never acted on. With a budget, a job finishes
the item in hand and takes no new one once the budget is spent; the next run goes on from there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Budget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ends_at = clock() + max(seconds, 0.0)
        self.cut_short = False  # a job stopped with work left because the budget was spent

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(math.inf)

    def spent(self) -> bool:
        """Ask before taking each new item; a True answer means stop (and is remembered as work left)."""
        if self._clock() >= self._ends_at:
            self.cut_short = True
            return True
        return False
