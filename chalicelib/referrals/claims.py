"""A friend claims the give-get offer through an advocate's share link: who may, which code they get, and when.

A claim is one per mailbox and shop: the same mailbox claiming again gets the same answer, whoever's link it came
through. It is refused for an invalid address, the advocate's own mailbox, a customer who has ordered before (when
the program is for new customers only) and a visitor past CLAIMS_PER_VISITOR_DAY today. A claim is counted once
(funnel `friend_claims`), in the same transaction that keeps it. When the friends' pool is empty the claim is kept
waiting; the due work (`send_friend_codes`) hands it a code once the pool is refilled and sends the one email that
carries it, after which only the keyed hash of the friend's mailbox remains. With codes made by the shop's store the
claim always waits so: the store is called by the due work only, never in the friend's request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.referrals.offers import friend_holder, friend_key, offer_of, shop_with_code
from chalicelib.store import claims, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.referrals import Pool
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

FRIEND_POOL: Pool = "friend"
WAITING_RETRY = timedelta(minutes=30)  # a waiting claim looks at its pool again this often
FAILED_RETRY = timedelta(minutes=15)  # a claim whose email failed is tried again after this
REFUSED_RETRY = timedelta(hours=6)  # a claim whose store refused to make its code (a revoked key...): until fixed
DUE_PAGE = 25


@dataclass(frozen=True)
class ClaimAnswer:
    """What the friend is told: their code (None: it follows by email), the offer and where to shop with it."""

    code: str | None
    status: str  # "ready" | "waiting_for_code"
    offer: dict[str, Any]
    continue_url: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status, "offer": self.offer, "continue_url": self.continue_url}


def _answer(shop: Shop, code: str | None, destination: str) -> ClaimAnswer:
    return ClaimAnswer(
        code=code,
        status="ready" if code else "waiting_for_code",
        offer=offer_of(shop),
        continue_url=shop_with_code(shop, code, destination),
    )


def claim(
    table: Table,
    shop: Shop,
    share: dict[str, Any],
    email: object,
    visitor: str,
    language: str,
    destination: str,
) -> ClaimAnswer:
    """The friend's claim through the share link `share` (its code item), refused or answered."""
    from chalicelib.customer_index import email_token
    from chalicelib.mail.mailbox import mailbox
    from chalicelib.signing import email_hash, guest_customer_id

    if not shop.settings.referral.enabled:
        raise errors.NotFound("this shop has no friend offer", code="program_off")
    from chalicelib.experiments.assignment import offer_assignment, offer_values, with_offers

    assigned = offer_assignment(shop, visitor)  # {} without a running offer experiment
    offers = offer_values(shop, assigned)
    address = mailbox(email)
    if address is None:
        raise errors.ValidationFailed("enter one valid email address", code="invalid_email")
    friend = friend_key(address)
    known = claims.read(table, shop.shop_id, friend)
    if known is not None:
        return _answer(with_offers(shop, known.offers), known.code, destination)
    matching = email_hash(address)
    if share.get("customer_id") == guest_customer_id(address, "") or (
        share.get("email_hash") and share.get("email_hash") == matching
    ):
        raise errors.Conflict("this is your own link: share it with a friend", code="self_referral")
    if shop.settings.referral.new_customers_only and claims.has_customer(
        table, shop.shop_id, email_token(matching or "")
    ):
        raise errors.Conflict("the offer is for a first order", code="not_new_customer")
    now = clock.now()
    if not claims.count_visitor_claim(
        table,
        visitor,
        now.date().isoformat(),
        keys.CLAIMS_PER_VISITOR_DAY,
        clock.epoch() + keys.CLAIM_LIMIT_TTL_SECONDS,
    ):
        raise errors.TooManyRequests(
            "too many claims from this browser today; try again tomorrow",
            code="too_many_claims",
            retry_after=_seconds_to_midnight(now),
        )
    from chalicelib.referrals.codes import code_source

    offered = with_offers(shop, offers)  # the visitor's variant of the offer: what the claim is made with
    code = code_source(table, shop.settings.referral.codes).claim(offered, FRIEND_POOL, friend_holder(friend))
    record = claims.FriendClaim(
        shop_id=shop.shop_id,
        friend=friend,
        share_code=str(share["code"]),
        advocate_id=str(share.get("customer_id") or ""),
        code=code,
        language=language,
        created_at=clock.iso(now),
        email=address,
        mailed_at=None,
        destination=destination,
        visitor=visitor,
        experiments=assigned or None,
        offers=offers or None,
    )
    try:
        _keep(table, shop, record, share)
    except ConditionFailed:
        known = claims.read(table, shop.shop_id, friend)  # the same mailbox, a moment earlier
        if known is None:
            raise errors.RetryLater("the claim could not be kept; try again") from None
        return _answer(with_offers(shop, known.offers), known.code, destination)
    return _answer(offered, code, destination)


def _keep(table: Table, shop: Shop, record: claims.FriendClaim, share: dict[str, Any]) -> None:
    """Keep the claim; while offer experiments run, count its visitor as a unit (once, its own call, as the
    friend's page does) and its claim once per visitor, in the claim's own transaction (a visitor's second
    mailbox is kept uncounted)."""
    ops: list[Any] = list(_claim_ops(table, shop, record, share))
    if not record.experiments or not record.visitor:
        table.transact(ops)
        return
    from chalicelib.experiments.assignment import closes
    from chalicelib.store import experiments

    assigned, visitor, at = record.experiments, record.visitor, record.created_at
    experiments.count_units(table, shop.shop_id, assigned, visitor, at, closes(shop, assigned, at))
    try:  # the counts' shards drawn again after a collision with a friend's page counting on the same one
        experiments.transact_drawing_again(
            table, lambda: [*ops, *experiments.claim_count_ops(table, shop.shop_id, assigned, visitor, at)]
        )
    except ConditionFailed as exc:
        if not exc.failed("experiment"):
            raise
        table.transact(ops)


def _claim_ops(table: Table, shop: Shop, record: claims.FriendClaim, share: dict[str, Any]) -> list[dict[str, Any]]:
    from chalicelib.outbound import event_op
    from chalicelib.store import aggregates, referral_codes

    day = clock.local_day(record.created_at, shop.timezone)
    ops = [
        claims.put_op(table, record, record.created_at),
        aggregates.add_op(table, shop.shop_id, day, {"friend_claims": 1}),
        referral_codes.claim_counted_op(table, shop.shop_id),
    ]
    event = event_op(
        table,
        shop,
        "friend.claimed",
        {
            "share_code": record.share_code,
            "advocate_id": record.advocate_id,
            "status": "ready" if record.code else "waiting_for_code",
        },
    )
    return ops + ([event] if event else [])


def _seconds_to_midnight(now: Any) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - now).total_seconds()))


def send_friend_codes(table: Table, budget: Budget | None = None) -> int:
    """The due work: hand waiting claims a code once their pool has one, and send each claim's one email.

    A claim whose pool is still empty waits WAITING_RETRY; one whose email fails is tried again after FAILED_RETRY,
    and one whose store did not make its code as long as the store asked (REFUSED_RETRY when it refused outright);
    none keeps the claims after it from their turn."""
    from chalicelib.experiments.assignment import with_offers
    from chalicelib.observability import logger
    from chalicelib.referrals.codes import code_source
    from chalicelib.store.shop_records import get_shop

    now = clock.now()
    handled = 0
    for record in claims.due(table, clock.iso(now), DUE_PAGE):
        if budget is not None and budget.spent():
            break
        handled += 1
        try:
            shop = get_shop(table, record.shop_id)
            if shop is None:  # the shop was erased since: nothing to send, nobody to send it for
                claims.mailed(table, record, clock.iso(now))
                continue
            current = record
            if current.code is None:
                code = code_source(table, shop.settings.referral.codes, due_work=True).claim(
                    with_offers(shop, record.offers), FRIEND_POOL, friend_holder(record.friend), email=record.email
                )
                if code is None:
                    claims.put_off(table, record, clock.iso(now + WAITING_RETRY))
                    continue
                claims.give_code(table, record, code)
                current = replace(record, code=code)
            if current.email:
                _mail_code(shop, current)
            claims.mailed(table, current, clock.iso(now))
        except Exception as exc:  # noqa: BLE001 - one claim's failure never stops the others
            logger.warning("friend's code not sent yet", extra={"shop_id": record.shop_id, "reason": repr(exc)})
            try:
                claims.put_off(table, record, clock.iso(now + _retry_after(exc)))
            except Exception:  # noqa: BLE001
                logger.exception("friend's claim not put off")
    return handled


def _retry_after(exc: Exception) -> timedelta:
    """How long a claim whose turn failed waits: longer when its store refused outright (a revoked key, a refused
    discount: the owner has to act), as long as the store asked when it said, else FAILED_RETRY."""
    from chalicelib.referrals.store_codes import StoreCodeFailed

    if isinstance(exc, StoreCodeFailed):
        if not exc.retryable:
            return REFUSED_RETRY
        if exc.retry_after:
            return max(FAILED_RETRY, timedelta(seconds=exc.retry_after))
    return FAILED_RETRY


def _mail_code(shop: Shop, record: claims.FriendClaim) -> None:
    from chalicelib.mail import get_mailer
    from chalicelib.referrals.emails import compose_friend_code

    assert record.email is not None and record.code is not None
    from chalicelib.experiments.assignment import with_offers

    message = compose_friend_code(with_offers(shop, record.offers), record)
    get_mailer().send(message, to=record.email)
