"""Privacy requests: erase a customer's personal data, answer a data request, erase a whole shop.

A customer's name, email and email hash live on their record, their orders (with the landing URL and
the codes they typed), the author of their reviews and their share code; as a referred friend, in their claims of a
shop's offer (by the keyed hash of their mailbox) and as the holder of the codes handed to them. Erasure rewrites
those items (the claims and the holders' records go) and nothing else: counters never held personal data, so every
number in every report stays exact, the reviews stay published and the share link keeps working and counting.
Outbound events carry ids, ratings and review text only, never a name or an email, so waiting events need no
rewrite. As an advocate, their rewards' own items go and their rewards name `erased` (kept, counted); the keyed
hashes of their shipping addresses go with their record and orders. A shop's erasure also deletes its friends'
claims, its pools' codes and their counters, and its rewards.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from chalicelib.budget import Budget
from chalicelib.reviews import ANONYMOUS
from chalicelib.store import codes, customers, due, erasure, keys
from chalicelib.store import orders as order_records
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table
    from chalicelib.webhooks.events import CustomerRedactEvent, DataRequestEvent, Event

MAX_LISTED_ORDERS = 1000  # orders a data request lists (the owner reads the customer's record for the rest)
TRANSACT_LIMIT = 100  # actions in one TransactWriteItems
ORDER_PAGE = 100  # orders read (one BatchGet) and erased (one transaction) at a time
# A webhook erases inline for this long, then leaves the rest of a customer's orders to the due work:
# Shopify waits 5 s for an answer. The record, reviews and share code always go first, inline.
INLINE_SECONDS = 2.0


def _customer_id(customer_id: str | None, email: str | None) -> str | None:
    from chalicelib.signing import guest_customer_id

    if customer_id:
        return customer_id
    return guest_customer_id(email, "") if email else None


def _now() -> str:
    from chalicelib import clock

    return clock.iso()


def _write(table: Table, operations: list[dict[str, Any]]) -> None:
    """Erasure updates, up to 100 to a request (DynamoDB has no batched UpdateItem). Each update stands
    alone, so a batch refused for one item (changed meanwhile, busy) is written one update at a time."""
    from chalicelib.store.table import TransactionConflict

    for start in range(0, len(operations), TRANSACT_LIMIT):
        batch = operations[start : start + TRANSACT_LIMIT]
        try:
            table.transact(batch)
        except (ConditionFailed, TransactionConflict):
            for operation in batch:
                with suppress(ConditionFailed):  # gone meanwhile: nothing left to erase there
                    table.apply(operation)


def _profile_operations(
    table: Table, shop_id: str, customer_id: str, customer: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]]:
    """What anyone can see first: the customer's record, the author of their reviews, their share link
    (returned too: its card goes with their photos); and, in the same read, their rewards' items as advocate
    (returned for `_reward_operations`)."""
    from chalicelib.customer_index import erasure_ops

    if customer is None:
        return [], None, []
    their_code = None
    ops = []
    if _customer_needs_erasure(customer):
        # The console's search lookups (keyed hashes of their name words and emails) go with them.
        tokens = set(customer.get("find_tokens") or ())
        ops.append(customers.erasure_op(table, shop_id, customer_id, tokens, _now()))
        ops += erasure_ops(table, shop_id, customer)
    wanted = [keys.review_key(shop_id, r) for r in sorted(customer.get("review_ids") or ())]
    if customer.get("share_code"):
        wanted.append(keys.code_key(str(customer["share_code"])))
    wanted += _advocate_keys(shop_id, customer_id, customer)
    read = table.get_many(wanted, consistent=True) if wanted else []
    for item in read:
        if item.get("type") == "review" and item.get("author") != ANONYMOUS:
            # The review stays published and counted; only who wrote it is forgotten.
            ops.append(erasure.review_author_op(table, shop_id, item["review_id"], ANONYMOUS))
        elif item.get("type") == "code" and item.get("customer_id") == customer_id:
            their_code = item
            if codes.needs_erasure(item):
                ops.append(codes.erasure_op(table, item["code"]))
    return ops, their_code, read


def _customer_needs_erasure(customer: dict[str, Any]) -> bool:
    """Not erased yet, or holding personal data again (a later order names them) or its search lookups."""
    return not customer.get("redacted") or any(
        field in customer for field in ("name", "email_hash", "find_tokens", "shipping_hashes")
    )


def _friend_operations(table: Table, shop_id: str, addresses: set[str]) -> list[dict[str, Any]]:
    """What a customer left as a referred friend, for each mailbox of theirs: their claims of the shop's offer
    (the keyed hash of the mailbox, and the mailbox itself if the email carrying the code was not sent yet), and
    who the pool's codes were handed to (each code stays handed out: it is never handed to anyone else)."""
    from chalicelib.referrals import POOLS
    from chalicelib.referrals.offers import friend_holder, friend_key
    from chalicelib.store import claims, referral_codes

    friends = sorted({friend_key(address) for address in addresses})
    if not friends:
        return []
    wanted = [keys.friend_claim_key(shop_id, friend) for friend in friends]
    wanted += [keys.referral_holder_key(shop_id, pool, friend_holder(f)) for f in friends for pool in POOLS]
    ops: list[dict[str, Any]] = []
    for item in table.get_many(wanted, consistent=True):
        if item.get("type") == "friend_claim":
            ops.append(claims.erasure_op(table, shop_id, str(item["friend"])))
            if item.get("visitor") and item.get("experiments"):  # their unit of each offer experiment
                from chalicelib.store.experiments import unit_erasure_ops

                ops += unit_erasure_ops(table, shop_id, item["experiments"], str(item["visitor"]))
        elif item.get("type") == referral_codes.HOLDER_TYPE:
            ops += referral_codes.holder_erasure_ops(table, item)
    return ops


def _advocate_keys(shop_id: str, customer_id: str, customer: dict[str, Any] | None) -> list[dict[str, str]]:
    """What to read of a customer's rewards as advocate: their recent referred orders' item and the rewards of the
    orders their link brought (their record lists them); nothing for a customer who never had a share link."""
    if not customer or not (customer.get("share_code") or customer.get("referred_order_ids")):
        return []
    brought = sorted(str(o) for o in customer.get("referred_order_ids") or ())
    return [
        keys.reward_advocate_key(shop_id, customer_id),
        *(keys.reward_key(shop_id, keys.reward_id(shop_id, o)) for o in brought),
    ]


def _their_rewards(
    table: Table, shop_id: str, customer_id: str, read: list[dict[str, Any]], friend_orders: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A customer's own reward items (their recent referred orders, their months) and the rewards that name them,
    from what was read with `_advocate_keys` (the recent ones it did not cover read now) and the rewards of
    `friend_orders` (orders of theirs a referral stands on)."""
    from chalicelib.store import rewards

    items = [i for i in read if i.get("type") == rewards.ADVOCATE_TYPE and i.get("advocate_id") == customer_id]
    if items:
        items += rewards.advocate_months(table, shop_id, customer_id)
    found = [i for i in read if i.get("type") == rewards.REWARD_TYPE]
    known = {str(r["friend_order"]) for r in found}
    more = sorted({*rewards.recent_orders(items), *friend_orders} - known)
    if more:
        found += table.get_many([keys.reward_key(shop_id, keys.reward_id(shop_id, o)) for o in more], consistent=True)
    named = [
        r
        for r in found
        if r.get("type") == rewards.REWARD_TYPE
        and customer_id in (str(r.get("advocate")), str(r.get("friend_customer")))
    ]
    return items, sorted(named, key=lambda r: str(r.get("created_at", "")))


def _reward_operations(
    table: Table, shop_id: str, customer_id: str, read: list[dict[str, Any]], friend_orders: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """What a customer left in the rewards: their own items go, the rewards naming them name `erased` instead (they
    stay, counted), and the advocate pool's records of the codes their rewards were handed keep only the code."""
    from chalicelib.referrals.rewards import ADVOCATE_POOL
    from chalicelib.store import referral_codes, rewards

    items, named = _their_rewards(table, shop_id, customer_id, read, friend_orders)
    holders = [
        keys.referral_holder_key(shop_id, ADVOCATE_POOL, keys.reward_holder(str(r["reward_id"])))
        for r in named
        if str(r.get("advocate")) == customer_id
    ]
    ops = rewards.customer_erasure_ops(table, customer_id, items, named)
    for held in table.get_many(holders, consistent=True) if holders else []:
        if held.get("type") == referral_codes.HOLDER_TYPE:
            ops += referral_codes.holder_erasure_ops(table, held)
    return ops


def _mailboxes(*texts: object) -> set[str]:
    from chalicelib.mail.mailbox import mailbox

    return {address for address in map(mailbox, texts) if address}


def redact_customer(
    table: Table,
    shop_id: str,
    customer_id: str,
    extra_orders: list[str] | None = None,
    budget: Budget | None = None,
    emails: tuple[str, ...] = (),
) -> int:
    """Erase one customer's personal data from every item that holds it; returns how many items changed.

    Idempotent and safe to repeat after a failure at any point: each item is read first and written
    only while it still holds something to erase, and the customer's record keeps the ids of their
    orders, reviews and share code. Counters are never touched. When the budget runs out the customer
    is put on the CUSTREDACT index with the orders left, and the due work goes on from there.

    Their claims of the shop's friend offer go too, found by the keyed hash of each mailbox of theirs: those the
    request names (`emails`) and those of their orders, read before the orders forget them (each page's claims are
    written before, or with, its orders).
    """
    budget = budget or Budget.unlimited()
    customer = table.get(keys.customer_key(shop_id, customer_id), consistent=True)
    order_ids = sorted(
        set(extra_orders or ())
        | set((customer or {}).get("order_ids") or ())
        | set((customer or {}).get("erase_orders") or ())
    )
    operations, code, read = _profile_operations(table, shop_id, customer_id, customer)
    operations += _reward_operations(table, shop_id, customer_id, read)
    changed = _erase_photos(table, shop_id, customer, code)
    addresses = _mailboxes(*emails, (customer or {}).get("email"))
    friends_seen: set[str] = set()
    for start in range(0, max(len(order_ids), 1), ORDER_PAGE):
        page = order_ids[start : start + ORDER_PAGE]
        if start and budget.spent():
            _defer(table, shop_id, customer_id, order_ids[start:])
            return changed
        orders = table.get_many([keys.order_key(shop_id, o) for o in page], consistent=True) if page else []
        addresses |= _mailboxes(*(o.get("email") for o in orders if o.get("type") == "order"))
        operations += _friend_operations(table, shop_id, addresses - friends_seen)
        # The rewards their orders earned an advocate name them as the friend (only a referred order has one).
        referred = [str(o["order_id"]) for o in orders if o.get("type") == "order" and o.get("referral")]
        if referred:
            operations += _reward_operations(table, shop_id, customer_id, [], referred)
        friends_seen |= addresses
        erased = [
            o
            for o in sorted(orders, key=lambda o: o["order_id"])
            if o.get("type") == "order" and order_records.needs_erasure(o)
        ]
        operations += [order_records.erasure_op(table, o) for o in erased]
        deleting = [op["Delete"]["Key"] for op in operations if "Delete" in op]
        # A unit their claim's erasure deletes already is not deleted twice in one request.
        operations += [
            op for op in _referral_unit_operations(table, shop_id, erased) if op["Delete"]["Key"] not in deleting
        ]
        _write(table, operations)
        changed += len(operations)
        operations = []
    if customer and customers.erasure_pending(customer):
        customers.erasure_finished(table, shop_id, customer_id)
        changed += 1
    return changed


def _referral_unit_operations(table: Table, shop_id: str, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The offer experiments' units of the friend's browser their referred orders name (whichever mailbox the claim
    was made with): deleted with the orders' erasure, as the visitor is forgotten on them."""
    from chalicelib.store.experiments import unit_erasure_ops

    ops: list[dict[str, Any]] = []
    for order in orders:
        referral = order.get("referral") or {}
        if referral.get("visitor") and referral.get("experiments"):
            ops += unit_erasure_ops(table, shop_id, referral["experiments"], str(referral["visitor"]))
    return ops


def _photo_reviews(customer: dict[str, Any] | None) -> set[str]:
    """The reviews the customer uploaded photos for (their record keeps the ids): nothing to read without."""
    return {str(r) for r in (customer or {}).get("photo_reviews") or ()}


def _erase_photos(table: Table, shop_id: str, customer: dict[str, Any] | None, code: dict[str, Any] | None) -> int:
    """The customer's photos (uploaded, processed, attached or not) and their share card, from storage too."""
    review_ids = _photo_reviews(customer)
    if not review_ids and not (code and codes.has_card(code)):
        return 0
    from chalicelib.photos.service import erase_customer_photos

    return erase_customer_photos(table, shop_id, review_ids, code)


def _defer(table: Table, shop_id: str, customer_id: str, order_ids: list[str]) -> None:
    from chalicelib.observability import logger

    customers.defer_erasure(table, shop_id, customer_id, order_ids, _now())
    logger.info("customer erasure continues in the due work", extra={"shop_id": shop_id, "orders_left": len(order_ids)})


def record_data_request(table: Table, shop: Shop, event: DataRequestEvent) -> str:
    customer_id = _customer_id(event.customer_id, event.email)
    item = {
        **keys.data_request_key(shop.shop_id, event.request_id),
        "type": "data_request",
        "request_id": event.request_id,
        "customer_id": customer_id,
        "order_ids": event.order_ids[:MAX_LISTED_ORDERS] or None,
        "requested_at": _now(),
    }
    try:
        erasure.put_data_request(table, item)
    except ConditionFailed:
        return "duplicate"
    return "applied"


DATA_REQUEST_COLUMNS = ("request_id", "customer_id", "requested_at", "order_ids")  # all text, ids from the platform


def data_request_rows(table: Table, shop_id: str) -> Iterator[list[Any]]:
    """The customers' data requests the platform sent, oldest first."""
    yield list(DATA_REQUEST_COLUMNS)
    for item in table.query_all(keys.shop_partition(shop_id), sk_prefix=keys.DATA_REQUEST_PREFIX):
        yield [
            item["request_id"],
            item.get("customer_id") or "",
            item.get("requested_at", ""),
            " ".join(item.get("order_ids") or []),
        ]


def customer_data(table: Table, shop_id: str, customer_id: str) -> dict[str, Any] | None:
    """Everything stored about one customer of one shop, for the owner to hand over."""
    customer = table.get(keys.customer_key(shop_id, customer_id), consistent=True)
    if customer is None:
        return None
    order_ids = sorted(customer.get("order_ids") or ())
    orders = table.get_many([keys.order_key(shop_id, o) for o in order_ids]) if order_ids else []
    wanted = [keys.review_key(shop_id, r) for r in sorted(customer.get("review_ids") or ())]
    if customer.get("share_code"):
        wanted.append(keys.code_key(str(customer["share_code"])))
    theirs = table.get_many(wanted) if wanted else []
    # Not theirs to be handed: the search index's hashes, the ids of other buyers' orders their link brought, and
    # the due work's bookkeeping of its attempts.
    internal = {"find_tokens", "find_indexed", "referred_order_ids", "card_failures", "card_version", *due.BOOKKEEPING}
    hidden = {*erasure.KEY_ATTRIBUTES, "version", "type", "shop_id"}
    hidden |= internal

    def clean(item: dict[str, Any]) -> dict[str, Any]:
        return {k: (sorted(v) if isinstance(v, set) else v) for k, v in item.items() if k not in hidden}

    code = next((i for i in theirs if i.get("type") == "code" and i.get("customer_id") == customer_id), None)
    addresses = _mailboxes(*(o.get("email") for o in orders if o.get("type") == "order"))
    return {
        "customer": clean(customer),
        "orders": [clean(o) for o in sorted(orders, key=lambda o: o["order_id"])],
        "reviews": [
            clean(r) for r in sorted(theirs, key=lambda r: r.get("review_id", "")) if r.get("type") == "review"
        ],
        "share_code": clean(code) if code else None,
        "photos": _photos_of(table, shop_id, customer),
        "friend_claims": _claims_of(table, shop_id, addresses),
        "rewards": _rewards_of(table, shop_id, customer_id, customer),
    }


CLAIM_FIELDS = ("share_code", "code", "language", "created_at", "mailed_at", "email")
REWARD_FIELDS = ("reward_id", "status", "value", "currency", "code", "created_at", "fulfilled_at", "issued_at")
REWARD_DATES = ("approved_at", "voided_at", "clawback_at")


def _claims_of(table: Table, shop_id: str, addresses: set[str]) -> list[dict[str, Any]]:
    """Their claims of the shop's friend offer, found (as erasure finds them) by the keyed hash of each mailbox of
    theirs: the link it came through, the code handed out, when; not whose link it was nor the browser's hash."""
    from chalicelib.referrals.offers import friend_key

    friends = sorted({friend_key(address) for address in addresses})
    found = table.get_many([keys.friend_claim_key(shop_id, f) for f in friends], consistent=True) if friends else []
    claims = [item for item in found if item.get("type") == "friend_claim"]
    return [
        {name: item[name] for name in CLAIM_FIELDS if item.get(name) is not None}
        for item in sorted(claims, key=lambda c: str(c.get("created_at", "")))
    ]


def _rewards_of(table: Table, shop_id: str, customer_id: str, customer: dict[str, Any]) -> list[dict[str, Any]]:
    """Their rewards as advocate: state, value, code and dates (the friend's order and who they are stay out)."""
    read = table.get_many(_advocate_keys(shop_id, customer_id, customer))
    _, named = _their_rewards(table, shop_id, customer_id, read)
    return [
        {
            name: (str(r[name]) if name == "value" else r[name])
            for name in (*REWARD_FIELDS, *REWARD_DATES)
            if r.get(name) is not None
        }
        for r in named
        if str(r.get("advocate")) == customer_id
    ]


def _photos_of(table: Table, shop_id: str, customer: dict[str, Any]) -> list[dict[str, Any]]:
    review_ids = _photo_reviews(customer)
    if not review_ids:
        return []
    from chalicelib.photos.service import customer_photos

    return customer_photos(table, shop_id, review_ids)


def request_shop_redaction(table: Table, shop: Shop) -> str:
    """Mark the shop for erasure; the due work erases it page by page (slow work leaves the request). The store
    credential is forgotten at once, whether or not the erasure was asked before."""
    from chalicelib.store.connections import delete_connection

    delete_connection(table, shop.shop_id)
    try:
        erasure.mark_shop(table, shop.shop_id, _now())
    except ConditionFailed:
        return "duplicate"
    return "applied"


def run_shop_redactions(table: Table, max_customers: int = 500, budget: Budget | None = None) -> int:
    """Due work: finish customer erasures a webhook left part-done, then erase the customers of shops
    that asked, a bounded number per run. A customer whose erasure fails is put off with the backoff on the
    customer erasure index (marked erased at once, as a deferred erasure is), then parked for the operator's
    alarm and the owner's list; the others go on."""
    from chalicelib import clock

    budget = budget or Budget.unlimited()
    now = clock.now()
    done = _finish_customer_redactions(table, budget, now)
    for shop in erasure.shops_waiting(table):
        shop_id = shop["shop_id"]
        cursor = None
        while done < max_customers:
            page, cursor = table.query(
                keys.shop_partition(shop_id), sk_prefix=keys.CUSTOMER_PREFIX, limit=100, cursor=cursor
            )
            for customer in page:
                if _customer_needs_erasure(customer) and not _waiting(customer, now):
                    if budget.spent():
                        return done
                    done += _erase(table, customer, budget, now)
            if cursor is None:
                if not _erase_shop_referrals(table, shop_id, budget):
                    return done  # the next run goes on from there
                erasure.shop_done(table, shop_id, _now())
                break
    return done


REFERRAL_PAGE = 25  # a shop's referral records deleted at a time (a page of holders is 50 deletes)


def _erase_shop_referrals(table: Table, shop_id: str, budget: Budget) -> bool:
    """A shop's friends' claims, its pools' codes (handed out or not) and their counters, then its rewards, their
    markers and counts, then its experiments and their counters, a page at a time; False when the budget ran out
    first."""
    from chalicelib.referrals import POOLS
    from chalicelib.store import claims, experiments, referral_codes, rewards

    while True:
        ops = (
            claims.shop_erasure_ops(table, shop_id, REFERRAL_PAGE)
            or referral_codes.shop_erasure_ops(table, shop_id, POOLS, REFERRAL_PAGE)
            or rewards.shop_erasure_ops(table, shop_id, REFERRAL_PAGE * 2)
            or experiments.shop_erasure_ops(table, shop_id, REFERRAL_PAGE * 2)
        )
        if not ops:
            return True
        if budget.spent():
            return False
        _write(table, ops)


def _finish_customer_redactions(table: Table, budget: Budget, now: datetime) -> int:
    done = 0
    cursor = None
    while True:
        waiting, cursor = erasure.customers_waiting(table, cursor=cursor)
        for customer in waiting:
            if _waiting(customer, now):
                continue
            if budget.spent():
                return done
            done += _erase(table, customer, budget, now)
        if cursor is None:
            return done


def _waiting(customer: dict[str, Any], now: datetime) -> bool:
    """Put off after a failed erasure, until its next attempt; or parked after its last."""
    from chalicelib import clock

    parked = customer.get(due.STATE) == due.FAILED
    return parked or str(customer.get(due.NOT_BEFORE) or "") > clock.iso(now)


def _erase(table: Table, customer: dict[str, Any], budget: Budget, now: datetime) -> int:
    """Erase one customer for the due work; 1 when done, 0 when it failed and was put off (or parked)."""
    shop_id, customer_id = str(customer["shop_id"]), str(customer["customer_id"])
    try:
        redact_customer(table, shop_id, customer_id, budget=budget)
    except Exception as exc:  # noqa: BLE001 - one customer's failure must not stop the erasure of the others
        from chalicelib.observability import logger

        logger.exception("customer erasure failed", extra={"shop_id": shop_id, "customer_id": customer_id})
        _put_off_erasure(table, customer, now, exc)
        return 0
    return 1


def _put_off_erasure(table: Table, customer: dict[str, Any], now: datetime, exc: Exception) -> None:
    from chalicelib import clock
    from chalicelib.backoff import ERASURES
    from chalicelib.parked import JOB_ERASURES, counted_parked, failure_reason

    shop_id, customer_id = str(customer["shop_id"]), str(customer["customer_id"])
    attempts = int(customer.get(due.ATTEMPTS, 0)) + 1
    failure = due.Failure(attempts, failure_reason("erasing the customer", attempts, exc), clock.iso(now))
    # What a deferred erasure marks (_defer): the customer counts as erased from now on, whatever is left.
    change = due.Change(sets={"redacted": True, "type": "customer", "shop_id": shop_id, "customer_id": customer_id})
    key = keys.customer_key(shop_id, customer_id)
    wait = ERASURES.wait_after(attempts)
    if wait is not None:
        change.sets[due.NOT_BEFORE] = clock.iso(now + wait)
        later = due.put_off(change, keys.customer_erasure_keys(shop_id, customer_id), failure)
        due.apply(table, key, later, {"shop_id": shop_id, "customer_id": customer_id})
        return
    due.park(change, shop_id, JOB_ERASURES, customer_id, failure, clock.stamp(now))
    if due.apply(table, key, change, {"shop_id": shop_id, "customer_id": customer_id}):
        counted_parked(JOB_ERASURES, shop_id, customer_id, failure.reason)


def redact_request(table: Table, shop_id: str, redact: CustomerRedactEvent) -> str:
    """Erase everyone the request names: the customer by id, the same buyer's guest record (orders placed
    without an account are kept under an id derived from the email), and whoever placed the orders it lists."""
    from chalicelib.signing import guest_customer_id

    named = {redact.customer_id, guest_customer_id(redact.email, "") if redact.email else None} - {None}
    if redact.order_ids:
        orders = table.get_many([keys.order_key(shop_id, o) for o in redact.order_ids], consistent=True)
        named |= {str(o["customer_id"]) for o in orders if o.get("type") == "order" and o.get("customer_id")}
    if not named:
        return "ignored"
    budget = Budget(INLINE_SECONDS)
    emails = (redact.email,) if redact.email else ()
    for customer_id in sorted(c for c in named if c):
        redact_customer(table, shop_id, customer_id, redact.order_ids, budget=budget, emails=emails)
    return "applied"


def apply_privacy_event(table: Table, shop: Shop, event: Event) -> str:
    if event.kind == "customer_redact":
        return redact_request(table, shop.shop_id, event)
    if event.kind == "data_request":
        return record_data_request(table, shop, event)
    if event.kind == "shop_redact":
        return request_shop_redaction(table, shop)
    return "ignored"
