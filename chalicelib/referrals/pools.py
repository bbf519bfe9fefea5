"""Code pools: the codes an owner uploads (made in bulk in their store's admin), each handed to one holder once.

A shop has two pools, `friend` (the friend's offer) and `advocate` (the advocate's reward). A code is in one pool
at most: a code already in either is `already`, and codes are compared without regard to case (`abc` is `ABC`,
as the platforms apply them), though each keeps the case it was first uploaded with. The counters (available,
handed out) move in the transactions that add and hand out codes, so they are exact (chalicelib/store/referral_codes.py,
patterns 51 to 53). Each change emits the pool's available count as a metric, which the packaged template's
ReferralCodesLow alarm watches.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib import errors
from chalicelib.referrals import POOLS
from chalicelib.store import keys
from chalicelib.store import referral_codes as codes
from chalicelib.store.table import TransactionConflict

if TYPE_CHECKING:
    from chalicelib.store.table import Table

T = TypeVar("T")

CODE_LENGTH = 64
CODE = re.compile(r"[A-Za-z0-9_-]+")
HEADER = "code"  # an optional first line naming the column
MAX_CODES = 10_000  # codes a request: more is refused (413), the owner sends several files
# Bytes of a request: 10,000 codes of 64 characters and their line ends, with room for spaces and quotes.
MAX_UPLOAD_BYTES = 1024 * 1024
HOLDER_LENGTH = 256  # a holder is ours (an email's keyed hash, a reward's id): well within a sort key
LOW_CODES = 20  # fewer available than this: the owner should refill (the alarm's threshold, a warning in the log)
# The metric of each pool's available codes (emitted on every change; the alarm takes their minimum).
AVAILABLE_METRICS = {"friend": "ReferralFriendCodesAvailable", "advocate": "ReferralAdvocateCodesAvailable"}
PARALLEL_FROM = 200  # new codes in a request from which each shard is written by a thread of its own
WRITE_ATTEMPTS = 6  # a group's transaction that met a claim on its counter, tried again
CLAIM_ATTEMPTS = 50  # hand-outs a claim tries (another claimant took the code) before it asks to come back


@dataclass
class Upload:
    """What an upload did: codes added, codes some pool already had (or this request named twice), lines
    refused with their reason, and the pool's available count after it."""

    added: int = 0
    already: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    available: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "already": self.already, "rejected": self.rejected, "available": self.available}


@dataclass
class Parsed:
    """The codes of a request in order (line, code), and the lines refused."""

    codes: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def check_pool(pool: str) -> None:
    if pool not in POOLS:
        raise errors.NotFound(f"no pool {pool!r}; the pools are {', '.join(POOLS)}", code="unknown_pool")


def parse_codes(text: str) -> Parsed:
    """One code a line, blank lines skipped, a first line `code` read as the header. A code is 1 to 64 of
    A-Z, a-z, 0-9, `_` and `-`; spaces around it and one pair of double quotes (a CSV cell) are taken off.
    Lines are numbered from 1 as an editor shows them, the header counted."""
    parsed = Parsed()
    seen_first = False
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        value = line.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].strip()
        if not value:
            continue
        if not seen_first:
            seen_first = True
            if value.lower() == HEADER:
                continue
        if len(parsed.codes) + len(parsed.rejected) >= MAX_CODES:
            raise errors.PayloadTooLarge(
                f"at most {MAX_CODES} codes a request; send the rest in another", code="too_many_codes"
            )
        if len(value) > CODE_LENGTH:
            parsed.rejected.append({"line": number, "reason": "too_long"})
        elif not CODE.fullmatch(value):
            parsed.rejected.append({"line": number, "reason": "invalid_characters"})
        else:
            parsed.codes.append((number, value))
    return parsed


def add_codes(table: Table, shop_id: str, pool: str, text: str) -> Upload:
    """Add the request's codes to the pool: each code once, in either pool, the counters with them."""
    check_pool(pool)
    parsed = parse_codes(text)
    if not parsed.codes and not parsed.rejected:
        raise errors.ValidationFailed("send one code a line (a first line `code` is allowed)", code="no_codes")
    upload = Upload(rejected=parsed.rejected)
    by_shard: dict[int, list[str]] = {}
    named: set[str] = set()
    for _, code in parsed.codes:
        if keys.referral_code_id(code) in named:
            upload.already += 1  # named twice in this request: the first one counts
            continue
        named.add(keys.referral_code_id(code))
        by_shard.setdefault(keys.referral_pool_shard(code), []).append(code)

    def write_shard(shard: int) -> tuple[int, int]:
        shard_codes = by_shard[shard]
        added = already = 0
        for start in range(0, len(shard_codes), codes.CODES_PER_TRANSACTION):
            group = shard_codes[start : start + codes.CODES_PER_TRANSACTION]
            written = _again(partial(codes.write_codes, table, shop_id, pool, shard, group))
            added += len(written.added)
            already += len(written.already)
        return added, already

    if len(named) >= PARALLEL_FROM and len(by_shard) > 1:
        # Each shard's codes and counter are its own: the threads never write one item.
        with ThreadPoolExecutor(max_workers=len(by_shard)) as pool_of_threads:
            results = list(pool_of_threads.map(write_shard, sorted(by_shard)))
    else:
        results = [write_shard(shard) for shard in sorted(by_shard)]
    upload.added = sum(added for added, _ in results)
    upload.already += sum(already for _, already in results)
    upload.available = codes.pool_counts(table, shop_id, (pool,))[pool][codes.AVAILABLE]
    emit_available(shop_id, pool, upload.available)
    return upload


def _again(write: Callable[[], T]) -> T:
    """A write that met a claim on the same counter (or a busy table), tried again after a short wait."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except (TransactionConflict, errors.RetryLater):
            if attempt == WRITE_ATTEMPTS - 1:
                raise
            _pause(attempt)
    raise AssertionError("unreachable")


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))  # noqa: S311 - jitter only


def pool_counts(table: Table, shop_id: str) -> dict[str, dict[str, int]]:
    """Every pool's available and handed-out counts."""
    return codes.pool_counts(table, shop_id, POOLS)


def claim_code(table: Table, shop_id: str, pool: str, holder: str) -> str | None:
    """Hand one available code of the pool to `holder`, or None when the pool has none.

    A code goes to one holder only, however many claim at once: each hand-out is a transaction conditioned on the
    code still being available, and a claimant that loses a code tries another. The same holder claiming again
    (or twice at once) gets the same code: the holder's record is written in the hand-out's transaction, on the
    condition that there is none yet. `holder` is the caller's own identifier of whoever gets the code (a keyed
    hash of the friend's email, a reward's id), at most HOLDER_LENGTH characters."""
    check_pool(pool)
    if not holder or len(holder) > HOLDER_LENGTH:
        raise ValueError(f"a holder is 1 to {HOLDER_LENGTH} characters")
    tried: set[str] = set()
    for attempt in range(CLAIM_ATTEMPTS):
        held, available = codes.claim_state(table, shop_id, pool, holder)
        if held is not None:
            return held
        if available <= 0:
            return None
        candidates = _candidates(table, shop_id, pool, tried)
        if not candidates:
            _pause(attempt)  # the index lags a moment behind codes just added or handed out
            continue
        code = random.choice(candidates)  # noqa: S311 - spreads claimants over the codes, nothing secret
        outcome = codes.hand_out(table, shop_id, pool, code, holder)
        if outcome == codes.HANDED_OUT:
            emit_available(shop_id, pool, available - 1)
            return code
        if outcome == "holder_has_one":
            held = codes.held_code(table, shop_id, pool, holder)
            if held is not None:
                return held
        elif outcome == "code_taken":
            tried.add(keys.referral_code_id(code))
        _pause(attempt)
    raise errors.RetryLater("too many claims on this pool at once; try again")


def _candidates(table: Table, shop_id: str, pool: str, tried: set[str]) -> list[str]:
    """Available codes of the first shard (a random one first) that lists some not tried yet."""
    first = random.randrange(keys.REFERRAL_POOL_SHARDS)  # noqa: S311 - spreads claimants over the shards
    for step in range(keys.REFERRAL_POOL_SHARDS):
        shard = (first + step) % keys.REFERRAL_POOL_SHARDS
        listed = codes.available_codes(table, shop_id, pool, shard)
        found = [code for code in listed if keys.referral_code_id(code) not in tried]
        if found:
            return found
    return []


def emit_available(shop_id: str, pool: str, available: int) -> None:
    """The pool's available count as its metric (the ReferralCodesLow alarm's), and a warning below LOW_CODES."""
    from chalicelib.observability import logger, metrics

    metrics.add_metric(name=AVAILABLE_METRICS[pool], unit="Count", value=max(available, 0))
    if available < LOW_CODES:
        logger.warning("referral codes low", extra={"shop_id": shop_id, "pool": pool, "available": available})
