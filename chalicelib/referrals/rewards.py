"""The advocate's reward for a friend's order: earned once, held while it may still be returned, paid once.

A referral confirmed on an order (the planner's `referred` fact) creates one reward in the order's own transaction
(`reward_ops`), its id derived from shop+order so a redelivery meets it. The fraud rules are read then: any hit makes
it `held` with its reasons for the owner to approve or deny; otherwise it is `pending`. Once the friend's order is
fulfilled the reward is due hold_days later; the due work (`issue_due_rewards`) then hands the advocate a code from
the advocate pool (an empty pool leaves it pending and looks again later), marks it `issued` with the report's
counters and the owner's `reward.issued` event, and emails the advocate their code. A cancellation or full refund
before that voids it (`refunded`, `cancelled`: `reward.void`); after it, the owner sees `clawback`. Every move is
conditioned on the state it was read in and moves the shop's counts by state in the same transaction.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.store import keys
from chalicelib.store import rewards as store
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.budget import Budget
    from chalicelib.referrals import Pool
    from chalicelib.store.claims import FriendClaim
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Operation, Table

STATES = store.STATES
LISTING_ORDER = ("held", "pending", "issued", "void")  # held first: they wait for the owner
ACTIONS = ("approve", "deny")
ADVOCATE_POOL: Pool = "advocate"
VELOCITY_LIMIT = 5  # more referred orders than this within VELOCITY_WINDOW holds the reward
VELOCITY_WINDOW = timedelta(hours=24)
RECENT_KEPT = 20  # the advocate's referred orders remembered for the velocity rule
WAITING_RETRY = timedelta(minutes=30)  # a reward whose pool is empty looks at it again this often
DUE_PAGE = 25
# Providers that ignore dots and +tags in the local part: one mailbox, however written.
DOTLESS_PROVIDERS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
FACTS = ("referred", "fulfilled", "referral_reversed")


def reward_ops(table: Table, shop: Shop, order: dict[str, Any], facts: list[str]) -> list[Operation]:
    """What the facts a plan adds do to the order's reward, for the order's own transaction: nothing for an order
    no referral stands on (no read either), a new reward when the referral is confirmed, its hold started when the
    friend's order is fulfilled, and it voided (or noted as a clawback) when the order is cancelled or refunded."""
    referral = order.get("referral")
    if not referral or not any(fact in facts for fact in FACTS):
        return []
    if "referred" in facts:
        return _created(table, shop, order, referral, facts)
    reward = store.read(table, shop.shop_id, keys.reward_id(shop.shop_id, order["order_id"]))
    if reward is None:
        return []
    if "referral_reversed" in facts:
        return _reversed(table, shop, order, reward)
    return _fulfilled(table, shop, order, reward)


def normal_mailbox(address: str | None) -> str | None:
    """A mailbox as its provider delivers it: lower case, and at providers that ignore them (Gmail) without dots and
    +tags in the local part."""
    if not address or "@" not in address:
        return None
    local, _, domain = address.strip().lower().rpartition("@")
    provider = DOTLESS_PROVIDERS.get(domain)
    if provider:
        local = local.split("+", 1)[0].replace(".", "")
        domain = provider
    return f"{local}@{domain}"


def disposable(address: str | None) -> bool:
    """Whether the address is on a throwaway domain of the maintained disposable-email-domains list."""
    if not address or "@" not in address:
        return False
    from disposable_email_domains import blocklist

    domain = address.rpartition("@")[2].lower()
    parts = domain.split(".")
    return any(".".join(parts[n:]) in blocklist for n in range(len(parts) - 1))


def reward_value(shop: Shop, order: dict[str, Any]) -> tuple[Decimal, str]:
    """The reward's value and currency: an amount at face value, a percent as that share of the friend's order."""
    reward = shop.settings.referral.advocate_reward
    if reward.type == "amount":
        return Decimal(reward.value), str(reward.currency or order["currency"])
    share = Decimal(str(order["total"])) * Decimal(reward.value) / 100
    return share.quantize(Decimal("0.01")), str(order["currency"])


def _created(
    table: Table, shop: Shop, order: dict[str, Any], referral: dict[str, Any], facts: list[str]
) -> list[Operation]:
    from chalicelib.clock import local_day

    if referral.get("reward"):  # the friend's claim was made in an advocate_reward experiment: its variant's reward
        from chalicelib.experiments.assignment import with_offers

        shop = with_offers(shop, {"advocate_reward": referral["reward"]})
    program = shop.settings.referral
    if not program.enabled or program.advocate_reward.type == "none":
        return []
    shop_id, order_id = shop.shop_id, str(order["order_id"])
    rid = keys.reward_id(shop_id, order_id)
    advocate_id = str(referral["advocate_id"])
    ordered_at = str(order["created_at"])
    month = local_day(ordered_at, shop.timezone)[:7]
    found = _fraud_reads(table, shop, order, referral, month)
    recent, seen = store.advocate_recent(found.items)
    window_start = clock.iso(clock.parse(ordered_at) - VELOCITY_WINDOW)
    # Each referred order as "<its time>#<its id>": two orders of the same second are two.
    remembered = sorted({*recent, f"{ordered_at}#{order_id}"})[-RECENT_KEPT:]
    reasons = _reasons(shop, order, referral, found)
    if sum(1 for entry in remembered if window_start < entry.split("#", 1)[0] <= ordered_at) > VELOCITY_LIMIT:
        reasons.append("velocity")
    if store.month_count(found.items) >= program.max_rewards_per_month:
        reasons.append("cap")
    value, currency = reward_value(shop, order)
    now = clock.iso()
    item: dict[str, Any] = {
        "shop_id": shop_id,
        "reward_id": rid,
        "advocate": advocate_id,
        "friend_order": order_id,
        "friend_customer": order.get("customer_id"),
        "status": "held" if reasons else "pending",
        "reasons": reasons,
        "created_at": now,
        "order_created_at": ordered_at,
        "month": month,
        "reward_type": program.advocate_reward.type,
        "reward_setting": str(program.advocate_reward.value),
        "value": value,
        "currency": currency,
    }
    if referral.get("experiments"):  # its value is counted for these variants when it is issued
        item["experiments"] = dict(referral["experiments"])
    if order.get("fulfilled_at"):
        item["fulfilled_at"] = order["fulfilled_at"]
    if "referral_reversed" in facts:  # known and already cancelled or refunded in full in one delivery
        item.update(status="void", reasons=[*reasons, _reversal(order)], voided_at=now)
    ops = [
        store.create_op(table, item, keys.sort_stamp()),
        store.counts_op(table, shop_id, {item["status"]: 1}),
        store.advocate_recent_op(table, shop_id, advocate_id, remembered, seen),
    ]
    if item["status"] == "pending":
        ops.append(store.month_op(table, shop_id, advocate_id, month, 1))
        if item.get("fulfilled_at"):
            ops.append(store.due_put_op(table, shop_id, rid, _due_at(shop, item)))
    elif item["status"] == "void":
        ops += _event(table, shop, "reward.void", item)
    return ops


class _Found:
    """What the fraud rules read: one consistent BatchGetItem, and the advocate's earlier order when the mailbox
    rule needs it."""

    def __init__(self, items: list[dict[str, Any]], shop_id: str, order: dict[str, Any], advocate_id: str) -> None:
        self.items = items
        self.advocate = _find(items, keys.customer_key(shop_id, advocate_id))
        friend_id = str(order.get("customer_id") or "")
        self.friend = _find(items, keys.customer_key(shop_id, friend_id)) if friend_id != advocate_id else None
        self.share = next((i for i in items if i.get("type") == "code"), None)
        self.claim: FriendClaim | None = None
        self.advocate_order: dict[str, Any] | None = None


def _find(items: list[dict[str, Any]], key: dict[str, str]) -> dict[str, Any] | None:
    return next((i for i in items if i.get(keys.PK) == key[keys.PK] and i.get(keys.SK) == key[keys.SK]), None)


def _fraud_reads(table: Table, shop: Shop, order: dict[str, Any], referral: dict[str, Any], month: str) -> _Found:
    from chalicelib.referrals.offers import friend_key
    from chalicelib.store.claims import FriendClaim

    shop_id, advocate_id = shop.shop_id, str(referral["advocate_id"])
    wanted = [
        keys.customer_key(shop_id, advocate_id),
        keys.reward_advocate_key(shop_id, advocate_id),
        keys.reward_month_key(shop_id, advocate_id, month),
    ]
    if order.get("customer_id"):
        wanted.append(keys.customer_key(shop_id, str(order["customer_id"])))
    if referral.get("code"):
        wanted.append(keys.code_key(str(referral["code"])))
    claim_key = keys.friend_claim_key(shop_id, friend_key(order["email"])) if order.get("email") else None
    if claim_key:
        wanted.append(claim_key)
    items = table.get_many(wanted, consistent=True)
    found = _Found(items, shop_id, order, advocate_id)
    claimed = _find(items, claim_key) if claim_key else None
    if claimed and claimed.get("type") == "friend_claim":
        found.claim = FriendClaim.from_item(claimed)
    earlier = sorted(str(o) for o in (found.advocate or {}).get("order_ids") or () if str(o) != order["order_id"])
    if earlier and not (found.advocate or {}).get("redacted"):
        found.advocate_order = table.get(keys.order_key(shop_id, earlier[0]), consistent=True)
    return found


def _reasons(shop: Shop, order: dict[str, Any], referral: dict[str, Any], found: _Found) -> list[str]:
    """The fraud rules' codes that hold this reward (velocity and cap are added by the caller)."""
    reasons: list[str] = []
    advocate_id = str(referral["advocate_id"])
    friend_mailbox = normal_mailbox(order.get("email"))
    advocate_order = found.advocate_order or {}
    same_person = (
        str(order.get("customer_id")) == advocate_id
        or (friend_mailbox is not None and friend_mailbox == normal_mailbox(advocate_order.get("email")))
        or _same_address(order, found.advocate or {}, advocate_order)
    )
    if same_person:
        reasons.append("self_referral")
    if shop.settings.referral.new_customers_only and found.friend is not None:
        # The friend had ordered before they claimed the offer (or, with no claim, before this order).
        cutoff = found.claim.created_at if found.claim else str(order["created_at"])
        first = str(found.friend.get("first_order_at") or "")
        if first and first < cutoff:
            reasons.append("existing_customer")
    if disposable(order.get("email")):
        reasons.append("disposable_email")
    claim, share = found.claim, found.share or {}
    if claim and claim.visitor and claim.advocate_id == advocate_id and claim.visitor == share.get("sharer_visitor"):
        reasons.append("same_visitor")
    return reasons


def _same_address(order: dict[str, Any], advocate: dict[str, Any], advocate_order: dict[str, Any]) -> bool:
    """The friend's order ships where the advocate's orders shipped: the keyed hash of its address among the latest
    ones the advocate's record keeps (or their earlier order's)."""
    shipping = order.get("shipping_hash")
    if not shipping:
        return False
    theirs = {str(h) for h in advocate.get("shipping_hashes") or ()}
    if advocate_order.get("shipping_hash"):
        theirs.add(str(advocate_order["shipping_hash"]))
    return str(shipping) in theirs


def _reversal(order: dict[str, Any]) -> str:
    return "cancelled" if order.get("cancelled_at") else "refunded"


def _due_at(shop: Shop, reward: dict[str, Any], now: datetime | None = None) -> str:
    """When the hold of a reward whose friend's order is fulfilled ends (now, if it has ended already)."""
    ends = clock.parse(str(reward["fulfilled_at"])) + timedelta(days=shop.settings.referral.hold_days)
    return clock.iso(max(ends, now)) if now is not None else clock.iso(ends)


def _fulfilled(table: Table, shop: Shop, order: dict[str, Any], reward: dict[str, Any]) -> list[Operation]:
    """The friend's order is fulfilled: the hold starts (a held reward notes it, for when it is approved)."""
    if reward["status"] not in ("pending", "held") or not order.get("fulfilled_at"):
        return []
    noted = {**reward, "fulfilled_at": order["fulfilled_at"]}
    ops = [store.note_op(table, reward, {"fulfilled_at": order["fulfilled_at"]})]
    if reward["status"] == "pending":
        ops.append(store.due_put_op(table, shop.shop_id, str(reward["reward_id"]), _due_at(shop, noted)))
    return ops


def _reversed(table: Table, shop: Shop, order: dict[str, Any], reward: dict[str, Any]) -> list[Operation]:
    """The friend's order is cancelled or refunded in full: the reward is void before it is issued, and a clawback
    the owner sees after."""
    now = clock.iso()
    reason = _reversal(order)
    if reward["status"] == "issued":
        if reward.get("clawback"):
            return []
        return [store.note_op(table, reward, {"clawback": True, "clawback_at": now, "clawback_reason": reason})]
    if reward["status"] not in ("pending", "held"):
        return []
    return _void_ops(table, shop, reward, reason, now)


def _void_ops(table: Table, shop: Shop, reward: dict[str, Any], reason: str, now: str) -> list[Operation]:
    shop_id, rid = shop.shop_id, str(reward["reward_id"])
    reasons = [*(reward.get("reasons") or []), reason]
    ops = [
        store.move_op(table, reward, "void", {"reasons": reasons, "voided_at": now}),
        store.counts_op(table, shop_id, {str(reward["status"]): -1, "void": 1}),
    ]
    if reward["status"] == "pending":
        ops.append(store.due_delete_op(table, shop_id, rid))
        if reward["advocate"] != store.ERASED:  # an erased advocate's months went with them
            ops.append(store.month_op(table, shop_id, str(reward["advocate"]), str(reward["month"]), -1))
    return ops + _event(table, shop, "reward.void", {**reward, "status": "void", "reasons": reasons})


def _event(table: Table, shop: Shop, name: str, reward: dict[str, Any]) -> list[Operation]:
    from chalicelib.outbound import event_op

    data = {
        "reward_id": reward["reward_id"],
        "advocate_id": reward["advocate"],
        "friend_order": reward["friend_order"],
        "status": reward["status"],
        "reasons": list(reward.get("reasons") or []),
        "value": str(reward["value"]),
        "currency": reward["currency"],
    }
    if reward.get("code"):
        data["code"] = reward["code"]
    op = event_op(table, shop, name, data)
    return [op] if op else []


# --- the owner's decisions and listing


def decide(table: Table, shop: Shop, rid: str, action: str) -> dict[str, Any]:
    """Approve a held reward (it goes on as pending: due once its hold has passed) or deny it (void, `denied`)."""
    if action not in ACTIONS:
        raise errors.NotFound(f"no action {action!r}; the actions are {', '.join(ACTIONS)}", code="unknown_action")
    reward = store.read(table, shop.shop_id, rid) if rid.startswith("rw_") else None
    if reward is None:
        raise errors.NotFound("no such reward", code="unknown_reward")
    if reward["status"] != "held":
        raise errors.Conflict(f"the reward is {reward['status']}, not held", code="not_held")
    now = clock.now()
    if action == "deny":
        ops = _void_ops(table, shop, reward, "denied", clock.iso(now))
        after = {**reward, "status": "void", "reasons": [*(reward.get("reasons") or []), "denied"]}
    else:
        ops = [
            store.move_op(table, reward, "pending", {"approved_at": clock.iso(now)}),
            store.counts_op(table, shop.shop_id, {"held": -1, "pending": 1}),
        ]
        if reward["advocate"] != store.ERASED:
            ops.append(store.month_op(table, shop.shop_id, str(reward["advocate"]), str(reward["month"]), 1))
        if reward.get("fulfilled_at"):
            ops.append(store.due_put_op(table, shop.shop_id, rid, _due_at(shop, reward, now)))
        after = {**reward, "status": "pending"}
    try:
        table.transact(ops)
    except ConditionFailed:
        raise errors.Conflict("the reward changed meanwhile; read it again", code="not_held") from None
    return reward_view(after)


def reward_view(item: dict[str, Any]) -> dict[str, Any]:
    """A reward as the owner's API answers it."""
    view: dict[str, Any] = {
        "reward_id": item["reward_id"],
        "advocate": item["advocate"],
        "friend_order": item["friend_order"],
        "status": item["status"],
        "reasons": list(item.get("reasons") or []),
        "value": str(item["value"]),
        "currency": item["currency"],
        "created_at": item["created_at"],
    }
    for name in ("code", "issued_at"):
        if item.get(name):
            view[name] = item[name]
    if item.get("clawback"):
        view["clawback"] = True
    return view


def list_rewards(table: Table, shop_id: str, status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of the shop's rewards, newest first within a state: of one state, or of all (held first, then
    pending, issued and void), the cursor naming where the next page goes on."""
    from chalicelib import signing

    if status is not None and status not in STATES:
        raise errors.BadRequest(f"status is one of {', '.join(STATES)}", code="invalid_status")
    states = (status,) if status else LISTING_ORDER
    scope = f"{keys.reward_list_partition(shop_id, status or 'all')}#rewards"
    position = signing.decode_cursor(scope, cursor) or {}
    current = str(position.pop("state", states[0]))
    if current not in states:
        raise errors.BadRequest("the cursor is not valid", code="invalid_cursor")
    shown: list[dict[str, Any]] = []
    next_position: dict[str, Any] | None = None
    for index in range(states.index(current), len(states)):
        state = states[index]
        items, last = store.page(table, shop_id, state, limit - len(shown), position or None)
        position = {}
        shown += [reward_view(i) for i in items if i.get("type") == store.REWARD_TYPE]
        if last is not None:
            next_position = {**last, "state": state}
            break
        if len(shown) >= limit:
            if index + 1 < len(states):
                next_position = {"state": states[index + 1]}
            break
    return {"rewards": shown, "cursor": signing.encode_cursor(scope, next_position)}


def reward_counts(items: list[dict[str, Any]]) -> dict[str, int]:
    """The shop's rewards by state, from the items the program's overview read (pattern 53)."""
    return store.counts_of(items)


# --- the due work


def issue_due_rewards(table: Table, budget: Budget | None = None) -> int:
    """The due work: issue the rewards whose hold has passed (a code from the advocate pool, the counters, the
    owner's event) and email each advocate their code once. A reward whose pool is empty waits WAITING_RETRY; one
    that fails is put off with the backoff, then parked for the owner; neither keeps the rewards after it waiting."""
    from chalicelib.observability import logger

    now = clock.now()
    handled = 0
    for marker in store.due(table, clock.iso(now), DUE_PAGE):
        if budget is not None and budget.spent():
            break
        handled += 1
        try:
            _work(table, marker, now)
        except Exception as exc:  # noqa: BLE001 - one reward's failure never stops the others
            logger.warning("reward not issued yet", extra={"shop_id": marker.shop_id, "reason": repr(exc)})
            _put_off(table, marker, now, exc)
    return handled


def _work(table: Table, marker: store.DueReward, now: datetime) -> None:
    from chalicelib.store.shop_records import get_shop

    reward = store.read(table, marker.shop_id, marker.reward_id)
    shop = get_shop(table, marker.shop_id)
    if reward is None or shop is None or reward["status"] not in ("pending", "issued"):
        table.apply(store.due_delete_op(table, marker.shop_id, marker.reward_id))  # nothing is left to do
        return
    if reward["status"] == "pending" and reward["advocate"] == store.ERASED:
        # Nobody to hand a code to or write to: the reward is void (the due marker goes with it).
        with suppress(ConditionFailed):
            table.transact(_void_ops(table, shop, reward, "advocate_erased", clock.iso(now)))
        return
    if reward["status"] == "pending":
        issued = _issue(table, shop, reward, marker, now)
        if issued is None:
            return
        reward = issued
    _mail(table, shop, reward)
    table.apply(store.due_delete_op(table, marker.shop_id, marker.reward_id))


def _issue(
    table: Table, shop: Shop, reward: dict[str, Any], marker: store.DueReward, now: datetime
) -> dict[str, Any] | None:
    """Hand the reward its code and mark it issued; None while the pool has no code (it waits) or when it moved
    meanwhile (the next run sees what it became)."""
    from chalicelib.referrals.codes import code_source
    from chalicelib.referrals.store_codes import CodeOffer
    from chalicelib.store import aggregates

    rid = str(reward["reward_id"])
    kind = shop.settings.referral.codes
    email, offer = None, None
    if kind != "pool":  # a store makes the code: for the advocate's mailbox, at the reward's own value
        email = _advocate_address(table, shop, reward)[1]
        offer = CodeOffer(str(reward.get("reward_type") or "percent"), str(reward.get("reward_setting") or "0"))
    code = code_source(table, kind, due_work=True).claim(
        shop, ADVOCATE_POOL, keys.reward_holder(rid), email=email, offer=offer
    )
    if code is None:
        table.apply(store.due_put_op(table, shop.shop_id, rid, clock.iso(now + WAITING_RETRY)))
        return None
    at = clock.iso(now)
    issued = {**reward, "status": "issued", "code": code, "issued_at": at}
    day = clock.local_day(at, shop.timezone)
    ops = [
        store.move_op(table, reward, "issued", {"code": code, "issued_at": at}),
        store.counts_op(table, shop.shop_id, {"pending": -1, "issued": 1}),
        aggregates.add_op(
            table, shop.shop_id, day, {"rewards_issued": 1, f"reward_value_{reward['currency']}": reward["value"]}
        ),
        store.step_op(table, marker, store.STEP_MAIL),
        *_event(table, shop, "reward.issued", issued),
    ]
    if reward.get("experiments"):  # an offer experiment's cost, beside its metric: the value issued, by currency
        from chalicelib.store.experiments import count_ops

        ops += count_ops(
            table, shop.shop_id, reward["experiments"], f"reward_value_{reward['currency']}", reward["value"]
        )
    try:
        table.transact(ops)
    except ConditionFailed:
        return None
    return issued


def _mail(table: Table, shop: Shop, reward: dict[str, Any]) -> None:
    """The advocate's email with their code, to the mailbox of their own latest order, in their language; nobody is
    written to once they unsubscribed or were erased."""
    from chalicelib.mail import get_mailer
    from chalicelib.referrals.emails import compose_advocate_reward

    customer, to = _advocate_address(table, shop, reward)
    if customer is None or to is None or customer.get("unsubscribed"):
        return
    get_mailer().send(compose_advocate_reward(shop, reward, customer, to), to=to)


def _advocate_address(table: Table, shop: Shop, reward: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The advocate's record and the mailbox of their own latest order (None for an erased one)."""
    from chalicelib.mail.mailbox import mailbox

    customer = table.get(keys.customer_key(shop.shop_id, str(reward["advocate"])), consistent=True)
    if customer is None or customer.get("redacted"):
        return None, None
    orders = sorted(str(o) for o in customer.get("order_ids") or ())
    order = table.get(keys.order_key(shop.shop_id, orders[-1]), consistent=True) if orders else None
    if (order or {}).get("redacted"):
        return customer, None
    return customer, mailbox((order or {}).get("email"))


def _put_off(table: Table, marker: store.DueReward, now: datetime, exc: Exception) -> None:
    """A reward whose step failed waits with the backoff, behind the others, and is parked for its owner at the
    last attempt."""
    from chalicelib.backoff import REWARDS
    from chalicelib.parked import JOB_REWARDS, counted_parked, failure_reason
    from chalicelib.store.due import ATTEMPTS, Failure, apply, index_entry, moved, park, put_off

    attempts = int(marker.item.get(ATTEMPTS, 0)) + 1
    failure = Failure(attempts, failure_reason("the advocate's reward", attempts, exc), clock.iso(now))
    wait = REWARDS.wait_after(attempts)
    change = moved({}, index_entry(marker.item))
    what = {"reward_id": marker.reward_id}
    if wait is not None:
        key, later = store.put_off_change(clock.iso(now + wait), marker)
        apply(table, key, put_off(change, later, failure), what)
        return
    key, _ = store.put_off_change(clock.iso(now), marker)
    park(change, marker.shop_id, JOB_REWARDS, marker.reward_id, failure, clock.stamp(now))
    if apply(table, key, change, what):
        counted_parked(JOB_REWARDS, marker.shop_id, marker.reward_id, failure.reason)
