"""Experiments on the levers of the funnel: start one (at most one running a lever), read it with its decision at
any time, stop it, or promote a variant to be the shop's setting through the settings' own code.

Units and conversions are counted where the funnel's are (the texts' in store/review_requests.py claim, the
delay's in orders/writer.py, both converted in reviews/submission.py; the offers' in referrals/ and orders/; the
share prompt's in experiments/prompt.py and sharing/counting.py), and the variant of a unit comes from
assignment.py. Every decision and interval comes from stats.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chalicelib import clock, errors
from chalicelib.experiments import stats
from chalicelib.experiments.assignment import (
    DELAY_LEVER,
    LANGUAGE_LEVERS,
    LEVERS,
    OFFER_LEVERS,
    PROMPT_LEVER,
    REVIEW_WINDOW_DAYS,
    Running,
    slot,
)
from chalicelib.store import experiments as store
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.experiments.models import ExperimentCreate
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

ATTEMPTS = 4  # the shop changed meanwhile (an owner's edit): read it again
METRIC = "review_rate"
PROMPT_METRIC = "share_rate"  # the share prompt's: reviewers shown it who shared / reviewers shown it
OFFER_METRIC = "referral_rate"  # the offers' primary metric; claim_rate and reward_value are shown beside it
METHOD = "mSPRT"
LABELS = {
    "request_subject": "Subject",
    "request_intro": "Intro",
    "request_delay_days": "Delay",
    "share_prompt": "Prompt",
    "friend_offer": "Offer",
    "advocate_reward": "Reward",
}
MORE, FEWER = "gets more reviews", "gets fewer reviews"
PROMPT_MORE, PROMPT_FEWER = "gets more shares", "gets fewer shares"
OFFER_MORE, OFFER_FEWER = "brings more referred orders", "brings fewer referred orders"
REWARD_VALUE_PREFIX = "reward_value_"
# How long a unit's outcome takes to arrive, in days after its exposure: a request's reviews come within about two
# weeks of the request and its reminder; a share within a week of the prompt; a referred order within the program's
# attribution window. Until the experiment's first units have had that long, its counts lag behind the outcomes
# (few or no conversions yet), so it reads as running: no decision, no interval kept for the next look.
SHARE_WINDOW_DAYS = 7
# The fields of an offer as settings.referral keeps it, each with its default when a variant leaves it out.
OFFER_FIELDS: dict[str, dict[str, str | None]] = {
    "friend_offer": {"type": "percent", "value": "10", "currency": None, "minimum_order": "0"},
    "advocate_reward": {"type": "percent", "value": "10", "currency": None},
}


def _shop(table: Table, shop_id: str) -> Shop:
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, shop_id, consistent=True)
    if shop is None:
        raise errors.NotFound(f"shop {shop_id!r} does not exist", code="shop_not_found")
    return shop


def current_value(shop: Shop, lever: str, language: str | None) -> str | int | dict[str, str]:
    """The lever's setting now: the shop's own text in that language ("" while it writes ours), or the delay."""
    if lever == DELAY_LEVER:
        return shop.settings.review_delay_days
    if lever in OFFER_LEVERS:
        return _offer_map(getattr(shop.settings.referral, lever))
    if lever == PROMPT_LEVER:
        return shop.settings.share_prompt.words(str(language))
    return shop.settings.email_text(str(language), lever)


def _offer_map(offer: Any) -> dict[str, str]:
    """An offer (a settings record, or its map) as an experiment keeps it: its fields as text, none left out but
    an empty currency."""
    from dataclasses import asdict, is_dataclass

    found = asdict(offer) if is_dataclass(offer) and not isinstance(offer, type) else dict(offer)
    return {str(k): str(v) for k, v in found.items() if v is not None}


def settings_change(shop: Shop, lever: str, language: str | None, value: Any) -> dict[str, Any]:
    """The settings change (as PATCH /shops/{id} takes it) that makes `value` the lever's setting."""
    if lever == DELAY_LEVER:
        return {"review_delay_days": value}
    if lever in OFFER_LEVERS:  # the whole offer: a field the variant leaves out takes its default, not the shop's
        assert isinstance(value, dict)
        return {"referral": {lever: {**OFFER_FIELDS[lever], **value}}}
    if lever == PROMPT_LEVER:  # a group: the other languages' words are kept
        return {"share_prompt": {str(language): value}}
    texts: dict[str, dict[str, Any]] = {name: dict(texts) for name, texts in shop.settings.email_texts.items()}
    texts.setdefault(str(language), {})[lever] = value
    return {"email_texts": texts}


def _check_variants(shop: Shop, body: ExperimentCreate) -> tuple[str, list[Any]]:
    """Each variant valid as the setting itself (the PATCH's own validation), distinct, and exactly one of them
    the current setting: its key, the control."""
    from chalicelib.http import parse_model
    from chalicelib.shops.models import ShopSettings
    from chalicelib.shops.service import merged_settings

    keys_seen: set[str] = set()
    values_seen: list[Any] = []
    for index, variant in enumerate(body.variants):
        where = f"variants[{index}]"
        if variant.key in keys_seen:
            raise _invalid(f"{where}: the key {variant.key!r} is used twice", where, "duplicate_variant")
        keys_seen.add(variant.key)
        wanted: type = int if body.lever == DELAY_LEVER else dict if body.lever in OFFER_LEVERS else str
        if not isinstance(variant.value, wanted):
            kind = {int: "a whole number of days", dict: "an offer object, as settings.referral takes it"}
            raise _invalid(
                f"variant {variant.key!r}: the value must be {kind.get(wanted, 'text')}", where, "invalid_variant"
            )
        change = settings_change(shop, body.lever, body.language, variant.value)
        try:
            parsed = parse_model(ShopSettings, merged_settings(shop.settings.to_map(), change))
        except errors.ValidationFailed as exc:
            raise _invalid(f"variant {variant.key!r}: {exc.message}", where, "invalid_variant") from None
        value = _offer_map(getattr(parsed.stored().referral, body.lever)) if wanted is dict else variant.value
        if value in values_seen:
            raise _invalid(f"variant {variant.key!r}: the same value as another variant", where, "duplicate_variant")
        values_seen.append(value)
    current = current_value(shop, body.lever, body.language)
    controls = [v.key for v, value in zip(body.variants, values_seen, strict=True) if value == current]
    if len(controls) != 1:
        raise _invalid(
            f"exactly one variant must be the current setting ({current!r}); it is the control",
            "variants",
            "no_control",
        )
    return controls[0], values_seen


def _invalid(message: str, field: str, code: str) -> errors.ValidationFailed:
    return errors.ValidationFailed(message, code=code, details=[{"field": field, "problem": message}])


def new_experiment_id() -> str:
    """Sortable by creation (newest first is key order), then random."""
    return "ex" + clock.now().strftime("%Y%m%d%H%M%S%f") + secrets.token_hex(3)


def create(table: Table, shop_id: str, body: ExperimentCreate) -> str:
    """Start the experiment; 409 lever_busy when one runs on that lever (and language) already."""
    if body.lever not in LEVERS:  # the model's Literal refuses it first; kept for a caller that did not parse
        raise _invalid(f"no lever {body.lever!r}", "lever", "unknown_lever")
    text = body.lever in LANGUAGE_LEVERS
    if text and body.language is None:
        raise _invalid(f"{body.lever} is per language: name the language", "language", "language_required")
    if not text and body.language is not None:
        raise _invalid(f"{body.lever} has no language", "language", "language_not_allowed")
    where = slot(body.lever, body.language)
    for _ in range(ATTEMPTS):
        shop = _shop(table, shop_id)
        if where in shop.experiments:
            raise errors.Conflict(
                f"an experiment on {where} is running already; stop or promote it first", code="lever_busy"
            )
        control, values = _check_variants(shop, body)
        experiment_id = new_experiment_id()
        variants = tuple((v.key, value) for v, value in zip(body.variants, values, strict=True))
        days = outcome_days(shop, body.lever, [value for _, value in variants])
        running = Running(experiment_id, body.lever, body.language, variants, days)
        item = {
            "experiment_id": experiment_id,
            "shop_id": shop_id,
            "name": body.name,
            "lever": body.lever,
            "language": body.language,
            "slot": where,
            "metric": metric_of(body.lever),
            "variants": [{"key": key, "value": value} for key, value in variants],
            "control": control,
            "alpha": str(body.alpha),
            "max_units_per_variant": body.max_units_per_variant,
            "status": store.RUNNING,
            "created_at": clock.iso(),
            "outcome_days": days,
            "counting": store.CLOSING,
        }
        summary = {**shop.experiments, where: running.summary()}
        try:
            store.create(table, shop_id, shop.version, summary, item, [key for key, _ in variants])
        except ConditionFailed as exc:
            if exc.failed("shop"):
                continue  # changed meanwhile (perhaps another experiment on this lever): read again
            raise
        return experiment_id
    raise errors.Conflict("the shop changed meanwhile; try again", code="edit_conflict")


def outcome_days(shop: Shop, lever: str, values: list[Any]) -> int:
    """Days after a unit's exposure by which its outcome has arrived: for the delay, its longest variant's wait
    (from the fulfilment, with the assumed delivery) before the request's own window."""
    settings = shop.settings
    if lever in OFFER_LEVERS:
        return int(settings.attribution_window_days)
    if lever == PROMPT_LEVER:
        return SHARE_WINDOW_DAYS
    request = int(settings.reminder_after_days) + REVIEW_WINDOW_DAYS
    if lever == DELAY_LEVER:
        fallback = int(settings.delivery_fallback_days) if settings.review_after == "delivery" else 0
        return fallback + max(int(value) for value in values) + request
    return request


def _readable_from(item: dict[str, Any]) -> str:
    """When the experiment's first units' outcomes have all had time to arrive (an experiment started before this
    was kept reads from its start)."""
    from datetime import timedelta

    return clock.iso(clock.parse(str(item["created_at"])) + timedelta(days=int(item.get("outcome_days", 0))))


def metric_of(lever: str) -> str:
    """The primary metric of a lever's experiments."""
    return OFFER_METRIC if lever in OFFER_LEVERS else PROMPT_METRIC if lever == PROMPT_LEVER else METRIC


def _experiment(table: Table, shop_id: str, experiment_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    item, counters = store.get(table, shop_id, experiment_id)
    if item is None:
        raise errors.NotFound(f"no experiment {experiment_id!r}", code="experiment_not_found")
    return item, counters


def _counts(item: dict[str, Any], counters: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Each variant's (units, conversions) the statistic reads: the units whose outcome window has closed, each
    converted or not by its close (experiments/closing.py; they go on closing after the experiment ended, until its
    last unit's window has). An experiment started before units were counted at close reads its counts so far."""
    if item.get("counting") != store.CLOSING:
        return _so_far(item, counters)
    found: dict[str, tuple[int, int]] = {}
    for variant in item["variants"]:
        counter = counters.get(str(variant["key"])) or {}
        units = max(int(counter.get("closed_units", 0)), 0)
        found[str(variant["key"])] = (units, min(max(int(counter.get("closed_conversions", 0)), 0), units))
    return found


def _so_far(item: dict[str, Any], counters: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Each variant's (units, conversions) as counted when they came: while it runs, and as frozen once it ended."""
    frozen = item.get("frozen") or {}
    found: dict[str, tuple[int, int]] = {}
    for variant in item["variants"]:
        key = str(variant["key"])
        if item["status"] != store.RUNNING and key in frozen:
            units, conversions = (int(n) for n in frozen[key])
        else:
            counter = counters.get(key) or {}
            units, conversions = int(counter.get("units", 0)), int(counter.get("conversions", 0))
        units = max(units, 0)
        found[key] = (units, min(max(conversions, 0), units))
    return found


def view(item: dict[str, Any], counters: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], Keep | None]:
    """The contract's shape of one experiment at this look, and what to keep for the next (None: nothing, as
    while its first units' windows are open, or once an experiment counted as its units came ended)."""
    counts = _counts(item, counters)
    so_far = _so_far(item, counters)
    alpha = float(item["alpha"])
    control = str(item["control"])
    previous = {
        key: stats.Difference(float(d["estimate"]), float(d["low"]), float(d["high"]))
        for key, d in (item.get("looks") or {}).items()
    }
    result = stats.decide(
        {key: stats.Counts(*pair) for key, pair in counts.items()},
        control=control,
        alpha=alpha,
        max_units_per_variant=int(item["max_units_per_variant"]),
        previous=previous,
    )
    readable_from = _readable_from(item)
    at_close = item.get("counting") == store.CLOSING
    # Counted at close, its units go on closing after it ended: readable once the first have, whenever it ended.
    moment = clock.iso() if at_close else str(item.get("ended_at") or clock.iso())
    readable = clock.parse(moment) >= clock.parse(readable_from)
    decided = str(item.get("decided") or "")
    if not readable:  # the counts lag behind the outcomes: nothing is decided on them
        result = replace(result, decision=stats.RUNNING)
    elif _known_decision(decided, control, result):  # a decision once reached stays
        result = replace(result, decision=decided)
    label = LABELS.get(str(item["lever"]), "Variant")
    offer = item["lever"] in OFFER_LEVERS
    more, fewer = (
        (OFFER_MORE, OFFER_FEWER)
        if offer
        else (PROMPT_MORE, PROMPT_FEWER)
        if item["lever"] == PROMPT_LEVER
        else (MORE, FEWER)
    )
    sentences = {
        key: stats.sentence(
            d, variant=_named(label, key), more=more, fewer=fewer, control=_named(label, control), alpha=alpha
        )
        for key, d in result.differences.items()
    }
    variants = []
    for variant in item["variants"]:
        key = str(variant["key"])
        units, conversions = counts[key]
        difference = result.differences.get(key)
        value = variant["value"]
        shown: Any = int(value) if item["lever"] == DELAY_LEVER else _offer_map(value) if offer else str(value)
        claimed = "closed_claims" if item.get("counting") == store.CLOSING else "claims"
        extra = _offer_counts(counters.get(key) or {}, units, conversions, claimed) if offer else {}
        variants.append(
            {
                "key": key,
                "value": shown,
                "control": key == control,
                "units": units,
                "conversions": conversions,
                "rate": conversions / units if units else None,
                "difference": difference.as_dict() if difference else None,
                "sentence": sentences.get(key),
                "so_far": {"units": so_far[key][0], "conversions": so_far[key][1]},
                **extra,
            }
        )
    answer = {
        "experiment_id": item["experiment_id"],
        "name": item["name"],
        "lever": item["lever"],
        "language": item.get("language"),
        "metric": item.get("metric", METRIC),
        "status": item["status"],
        "control": control,
        "promoted": item.get("promoted"),
        "max_units_per_variant": int(item["max_units_per_variant"]),
        "created_at": item["created_at"],
        "ended_at": item.get("ended_at"),
        "variants": variants,
        "decision": result.decision,
        "readable_from": readable_from,
        "counting": "at_close" if at_close else "as_counted",
        "method": {"name": METHOD, "alpha": alpha},
        "sentence": _headline(result, sentences, control, label)
        if readable
        else _too_early(item, readable_from, at_close),
    }
    if not readable or (item["status"] != store.RUNNING and not at_close):  # an older one's counts are frozen
        return answer, None
    keep = Keep(
        looks={key: d.as_dict() for key, d in result.differences.items()},
        decided=None if result.decision == stats.RUNNING or decided else result.decision,
    )
    return answer, keep


@dataclass(frozen=True)
class Keep:
    """What a look of a running experiment keeps for the next: each interval, and the decision when this look is
    the first to reach one."""

    looks: dict[str, dict[str, float]]
    decided: str | None


def _known_decision(decided: str, control: str, result: stats.Result) -> bool:
    if decided in (stats.NO_DIFFERENCE, stats.INCONCLUSIVE):
        return True
    if decided.startswith(stats.BETTER_PREFIX):
        key = decided[len(stats.BETTER_PREFIX) :]
        return key == control or key in result.differences
    return False


def _too_early(item: dict[str, Any], readable_from: str, at_close: bool) -> str:
    days = int(item.get("outcome_days", 0))
    if at_close:
        return (
            f"Too early to read: each unit is counted once its {days}-day outcome window has closed, and the first "
            f"close on {readable_from[:10]}. Until then nothing is decided."
        )
    return (
        f"Too early to read: each unit's outcome takes up to {days} days to arrive, so the first are complete on "
        f"{readable_from[:10]}. Until then the counts lag behind and nothing is decided."
    )


def _offer_counts(counter: dict[str, Any], units: int, referrals: int, claimed: str) -> dict[str, Any]:
    """An offer variant's figures beside its primary metric: claims (one per visitor, by its window's close: the
    `claimed` counter) and their rate, the visitors its claims' referred orders converted (the primary metric's
    conversions) and their rate, and the rewards' value issued so far, by currency (a cost shown beside, no
    statistic on it)."""
    claims = min(max(int(counter.get(claimed, 0)), 0), units)
    return {
        "claims": claims,
        "referrals": referrals,
        "claim_rate": claims / units if units else None,
        "referral_rate": referrals / units if units else None,
        "reward_value": {
            name[len(REWARD_VALUE_PREFIX) :]: str(value)
            for name, value in sorted(counter.items())
            if name.startswith(REWARD_VALUE_PREFIX)
        },
    }


def _named(label: str, key: str) -> str:
    """How a sentence names a variant: "Subject B" (a one-letter key in capitals), "Delay long"."""
    return f"{label} {key.upper() if len(key) == 1 else key}"


def _headline(result: stats.Result, sentences: dict[str, str], control: str, label: str) -> str:
    """The decision in one sentence: the winner's, or the closest contender's while nothing is decided."""
    decision = result.decision
    if decision.startswith(stats.BETTER_PREFIX) and decision != stats.BETTER_PREFIX + control:
        return sentences[decision[len(stats.BETTER_PREFIX) :]]
    best = max(result.differences, key=lambda key: result.differences[key].high)
    if decision == stats.NO_DIFFERENCE:
        return f"No difference worth the remaining units: {sentences[best]}"
    if decision == stats.INCONCLUSIVE:
        return f"Stopped at the most units without a conclusion: {sentences[best]}"
    if decision.startswith(stats.BETTER_PREFIX):
        return f"{_named(label, control)} (the current setting) is better than every other variant: {sentences[best]}"
    return sentences[best]


def get(table: Table, shop_id: str, experiment_id: str) -> dict[str, Any]:
    """One experiment at this look; while it runs, each interval is kept as the running intersection."""
    for _ in range(ATTEMPTS):
        item, counters = _experiment(table, shop_id, experiment_id)
        answer, keep = view(item, counters)
        if keep is None or (keep.looks == _stored_looks(item) and keep.decided is None):
            return answer
        if store.save_looks(table, shop_id, experiment_id, keep.looks, int(item.get("look", 0)), keep.decided):
            return answer
        # Another look was kept meanwhile: this one starts again from its narrower intervals.
    return answer


def _stored_looks(item: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {key: {n: float(v) for n, v in d.items()} for key, d in (item.get("looks") or {}).items()}


def listing(table: Table, shop_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
    from chalicelib import signing
    from chalicelib.store import keys

    scope = f"{keys.shop_partition(shop_id)}#experiments"
    items, last = store.page(table, shop_id, limit, signing.decode_cursor(scope, cursor))
    counters = store.counters(table, shop_id, items) if items else {}
    return {
        "experiments": [view(item, counters.get(str(item["experiment_id"]), {}))[0] for item in items],
        "cursor": signing.encode_cursor(scope, last),
    }


def _without(shop: Shop, item: dict[str, Any]) -> dict[str, Any]:
    """The shop's running experiments without this one."""
    return {name: s for name, s in shop.experiments.items() if s.get("experiment_id") != item["experiment_id"]}


def _running(item: dict[str, Any]) -> None:
    if item["status"] != store.RUNNING:
        raise errors.Conflict(f"the experiment is {item['status']} already", code="not_running")


def stop(table: Table, shop_id: str, experiment_id: str) -> dict[str, Any]:
    """Stop it: its counts frozen as they are, its lever free again."""
    for _ in range(ATTEMPTS):
        item, counters = _experiment(table, shop_id, experiment_id)
        _running(item)
        shop = _shop(table, shop_id)
        frozen = _so_far(item, counters)
        try:
            store.end(table, shop_id, shop.version, _without(shop, item), experiment_id, "stopped", clock.iso(), frozen)
        except ConditionFailed as exc:
            if exc.failed("shop"):
                continue
            raise errors.Conflict("the experiment ended meanwhile", code="not_running") from None
        return get(table, shop_id, experiment_id)
    raise errors.Conflict("the shop changed meanwhile; try again", code="edit_conflict")


def promote(table: Table, shop_id: str, experiment_id: str, variant: str) -> dict[str, Any]:
    """The variant's value becomes the shop's setting, through the settings' own change (PATCH /shops/{id}), and
    the experiment ends as promoted in the same transaction: its counts frozen, its lever free."""
    from chalicelib.http import parse_model
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.shops.service import update_shop

    for _ in range(ATTEMPTS):
        item, counters = _experiment(table, shop_id, experiment_id)
        values = {str(v["key"]): v["value"] for v in item["variants"]}
        if variant not in values:
            raise _invalid(f"the experiment has no variant {variant!r}", "variant", "unknown_variant")
        _running(item)
        shop = _shop(table, shop_id)
        value: Any = values[variant]
        if item["lever"] == DELAY_LEVER:
            value = int(value)
        elif item["lever"] in OFFER_LEVERS:
            value = _offer_map(value)
        else:
            value = str(value)
        change = parse_model(
            ShopUpdate, {"settings": settings_change(shop, item["lever"], item.get("language"), value)}
        )
        end = store.end_op(table, shop_id, experiment_id, "promoted", clock.iso(), _so_far(item, counters), variant)
        try:
            update_shop(table, replace(shop, experiments=_without(shop, item)), change, also=[("experiment", end)])
        except errors.Conflict as exc:
            if exc.code == "edit_conflict":
                continue
            raise
        except ConditionFailed:
            raise errors.Conflict("the experiment ended meanwhile", code="not_running") from None
        return get(table, shop_id, experiment_id)
    raise errors.Conflict("the shop changed meanwhile; try again", code="edit_conflict")
