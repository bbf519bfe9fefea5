"""Which variant a unit gets, and what a running experiment changes in what a buyer is sent.

Read on the hot paths (the order webhook's planner, the due work's send): no pydantic, no I/O. The running
experiments come from the shop's own item (`Shop.experiments`, kept by store/experiments.py), so reading them
costs no call. A unit (an order for the request's levers, a friend's visitor for the offers, a happy reviewer for
the share prompt) gets its variant from a keyed hash of the experiment
and the unit: the same order always gets the same variant, whatever redelivers or retries it, and every buyer is
still asked; only the words or the timing vary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

# The levers of the contract: the request's (the email texts per language), the offers, the share prompt.
TEXT_LEVERS = ("request_subject", "request_intro")
DELAY_LEVER = "request_delay_days"
REQUEST_LEVERS = (*TEXT_LEVERS, DELAY_LEVER)
# The give-get program's offers: their unit is a friend's visitor (the keyed hash of the browser the friend's page
# and the claim already use), their value an offer object as settings.referral declares it.
OFFER_LEVERS = ("friend_offer", "advocate_reward")
# The share prompt's words (per language, as settings.share_prompt keeps them): its unit is a happy reviewer (the
# customer) shown the prompt, its conversion their first share.
PROMPT_LEVER = "share_prompt"
LANGUAGE_LEVERS = (*TEXT_LEVERS, PROMPT_LEVER)  # each language is its own slot
LEVERS = (*REQUEST_LEVERS, *OFFER_LEVERS, PROMPT_LEVER)
# Where the order keeps its variants ({experiment: variant}): `assigned`, the delay's, from the plan that first
# chose it, whose transaction counted the unit; `exposed`, the email texts', from the request's first send, which
# counted it. The order's first review converts it in both, each once, for the same variant.
HASH_PURPOSE = "experiment-assignment"
# A request's reviews arrive within about two weeks of the request and its reminder: the request levers' window.
REVIEW_WINDOW_DAYS = 14


def slot(lever: str, language: str | None = None) -> str:
    """The lock of one running experiment: a lever, per language for the email texts and the share prompt."""
    return f"{lever}:{language}" if language else lever


def variant_for(experiment_id: str, unit_id: str, variant_keys: Sequence[str]) -> str:
    """The unit's variant: uniform over `variant_keys` (in the experiment's order), from a keyed hash of the
    experiment and the unit, so nobody outside can predict or steer it, and it never changes."""
    from chalicelib.signing import mac

    if not variant_keys:
        raise ValueError("an experiment has variants")
    digest = mac(HASH_PURPOSE, f"{experiment_id}\n{unit_id}")
    # 64 bits modulo at most 4: the bias is below 1e-18.
    return variant_keys[int(digest[:16], 16) % len(variant_keys)]


@dataclass(frozen=True)
class Running:
    """One running experiment as the shop's item summarises it."""

    experiment_id: str
    lever: str
    language: str | None
    variants: tuple[tuple[str, Any], ...]  # (key, value), in the experiment's order
    # Days from a unit's exposure to its window's close, for an experiment whose units are counted at close (None:
    # started before they were, counted as they come).
    outcome_days: int | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.variants)

    def value(self, key: str) -> Any:
        return dict(self.variants)[key]

    def assign(self, unit_id: str) -> str:
        return variant_for(self.experiment_id, unit_id, self.keys)

    def closes_at(self, at: str) -> str | None:
        """When the window of its unit exposed at `at` closes (None: counted as its units come)."""
        if self.outcome_days is None:
            return None
        from datetime import timedelta

        from chalicelib import clock

        return clock.iso(clock.parse(at) + timedelta(days=self.outcome_days))

    def summary(self) -> dict[str, Any]:
        """What the shop's item keeps of it."""
        kept: dict[str, Any] = {
            "experiment_id": self.experiment_id,
            "lever": self.lever,
            "language": self.language,
            "variants": [[key, value] for key, value in self.variants],
        }
        if self.outcome_days is not None:
            kept["outcome_days"] = self.outcome_days
        return kept

    @classmethod
    def from_summary(cls, stored: Mapping[str, Any]) -> Running:
        lever = str(stored["lever"])
        variants = tuple((str(key), _value(lever, value)) for key, value in stored["variants"])
        days = stored.get("outcome_days")
        return cls(
            str(stored["experiment_id"]),
            lever,
            stored.get("language") or None,
            variants,
            None if days is None else int(days),
        )


def _value(lever: str, value: Any) -> Any:
    if lever == DELAY_LEVER:
        return int(value)
    if lever in OFFER_LEVERS:
        return {str(k): str(v) for k, v in dict(value).items() if v is not None}
    return str(value)


def running(shop: Shop) -> dict[str, Running]:
    """The shop's running experiments by slot."""
    return {name: Running.from_summary(stored) for name, stored in (shop.experiments or {}).items()}


def closes(shop: Shop, assigned: Mapping[str, str], at: str) -> dict[str, str]:
    """When the window of a unit exposed at `at` closes, for each experiment of `assigned` that counts its units
    at close (as the shop's summary says: an experiment started before that counts as its units come)."""
    by_id = {experiment.experiment_id: experiment for experiment in running(shop).values()}
    found = {e: by_id[e].closes_at(at) for e in assigned if e in by_id}
    return {e: closes_at for e, closes_at in found.items() if closes_at is not None}


def delay_window(shop: Shop, assigned: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """For each delay experiment of `assigned`: what its unit's window runs from and for how long, kept on the unit
    so that the due work closes it as long after the request's basis (the delivery, once reported, else the
    assumed one; or the fulfilment) in every variant: `basis` (review_after), `fallback_days`, `basis_days` (the
    longest variant, the reminder and REVIEW_WINDOW_DAYS). A delivery reported later than assumed moves the longer
    arm's request later; it moves every arm's window alike."""
    experiment = running(shop).get(slot(DELAY_LEVER))
    if experiment is None or experiment.experiment_id not in assigned:
        return {}
    settings = shop.settings
    days = max(int(value) for _, value in experiment.variants) + int(settings.reminder_after_days)
    return {
        experiment.experiment_id: {
            "basis": settings.review_after,
            "fallback_days": int(settings.delivery_fallback_days),
            "basis_days": days + REVIEW_WINDOW_DAYS,
        }
    }


def buyer_language(shop: Shop, order: Mapping[str, Any]) -> str:
    """The language the order's emails are written in (as the email channel composes them)."""
    from chalicelib.web.languages import buyer_language as language

    return language(order.get("language"), shop.settings.language)


def delay_days(shop: Shop, order: Mapping[str, Any]) -> tuple[int, dict[str, str]]:
    """The request's delay for this order, and the assignment to keep on it: the shop's setting, or the order's
    variant while a delay experiment runs (the one it was given already, else the hash's)."""
    experiment = running(shop).get(slot(DELAY_LEVER))
    if experiment is None:
        return shop.settings.review_delay_days, {}
    kept = (order.get("assigned") or {}).get(experiment.experiment_id)
    key = kept if kept in experiment.keys else experiment.assign(str(order["order_id"]))
    return int(experiment.value(key)), {experiment.experiment_id: key}


def exposures(shop: Shop, order: Mapping[str, Any]) -> dict[str, str]:
    """The experiments the order's first request is a unit of at its send, each with its variant: the email
    texts' of its language. Not the delay's: its unit was counted when the plan assigned it (`assigned`)."""
    found: dict[str, str] = {}
    language = buyer_language(shop, order)
    experiments = running(shop)
    for lever in TEXT_LEVERS:
        experiment = experiments.get(slot(lever, language))
        if experiment is not None:
            found[experiment.experiment_id] = experiment.assign(str(order["order_id"]))
    return found


def conversions(order: Mapping[str, Any]) -> dict[str, str]:
    """The experiments the order's first review converts it in, each once, for the variant the order records: the
    delay's it was assigned and the email texts' its request was sent with (a request sent before the delay's unit
    moved to its assignment names the delay in both, with the same variant)."""
    return {**dict(order.get("assigned") or {}), **dict(order.get("exposed") or {})}


def with_variants(shop: Shop, order: Mapping[str, Any]) -> Shop:
    """The shop as this order's first request sees it: each running email-text experiment of the order's
    language puts the order's variant in place of the shop's own text (an empty variant: ours)."""
    language = buyer_language(shop, order)
    experiments = running(shop)
    texts = {name: dict(value) for name, value in shop.settings.email_texts.items()}
    changed = False
    for lever in TEXT_LEVERS:
        experiment = experiments.get(slot(lever, language))
        if experiment is not None:
            texts.setdefault(language, {})[lever] = str(experiment.value(experiment.assign(str(order["order_id"]))))
            changed = True
    if not changed:
        return shop
    return replace(shop, settings=replace(shop.settings, email_texts=texts))


def offer_assignment(shop: Shop, visitor: str) -> dict[str, str]:
    """The running offer experiments a friend's visitor takes part in, each with the visitor's variant ({} for most
    shops: no experiment, nothing read)."""
    if not shop.experiments:
        return {}
    experiments = running(shop)
    found: dict[str, str] = {}
    for lever in OFFER_LEVERS:
        experiment = experiments.get(slot(lever))
        if experiment is not None:
            found[experiment.experiment_id] = experiment.assign(visitor)
    return found


def offer_values(shop: Shop, assigned: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The offers (by lever) the visitor's variants put in place of the shop's settings."""
    values: dict[str, dict[str, str]] = {}
    for lever in OFFER_LEVERS:
        experiment = running(shop).get(slot(lever))
        if experiment is not None and assigned.get(experiment.experiment_id) in experiment.keys:
            values[lever] = dict(experiment.value(assigned[experiment.experiment_id]))
    return values


def with_offers(shop: Shop, offers: Mapping[str, Mapping[str, Any]] | None) -> Shop:
    """The shop as a friend of these offers sees it (`{"friend_offer": {...}, "advocate_reward": {...}}`, each
    as settings.referral keeps it): the offers in place of the shop's own, everything else unchanged."""
    if not offers:
        return shop
    from chalicelib.store.shop_settings import AdvocateReward, FriendOffer, record_from_map

    referral = shop.settings.referral
    if offers.get("friend_offer"):
        referral = replace(referral, friend_offer=record_from_map(FriendOffer, offers["friend_offer"]))
    if offers.get("advocate_reward"):
        referral = replace(referral, advocate_reward=record_from_map(AdvocateReward, offers["advocate_reward"]))
    return replace(shop, settings=replace(shop.settings, referral=referral))


def prompt_experiment(shop: Shop, language: str) -> Running | None:
    """The share-prompt experiment running in this language, if any (None for most shops: nothing read)."""
    if not shop.experiments:
        return None
    return running(shop).get(slot(PROMPT_LEVER, language))


def prompt_credit(customer: Mapping[str, Any]) -> dict[str, str]:
    """The share-prompt experiment (with the variant) a customer's first share converts in: the one they were
    counted a unit of, as their record (`share_prompt`, read by the share anyway) names it; {} when they were none.
    Read from the record, not from the shop's summary: a container whose shop is a minute old (store/recent.py)
    still credits a unit of an experiment started meanwhile. One that ended meanwhile keeps its frozen counts."""
    kept = customer.get("share_prompt")
    if not isinstance(kept, Mapping) or not kept.get("experiment_id") or not kept.get("variant"):
        return {}
    return {str(kept["experiment_id"]): str(kept["variant"])}
