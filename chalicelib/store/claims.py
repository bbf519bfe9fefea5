"""A friend's claim of the give-get offer, as the table keeps it (patterns 52 to 54).

One item per friend and shop, keyed by the keyed hash of the friend's mailbox: a second claim by the same
mailbox reads it back and answers the same. While it has work left (a code to wait for, the one email that
carries the code to send) it sits on the sparse due index; the friend's plain address is kept only until that
email is sent. A visitor's claims are counted per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

CLAIM_TYPE = "friend_claim"


@dataclass(frozen=True)
class FriendClaim:
    """A stored claim: whose link it came through, the code handed out (None: waiting for the pool)."""

    shop_id: str
    friend: str  # the keyed hash of the friend's mailbox
    share_code: str  # the advocate's share link it was claimed through
    advocate_id: str
    code: str | None
    language: str
    created_at: str
    email: str | None  # the friend's address, until the email carrying the code is sent
    mailed_at: str | None
    visitor: str | None = None  # the keyed hash of the browser that claimed (a fraud rule compares it)
    destination: str | None = None  # the shop's page the link pointed at, where the email sends the friend
    # While offer experiments run: the visitor's variant of each ({experiment: variant}), and the offers (by lever,
    # as settings.referral keeps them) the claim was made with: its answer, its email and a store's code keep them.
    experiments: dict[str, str] | None = None
    offers: dict[str, dict[str, str]] | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> FriendClaim:
        return cls(
            shop_id=str(item["shop_id"]),
            friend=str(item["friend"]),
            share_code=str(item["share_code"]),
            advocate_id=str(item["advocate_id"]),
            code=item.get("code"),
            language=str(item.get("language") or "en"),
            created_at=str(item["created_at"]),
            email=item.get("email"),
            mailed_at=item.get("mailed_at"),
            visitor=item.get("visitor"),
            destination=item.get("destination"),
            experiments=item.get("experiments") or None,
            offers=item.get("offers") or None,
        )


def read(table: Table, shop_id: str, friend: str) -> FriendClaim | None:
    """The friend's claim at this shop, read consistently (a claim a moment ago is seen)."""
    item = table.get(keys.friend_claim_key(shop_id, friend), consistent=True)
    return FriendClaim.from_item(item) if item else None


def count_visitor_claim(table: Table, visitor: str, day: str, limit: int, expires_at: int) -> bool:
    """Count one more claim by a visitor today; False (nothing counted) when `limit` are already counted."""
    try:
        table.update(
            keys.claim_limit_key(visitor, day),
            "ADD claims :one SET expires_at = if_not_exists(expires_at, :exp)",
            values={":one": 1, ":exp": expires_at, ":limit": limit},
            condition="attribute_not_exists(claims) OR claims < :limit",
        )
    except ConditionFailed:
        return False
    return True


def has_customer(table: Table, shop_id: str, lookup_token: str) -> bool:
    """Whether the shop has a customer found by this lookup token (an email's, pattern 42)."""
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.customer_lookup_prefix(lookup_token), limit=1)
    return bool(items)


def put_op(table: Table, claim: FriendClaim, due_at: str) -> Operation:
    """The claim's Put, on the due index from `due_at`; refused if the friend has claimed at this shop."""
    item: dict[str, Any] = {
        **keys.friend_claim_key(claim.shop_id, claim.friend),
        **keys.friend_due_keys(due_at, claim.shop_id, claim.friend),
        "type": CLAIM_TYPE,
        "shop_id": claim.shop_id,
        "friend": claim.friend,
        "share_code": claim.share_code,
        "advocate_id": claim.advocate_id,
        "language": claim.language,
        "created_at": claim.created_at,
        "email": claim.email,
        "visitor": claim.visitor,
        "destination": claim.destination,
    }
    if claim.code:
        item["code"] = claim.code
    if claim.experiments:
        item["experiments"] = dict(claim.experiments)
    if claim.offers:
        item["offers"] = {lever: dict(offer) for lever, offer in claim.offers.items()}
    return table.put_op(item, condition="attribute_not_exists(PK)")


def due(table: Table, now: str, limit: int) -> list[FriendClaim]:
    """Claims with work left whose time has come, oldest first."""
    items, _ = table.query(
        keys.FRIEND_DUE_PARTITION, index=keys.GSI1, sk_between=("0", keys.friend_due_until(now)), limit=limit
    )
    return [FriendClaim.from_item(i) for i in items if i.get("type") == CLAIM_TYPE]


def give_code(table: Table, claim: FriendClaim, code: str) -> None:
    """The code the pool has now handed to a waiting claim; kept only if the claim had none."""
    table.update(
        keys.friend_claim_key(claim.shop_id, claim.friend),
        "SET code = :code",
        values={":code": code},
        condition="attribute_exists(PK) AND attribute_not_exists(code)",
    )


def mailed(table: Table, claim: FriendClaim, now: str) -> None:
    """The email carrying the code is sent: the plain address goes, and the claim leaves the due index."""
    table.update(
        keys.friend_claim_key(claim.shop_id, claim.friend),
        "SET mailed_at = :now REMOVE email, GSI1PK, GSI1SK",
        values={":now": now},
        condition="attribute_exists(PK)",
    )


def put_off(table: Table, claim: FriendClaim, due_at: str) -> None:
    """Try the claim again at `due_at` (its pool was empty)."""
    table.update(
        keys.friend_claim_key(claim.shop_id, claim.friend),
        "SET GSI1PK = :pk, GSI1SK = :sk",
        values={
            ":pk": keys.FRIEND_DUE_PARTITION,
            ":sk": keys.friend_due_keys(due_at, claim.shop_id, claim.friend)[keys.GSI1SK],
        },
        condition="attribute_exists(PK) AND attribute_exists(GSI1PK)",
    )


def erasure_op(table: Table, shop_id: str, friend: str) -> Operation:
    """Forget a friend's claim at the shop (pattern 57): the item goes, with the keyed hash of their mailbox, their
    plain address if the email carrying the code was not sent yet, and its place on the due index. The code the
    pool handed to it stays handed out (referral_codes.holder_erasure_ops)."""
    return table.delete_op(keys.friend_claim_key(shop_id, friend))


def shop_erasure_ops(table: Table, shop_id: str, limit: int) -> list[Operation]:
    """The deletes of a page of the shop's friends' claims (a shop's erasure, pattern 57); none once all are gone."""
    items, _ = table.query(
        keys.shop_partition(shop_id), sk_prefix=keys.FRIEND_CLAIM_PREFIX, limit=limit, consistent=True
    )
    return [table.delete_op({keys.PK: item[keys.PK], keys.SK: item[keys.SK]}) for item in items]
