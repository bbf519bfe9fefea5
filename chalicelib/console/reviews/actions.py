"""Moderation from the console's pages: many reviews at once through the single actions' own code, what became
of each, and the page a form goes back to (rebuilt from parsed values, never a URL echoed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from chalicelib import errors, signing
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.console.reviews.models import ReviewFilters
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

TARGET = {"publish": "published", "reject": "rejected"}
# Why a review was not changed, by the refusal's code; the result keeps codes only (a link stays short).
REFUSALS = {
    "edit_conflict": "it changed meanwhile; reload the page and look again",
    "retry_later": "the database was busy; try again",
}
REFUSED = "it could not be changed"
# Ids not found are named in the result up to this many (any text may be sent as an id; the link stays short).
MISSING_NAMED = 25
BACK_SECTIONS = ("overview", "reviews")
_MAX_BACK_FIELDS = 20


@dataclass
class BulkResult:
    """What became of each review a bulk action named."""

    action: str
    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (review id, refusal code)
    missing_unnamed: int = 0  # ids not found beyond the MISSING_NAMED the result names

    def token(self) -> str:
        """The result, signed, for the page the form goes back to (so no link can claim what did not happen)."""
        named = self.missing[:MISSING_NAMED]
        payload = {
            "a": self.action,
            "d": self.done,
            "k": self.already,
            "m": named,
            "n": self.missing_unnamed + len(self.missing) - len(named),
            "r": self.refused,
        }
        return signing.sign("bulk-result", payload)

    @classmethod
    def from_token(cls, token: str) -> BulkResult:
        """The result a bulk action signed (400 invalid_bulk-result if it was changed)."""
        payload = signing.verify("bulk-result", token)
        try:
            return cls(
                action=str(payload["a"]),
                done=[str(i) for i in payload["d"]],
                already=[str(i) for i in payload["k"]],
                missing=[str(i) for i in payload["m"]],
                refused=[(str(i), str(code)) for i, code in payload["r"]],
                missing_unnamed=int(payload.get("n", 0)),
            )
        except (KeyError, TypeError, ValueError):
            raise errors.BadRequest("the bulk result is not valid", code="invalid_bulk-result") from None

    def outcomes(self) -> dict[str, str]:
        """Each review's outcome in words, by id."""
        target = TARGET.get(self.action, self.action)
        out = dict.fromkeys(self.done, target)
        out.update(dict.fromkeys(self.already, f"already {target}"))
        out.update(dict.fromkeys(self.missing, "not found"))
        out.update({rid: f"refused: {REFUSALS.get(code, REFUSED)}" for rid, code in self.refused})
        return out

    def summary(self) -> str:
        """One sentence: how many of each outcome."""
        target = TARGET.get(self.action, self.action)
        parts = [f"{len(self.done)} {target}"]
        if self.already:
            parts.append(f"{len(self.already)} already {target}")
        if self.missing or self.missing_unnamed:
            parts.append(f"{len(self.missing) + self.missing_unnamed} not found")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts) + "."


def bulk_moderate(table: Table, shop: Shop, action: str, review_ids: list[str]) -> BulkResult:
    """Publish or reject each review once, by the same code as the single action; a review already in the
    target state, or not the shop's, is reported and not touched (so nothing is counted twice)."""
    from chalicelib.reviews import owner

    target = TARGET[action]
    wanted = list(dict.fromkeys(review_ids))  # each review once, in the order given
    stored = {
        item["review_id"]: item
        for item in table.get_many([keys.review_key(shop.shop_id, rid) for rid in wanted], consistent=True)
        if item.get("type") == "review"
    }
    result = BulkResult(action)
    for rid in wanted:
        item = stored.get(rid)
        if item is None:
            result.missing.append(rid)
            continue
        if item.get("status") == target:
            result.already.append(rid)
            continue
        try:
            if action == "publish":
                owner.publish(table, shop, rid)
            else:
                owner.reject(table, shop.shop_id, rid, shop.platform)
        except errors.NotFound:
            result.missing.append(rid)
        except errors.ProofloopError as exc:  # a race or a busy table: this one is reported, the others go on
            result.refused.append((rid, exc.code))
        else:
            result.done.append(rid)
    return result


@dataclass(frozen=True)
class WayBack:
    """The console page a form goes back to: its section and its parsed query."""

    section: str  # "overview" or "reviews"
    params: dict[str, str]
    filters: ReviewFilters | None = None

    @property
    def path_section(self) -> str:
        """The section as it appears in the address (the overview is the console's own address)."""
        return "" if self.section == "overview" else self.section

    def query(self, **extra: str) -> str:
        """`?…` for the redirect: the parsed query, plus what the form adds (`done`, `bulk`)."""
        params = {**self.params, **extra}
        return "?" + urlencode(params) if params else ""


def way_back(shop: Shop, text: str) -> WayBack:
    """Read a form's `back` field: `overview` or `reviews`, with that page's query. Every value is parsed and
    the query rebuilt from the parsed values (a cursor must be this listing's own): 422 otherwise, never a URL
    echoed back."""
    from pydantic import ValidationError

    from chalicelib.console.reviews.listing import plan_for, start_of
    from chalicelib.console.reviews.models import ReviewFilters
    from chalicelib.http import validation_failed

    section, _, raw = text.strip().partition("?")
    section = section or "overview"
    if section not in BACK_SECTIONS:
        raise errors.ValidationFailed(f"a form goes back to one of {', '.join(BACK_SECTIONS)}", code="invalid_back")
    try:
        given = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True, max_num_fields=_MAX_BACK_FIELDS).items()}
    except ValueError:
        raise errors.ValidationFailed("the form's way back has too many fields", code="invalid_back") from None
    if section == "overview":
        period: dict[str, str] = {}
        for name in ("from", "to"):
            if given.get(name):
                try:
                    period[name] = date.fromisoformat(given[name]).isoformat()
                except ValueError:
                    problem = f"back: {name} is a date as YYYY-MM-DD"
                    raise errors.ValidationFailed(problem, code="invalid_back") from None
        return WayBack("overview", period)
    try:
        filters = ReviewFilters.model_validate(given)
    except ValidationError as exc:
        failed = validation_failed(exc)
        raise errors.ValidationFailed(f"back: {failed.message}", code="invalid_back") from None
    start_of(plan_for(shop, filters), filters)  # a cursor this listing did not sign is refused (400)
    return WayBack("reviews", filters.params(cursor=True), filters)
