"""The console's experiments section as view data: the shop's experiments (running first, then newest), one
experiment's variants with their always-valid intervals as a chart (read from the units whose outcome window has
closed) and what has been counted so far beside, the decision in words, and the start form's fields, read into the
same body POST /shops/{id}/experiments takes.

Every number and sentence comes from chalicelib/experiments/service.py: nothing here decides anything."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.experiments.assignment import DELAY_LEVER, LANGUAGE_LEVERS, OFFER_LEVERS, PROMPT_LEVER, REQUEST_LEVERS

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

SECTION = "experiments"
# The levers the start form offers: those the service starts (service.create refuses the others). Each one's
# label and what its value is.
LEVER_LABELS = {
    "request_subject": "The review request's subject",
    "request_intro": "The review request's intro",
    "request_delay_days": "The review request's delay (days)",
    "share_prompt": "The share prompt's words",
    "friend_offer": "The friend's offer",
    "advocate_reward": "The advocate's reward",
}
FORM_LEVERS: tuple[str, ...] = (*REQUEST_LEVERS, PROMPT_LEVER, *OFFER_LEVERS)
VARIANT_KEYS = ("a", "b", "c", "d")  # "a" is the control: the current setting
# An offer variant's fields on the form (offer_<field>_<key>), and the offer's types it offers.
OFFER_FORM_FIELDS = ("type", "value", "currency", "minimum")
OFFER_TYPES = ("percent", "amount")
# By the experiment's metric: what a unit is, what its conversion is (the variants table's columns), the rate's name.
METRIC_WORDS = {
    "review_rate": ("Orders asked", "Reviewed", "review rate"),
    "share_rate": ("Reviewers shown the prompt", "Shared", "share rate"),
    "referral_rate": ("Friends' visitors", "Referred orders", "referral rate (referred orders per friend's visitor)"),
}
# By the metric: a unit and a conversion as counted so far reads them, singular and plural ("1 order asked").
SO_FAR_WORDS = {
    "review_rate": (("order asked", "orders asked"), ("reviewed", "reviewed")),
    "share_rate": (("reviewer shown the prompt", "reviewers shown the prompt"), ("shared", "shared")),
    "referral_rate": (("friend's visitor", "friends' visitors"), ("referred order", "referred orders")),
}
STATUS_WORDS = {"running": "Running", "stopped": "Stopped", "promoted": "Promoted"}
OUR_WORDS = "(our own words)"
LIST_LIMIT = 100
DONE = {
    "started": "Started: each unit now gets one variant. What is counted so far grows as units come; the result's "
    "counts grow as each unit's outcome window closes.",
    "stopped": "Stopped: no new unit joins it and the lever is free again. What was counted so far is frozen; the "
    "result's counts still grow as the units' outcome windows close.",
    "promoted": "Promoted: that variant's value is the shop's setting now.",
}


def lever_label(lever: str, language: str | None = None) -> str:
    label = LEVER_LABELS.get(lever, lever)
    return f"{label}, {language}" if language else label


def shown_value(lever: str, value: Any) -> str:
    """A variant's value as the owner reads it (outside text: the template escapes it)."""
    if lever == DELAY_LEVER:
        return f"{value} day" if str(value) == "1" else f"{value} days"
    if isinstance(value, dict):  # an offer (friend_offer, advocate_reward): the phrase the friend reads, in English
        from chalicelib.referrals.offers import minimum_text, offer_text

        try:
            return " ".join(t for t in (offer_text(value, "en"), minimum_text(value, "en")) if t)
        except (KeyError, TypeError, ValueError):
            return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return str(value) if str(value) != "" else OUR_WORDS


def variant_name(key: str) -> str:
    return key.upper() if len(key) == 1 else key


def decision_words(experiment: dict[str, Any]) -> str:
    """The decision in a few words."""
    decision = str(experiment["decision"])
    if decision.startswith("better:"):
        key = decision.split(":", 1)[1]
        if key == experiment["control"]:
            return f"The current setting ({variant_name(key)}) is better than every other variant"
        return f"Variant {variant_name(key)} is better than the current setting"
    if decision == "running" and experiment["status"] != "running":
        return "No conclusion when it ended"
    return {
        "running": "Still running: no conclusion yet",
        "no_difference": "No difference worth the remaining units",
        "inconclusive": "Stopped at the most units without a conclusion",
    }.get(decision, decision)


def _points(value: float) -> str:
    text = f"{value * 100:+.1f}"
    return "0.0" if float(text) == 0.0 else text


def _rate(rate: float | None, at_close: bool = True) -> str:
    if rate is None:
        return "no unit closed yet" if at_close else "no unit yet"
    return f"{rate * 100:.1f}%"


def _counted(count: int, words: tuple[str, str]) -> str:
    return f"{count} {words[0] if count == 1 else words[1]}"


def so_far_words(metric: str, so_far: dict[str, Any]) -> str:
    """A variant's counts as they came, in the metric's words: "120 orders asked, 9 reviewed"."""
    units, conversions = SO_FAR_WORDS.get(metric, SO_FAR_WORDS["review_rate"])
    return f"{_counted(int(so_far['units']), units)}, {_counted(int(so_far['conversions']), conversions)}"


def window_days(experiment: dict[str, Any]) -> int:
    """The experiment's outcome window in days: from its start to when its first units' outcomes are complete (the
    answer gives both moments, not the days)."""
    from chalicelib import clock

    started, readable = clock.parse(str(experiment["created_at"])), clock.parse(str(experiment["readable_from"]))
    return max(round((readable - started).total_seconds() / 86400), 0)


def window_words(units_words: str, days: int, counting: str = "at_close") -> str:
    """The line above the variants table: what the result reads, and when the newest units count."""
    if counting != "at_close":  # started before units had an outcome window: its result reads every unit as it came
        return (
            "This experiment began before units were counted at the close of their outcome window: its result reads "
            "every unit as it came."
        )
    window = "1 day" if days == 1 else f"{days} days"
    return (
        f"The result reads only the {units_words.lower()} whose outcome window ({window} from each one) has closed, "
        "so every variant is compared on complete outcomes; the newest are counted once their window closes. "
        "The last column, Counted so far, gives every unit as it came, its outcome complete or not."
    )


def decorated(experiment: dict[str, Any]) -> dict[str, Any]:
    """The service's answer with what the page shows beside it: words, labels, formatted figures."""
    lever = str(experiment["lever"])
    metric = str(experiment.get("metric"))
    at_close = experiment.get("counting", "at_close") == "at_close"
    variants = []
    for variant in experiment["variants"]:
        difference = variant["difference"]
        offer: dict[str, str] = {}
        if variant.get("claims") is not None:  # an offer's figures beside its metric
            offer = {
                "claim_rate_text": _rate(variant.get("claim_rate"), at_close),
                "reward_text": ", ".join(f"{c} {v}" for c, v in sorted((variant.get("reward_value") or {}).items()))
                or "none",
            }
        variants.append(
            {
                **variant,
                **offer,
                "name": variant_name(str(variant["key"])),
                "shown": shown_value(lever, variant["value"]),
                "rate_text": _rate(variant["rate"], at_close),
                "so_far_text": so_far_words(metric, variant["so_far"]),
                "estimate_text": _points(difference["estimate"]) if difference else "",
                "low_text": _points(difference["low"]) if difference else "",
                "high_text": _points(difference["high"]) if difference else "",
            }
        )
    units_words, conversions_words, rate_words = METRIC_WORDS.get(metric, METRIC_WORDS["review_rate"])
    days = window_days(experiment)
    return {
        **experiment,
        "variants": variants,
        "units_words": units_words,
        "conversions_words": conversions_words,
        "rate_words": rate_words,
        "window_days": days,
        "window_words": window_words(units_words, days, "at_close" if at_close else "as_counted"),
        "offer": lever in OFFER_LEVERS,
        "lever_label": lever_label(lever, experiment.get("language")),
        "status_words": STATUS_WORDS.get(str(experiment["status"]), str(experiment["status"])),
        "decision_words": decision_words(experiment),
        "confidence": f"{(1 - float(experiment['method']['alpha'])) * 100:.10g}%",
        "comparisons": max(len(variants) - 1, 1),
    }


def experiments(table: Table, shop_id: str) -> list[dict[str, Any]]:
    """The shop's experiments, running first, then newest (the service lists newest first)."""
    from chalicelib.experiments.service import listing

    found = listing(table, shop_id, None, LIST_LIMIT)["experiments"]
    ordered = sorted(found, key=lambda e: e["status"] != "running")  # stable: newest first within each
    return [decorated(e) for e in ordered]


def experiment(table: Table, shop_id: str, experiment_id: str) -> dict[str, Any]:
    """One experiment at this look, as GET /shops/{id}/experiments/{experiment_id} answers it."""
    from chalicelib.experiments.service import get

    return decorated(get(table, shop_id, experiment_id))


def promote_order(experiment: dict[str, Any]) -> list[dict[str, Any]]:
    """The variants offered for promotion, the winner first (and marked) when the decision names one."""
    decision = str(experiment["decision"])
    winner = decision.split(":", 1)[1] if decision.startswith("better:") else None
    ordered = sorted(experiment["variants"], key=lambda v: v["key"] != winner)
    return [{**v, "winner": v["key"] == winner} for v in ordered]


def _scale(top: float) -> int:
    """The chart's half width in whole points: a round number at or above the widest interval's end."""
    points = max(top * 100, 1.0)
    return next(s for s in (1, 2, 5, 10, 20, 50, 100) if s >= points - 1e-9) if points <= 100 else 100


def interval_chart(experiment: dict[str, Any], width: int = 640, row: int = 36) -> dict[str, Any]:
    """Each variant's difference against the control as a horizontal interval around zero, its estimate marked,
    in plot coordinates; the same figures in words for the chart's description."""
    compared = [v for v in experiment["variants"] if v["difference"]]
    top = max((max(abs(v["difference"]["low"]), abs(v["difference"]["high"])) for v in compared), default=0.01)
    half = _scale(top)
    label_width, right = 120, 16
    plot = width - label_width - right

    def x(value: float) -> float:
        clipped = min(max(value * 100, -half), half)
        return round(label_width + (clipped + half) / (2 * half) * plot, 1)

    rows = []
    for index, variant in enumerate(compared):
        d = variant["difference"]
        rows.append(
            {
                "name": f"Variant {variant['name']}",
                "y": index * row + row // 2,
                "low": x(d["low"]),
                "high": x(d["high"]),
                "estimate": x(d["estimate"]),
                "summary": f"Variant {variant['name']}: {variant['estimate_text']} points, from "
                f"{variant['low_text']} to {variant['high_text']}",
            }
        )
    step = half / 2
    ticks = [{"value": f"{t:+g}" if t else "0", "x": x(t / 100)} for t in (-half, -step, 0, step, half)]
    return {
        "width": width,
        "height": max(len(rows), 1) * row + 24,
        "plot_height": max(len(rows), 1) * row,
        "label_width": label_width,
        "zero": x(0.0),
        "rows": rows,
        "ticks": ticks,
        "description": "; ".join(str(r["summary"]) for r in rows) + " (percentage points against the current setting)",
        "half": half,
    }


# --- the start form


def form_values(shop: Shop) -> dict[str, str]:
    """The start form's first values: the shop's own language, the defaults of the API."""
    from chalicelib.experiments.models import DEFAULT_ALPHA

    return {
        "name": "",
        "lever": FORM_LEVERS[0],
        "texts_language": shop.settings.language,
        **{f"value_{key}": "" for key in VARIANT_KEYS[1:]},
        **{f"offer_{field}_{key}": "" for key in VARIANT_KEYS[1:] for field in OFFER_FORM_FIELDS},
        **{f"offer_type_{key}": OFFER_TYPES[0] for key in VARIANT_KEYS[1:]},
        "alpha": str(DEFAULT_ALPHA),
        "max_units_per_variant": "5000",
    }


def current_settings(shop: Shop) -> list[dict[str, str]]:
    """Each lever's current setting (the control of a new experiment), per language for the texts."""
    from chalicelib.experiments.service import current_value
    from chalicelib.web.languages import LANGUAGES

    rows = []
    for lever in FORM_LEVERS:
        if lever in LANGUAGE_LEVERS:
            for language in LANGUAGES:
                value = current_value(shop, lever, language)
                rows.append({"lever": lever_label(lever, language), "value": shown_value(lever, value)})
        else:
            rows.append({"lever": lever_label(lever), "value": shown_value(lever, current_value(shop, lever, None))})
    return rows


def current_offers(shop: Shop) -> list[dict[str, str]]:
    """The offer levers' current settings: variant A of an offer experiment, shown and not editable."""
    from chalicelib.experiments.service import current_value

    return [
        {"lever": lever_label(lever), "value": shown_value(lever, current_value(shop, lever, None))}
        for lever in OFFER_LEVERS
    ]


def start(table: Table, shop: Shop, form: dict[str, str]) -> tuple[str | None, dict[str, str], int]:
    """Start an experiment from the form through the API's own code: (its id, {}, 201), or (None, each problem by
    the form's field, the status the API would answer). Variant A is the lever's current setting, the control."""
    from chalicelib import errors
    from chalicelib.experiments.models import ExperimentCreate
    from chalicelib.experiments.service import create, current_value
    from chalicelib.http import parse_model

    problems: dict[str, str] = {}
    lever = form.get("lever", "")
    if lever not in FORM_LEVERS:
        return None, {"lever": "Choose one of the levers listed."}, 422
    text = lever in LANGUAGE_LEVERS
    offer = lever in OFFER_LEVERS
    language = form.get("texts_language", "") if text else None
    if text and language not in _languages():
        return None, {"texts_language": "Choose one of the languages listed."}, 422
    prefix = "offer_value_" if offer else "value_"
    entered = [(key, form.get(f"{prefix}{key}", "")) for key in VARIANT_KEYS[1:]]
    typed = [(key, value.strip()) for key, value in entered if value.strip()]
    if not typed:
        problems[f"{prefix}b"] = "Give at least one variant to test against the current setting."
    variants: list[tuple[str, Any]] = [("a", current_value(shop, lever, language))]
    for key, value in typed:
        if offer:
            kind = form.get(f"offer_type_{key}", "")
            if kind not in OFFER_TYPES:
                problems[f"offer_type_{key}"] = "Choose percent or amount."
                continue
            made = {"type": kind, "value": value}
            currency = form.get(f"offer_currency_{key}", "").strip().upper()
            if currency:
                made["currency"] = currency
            if lever == "friend_offer":
                made["minimum_order"] = form.get(f"offer_minimum_{key}", "").strip() or "0"
            variants.append((key, made))
            continue
        if lever == DELAY_LEVER:
            try:
                variants.append((key, int(value)))
            except ValueError:
                problems[f"value_{key}"] = "A whole number of days."
        else:
            variants.append((key, value))
    alpha: float | str = form.get("alpha", "").strip()
    try:
        alpha = float(alpha)
    except ValueError:
        problems["alpha"] = "A number such as 0.05."
    units: int | str = form.get("max_units_per_variant", "").strip()
    try:
        units = int(units)
    except ValueError:
        problems["max_units_per_variant"] = "A whole number such as 5000."
    if problems:
        return None, problems, 422
    body = {
        "name": form.get("name", "").strip(),
        "lever": lever,
        "language": language,
        "variants": [{"key": key, "value": value} for key, value in variants],
        "alpha": alpha,
        "max_units_per_variant": units,
    }
    try:
        return create(table, shop.shop_id, parse_model(ExperimentCreate, body)), {}, 201
    except errors.ValidationFailed as exc:
        return None, _by_field(exc, [key for key, _ in variants], prefix), 422
    except errors.Conflict as exc:
        field = "lever" if exc.code == "lever_busy" else "form"
        return None, {field: exc.message}, 409


def _languages() -> tuple[str, ...]:
    from chalicelib.web.languages import LANGUAGES

    return tuple(LANGUAGES)


def _by_field(exc: Any, keys: list[str], prefix: str = "value_") -> dict[str, str]:
    """The API's 422 with each problem beside the form's field that caused it."""
    found: dict[str, str] = {}
    for detail in exc.details or [{"field": "form", "problem": exc.message}]:
        where, problem = str(detail.get("field", "")), str(detail.get("problem", exc.message))
        head = where.split(".")[0].split("[")[0]
        numbered = re.match(r"variants(?:\[(\d+)\]|\.(\d+))", where)
        if numbered:
            index = int(numbered.group(1) or numbered.group(2))
            if 0 < index < len(keys):
                found.setdefault(f"{prefix}{keys[index]}", problem)
                continue
        if head in ("name", "lever", "alpha", "max_units_per_variant"):
            found.setdefault(head, problem)
        elif head == "language":
            found.setdefault("texts_language", problem)
        else:
            found.setdefault("form", problem if where in ("variants", "(body)", "form") else f"{where}: {problem}")
    return found
