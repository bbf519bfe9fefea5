"""The give-get referral program: code pools handed out once (pools.py), and the one interface the program asks
for codes through (codes.py), so a store's own API is another provider; what its API answers (models.py)."""

from __future__ import annotations

from typing import Literal

Pool = Literal["friend", "advocate"]
# The friend's offer comes from one pool, the advocate's reward from the other (the route table's
# REFERRAL_POOLS says the same for the path parameter).
POOLS: tuple[Pool, ...] = ("friend", "advocate")
