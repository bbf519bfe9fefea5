"""Shops, their owner API keys and their storefront domains in the table."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from chalicelib import errors
from chalicelib.store import keys
from chalicelib.store.shop_settings import ShopSettings
from chalicelib.store.table import ConditionFailed, NamedOperation, Operation, Table


@dataclass
class Shop:
    shop_id: str
    name: str
    platform: str
    domains: list[str]
    webhook_secret: str
    settings: ShopSettings
    api_key_hash: str
    created_at: str
    version: int = 1
    outbound: dict[str, Any] | None = None  # the owner's endpoint: url, events, secret
    # Dashboard sessions carry the generation they began in; sign-out and key rotation move it on.
    session_generation: int = 0
    # The secret of the product review feed's URL (chalicelib/feeds/access.py); None: no secret URL works.
    feed_key: str | None = None
    # The running experiments' summary, by lever slot (chalicelib/experiments/assignment.py): what the order
    # webhook and the due work read to assign and apply a variant, and the lock of one running experiment a lever.
    experiments: dict[str, Any] = field(default_factory=dict)

    @property
    def home(self) -> str:
        return self.domains[0]

    @property
    def timezone(self) -> str:
        """The IANA zone the shop's days are counted in."""
        return self.settings.timezone

    def to_item(self) -> dict[str, Any]:
        return {
            **keys.shop_key(self.shop_id),
            "type": "shop",
            "shop_id": self.shop_id,
            "name": self.name,
            "platform": self.platform,
            "domains": self.domains,
            "webhook_secret": self.webhook_secret,
            "settings": self.settings.to_map(),
            "api_key_hash": self.api_key_hash,
            "created_at": self.created_at,
            "version": self.version,
            "outbound": self.outbound,
            "session_generation": self.session_generation,
            "feed_key": self.feed_key,
            "experiments": self.experiments or None,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Shop:
        return cls(
            shop_id=item["shop_id"],
            name=item["name"],
            platform=item["platform"],
            domains=list(item["domains"]),
            webhook_secret=item["webhook_secret"],
            settings=ShopSettings.from_map(item.get("settings")),
            api_key_hash=item["api_key_hash"],
            created_at=item["created_at"],
            version=int(item.get("version", 1)),
            outbound=item.get("outbound"),
            session_generation=int(item.get("session_generation", 0)),
            feed_key=item.get("feed_key"),
            experiments=dict(item.get("experiments") or {}),
        )


def _api_key_item(key_hash: str, shop_id: str) -> dict[str, Any]:
    return {**keys.api_key_key(key_hash), "type": "api_key", "shop_id": shop_id}


def _domain_item(host: str, shop_id: str) -> dict[str, Any]:
    return {**keys.domain_key(host), "type": "domain", "shop_id": shop_id}


def _domain_role(host: str) -> str:
    return f"domain:{host}"


def insert_shop(table: Table, shop: Shop, *, first: bool = False) -> None:
    """Create the shop, its key and its domains together, or nothing (409 on any clash). Every creation
    counts itself on the instance's item; `first` (the set-up page) only while that item does not exist."""
    absent = "attribute_not_exists(PK)"
    ops: list[NamedOperation] = [
        ("shop", table.put_op(shop.to_item(), absent)),
        ("api_key", table.put_op(_api_key_item(shop.api_key_hash, shop.shop_id), absent)),
        (
            "instance",
            table.update_op(
                keys.instance_key(), "ADD shops :one", values={":one": 1}, condition=absent if first else None
            ),
        ),
    ]
    ops += [(_domain_role(host), table.put_op(_domain_item(host, shop.shop_id), absent)) for host in shop.domains]
    try:
        table.transact(ops)
    except ConditionFailed as exc:
        if exc.failed("instance"):
            raise errors.Conflict("this instance already has a shop; sign in to it", code="already_set_up") from None
        if exc.failed("shop"):
            raise errors.Conflict(f"shop {shop.shop_id!r} already exists", code="shop_exists") from None
        taken = [host for host in shop.domains if exc.failed(_domain_role(host))]
        raise errors.Conflict(
            f"domain {', '.join(taken) or 'in the list'} already belongs to another shop", code="domain_taken"
        ) from None


def instance_has_shop(table: Table) -> bool:
    """Whether a shop was ever created on this instance (the set-up page works only until one is)."""
    return table.get(keys.instance_key(), consistent=True) is not None


def get_shop(table: Table, shop_id: str, *, consistent: bool = False) -> Shop | None:
    item = table.get(keys.shop_key(shop_id), consistent=consistent)
    return Shop.from_item(item) if item else None


def end_sessions(table: Table, shop_id: str) -> None:
    """Move the shop's session generation on: every dashboard session begun before ends now."""
    with suppress(ConditionFailed):  # no shop, no sessions to end (and no stray item made by ADD)
        table.update(
            keys.shop_key(shop_id),
            "ADD session_generation :one",
            values={":one": 1},
            condition="attribute_exists(PK)",
        )


def set_feed_key(table: Table, shop_id: str, feed_key: str | None) -> int:
    """Set (or, with None, remove) the shop's feed key on its own: no read of the shop to write back, so a
    change of anything else meanwhile cannot refuse it. The version moves, so an edit planned from the shop
    as it was (replace_shop) is refused rather than writing the old key back. Returns the new version."""
    action = "SET feed_key = :k" if feed_key else "REMOVE feed_key"
    values: dict[str, Any] = {":one": 1, **({":k": feed_key} if feed_key else {})}
    try:
        item = table.update(
            keys.shop_key(shop_id),
            f"{action} ADD version :one",
            values=values,
            condition="attribute_exists(PK)",
            return_new=True,
        )
    except ConditionFailed:
        raise errors.NotFound(f"shop {shop_id!r} does not exist", code="shop_not_found") from None
    return int((item or {}).get("version", 0))


def get_shop_and_key_owner(
    table: Table, shop_id: str, key_hash: str, *, consistent: bool = False
) -> tuple[Shop | None, str | None]:
    """The shop in the path and the shop the presented key belongs to, in one call."""
    found = table.get_many([keys.shop_key(shop_id), keys.api_key_key(key_hash)], consistent=consistent)
    shop: Shop | None = None
    owner: str | None = None
    for item in found:
        if item.get("type") == "shop":
            shop = Shop.from_item(item)
        elif item.get("type") == "api_key":
            owner = item["shop_id"]
    return shop, owner


def shop_for_domain(table: Table, host: str) -> Shop | None:
    item = table.get(keys.domain_key(host))
    if not item:
        return None
    return get_shop(table, item["shop_id"])


def replace_shop(table: Table, old: Shop, new: Shop, also: Sequence[NamedOperation] = ()) -> None:
    """Write new (version old+1) over old if nobody changed it meanwhile; move domain and key claims; `also`:
    writes that stand or fall with the change (an experiment's end when it promotes a variant), each named by its
    role: when one of them fails its condition, ConditionFailed is raised for the caller to read.

    An update of the shop's own fields, not a put: attributes other flows keep on the shop item (a
    pending shop erasure, its index keys, the session generation a sign-out moved) survive an owner's
    edit. A new owner key ends every dashboard session begun under the old one.
    """
    absent = "attribute_not_exists(PK)"
    kept = (keys.PK, keys.SK, "shop_id", "created_at", "session_generation")
    fields = {k: v for k, v in new.to_item().items() if k not in kept}
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values())}
    values[":old"] = old.version
    names["#v"] = "version"
    sets = [f"#f{i} = :f{i}" for i, value in enumerate(fields.values()) if value is not None]
    removes = [f"#f{i}" for i, value in enumerate(fields.values()) if value is None]
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    if new.api_key_hash != old.api_key_hash:
        expression += " ADD session_generation :one"
        values[":one"] = 1
    ops: list[Operation | NamedOperation] = [
        (
            "shop",
            table.update_op(
                keys.shop_key(new.shop_id),
                expression,
                names=names,
                values={k: v for k, v in values.items() if v is not None},
                condition="#v = :old",
            ),
        )
    ]
    added = [h for h in new.domains if h not in old.domains]
    removed = [h for h in old.domains if h not in new.domains]
    ops += [table.put_op(_domain_item(h, new.shop_id), absent) for h in added]
    ops += [table.delete_op(keys.domain_key(h)) for h in removed]
    if new.api_key_hash != old.api_key_hash:
        ops.append(table.put_op(_api_key_item(new.api_key_hash, new.shop_id), absent))
        ops.append(table.delete_op(keys.api_key_key(old.api_key_hash)))
    ops += list(also)
    try:
        table.transact(ops)
    except ConditionFailed as exc:
        if exc.failed("shop"):
            raise errors.Conflict("the shop changed meanwhile; read it and try again", code="edit_conflict") from None
        if any(exc.failed(role) for role, _ in also):
            raise
        raise errors.Conflict("a new domain already belongs to another shop", code="domain_taken") from None
