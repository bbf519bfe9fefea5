"""What the experiments' routes take and answer (the contract: ../shared/DESIGN.md, "Experiments")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from chalicelib.model_base import Strict
from chalicelib.web.languages import Language

Lever = Literal[
    "request_subject", "request_intro", "request_delay_days", "share_prompt", "friend_offer", "advocate_reward"
]
VARIANT_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,19}$"
EXPERIMENT_ID_PATTERN = r"^ex[0-9a-f]{26}$"
# As stats.py decides (its DEFAULT_ALPHA, MIN_VARIANTS, MAX_VARIANTS): a model does not import the domain.
DEFAULT_ALPHA, MIN_VARIANTS, MAX_VARIANTS = 0.05, 2, 4
MAX_UNITS_PER_VARIANT = 1_000_000


class VariantIn(Strict):
    key: str = Field(pattern=VARIANT_KEY_PATTERN, description="the variant's name: a-z 0-9 _ -, up to 20")
    value: StrictStr | StrictInt | dict[str, StrictStr | None] = Field(
        description="the lever's setting under this variant, validated as the setting itself is: a subject, an "
        "intro or the share prompt's words (text; empty: our own words), a delay in days (a whole number), or an "
        'offer as settings.referral declares it (friend_offer: {"type": "percent"|"amount", "value", "currency"?, '
        '"minimum_order"?}; '
        'advocate_reward: {"type": "percent"|"amount"|"none", "value", "currency"?}; a field left out takes its '
        "default, not the shop's)"
    )


class ExperimentCreate(Strict):
    """An experiment on one lever: 2-4 variants, exactly one of them equal to the current setting (the control)."""

    name: str = Field(min_length=1, max_length=120)
    lever: Lever = Field(
        description="request_subject and request_intro (per language), request_delay_days, share_prompt (the "
        "words inviting a happy reviewer to share, per language), friend_offer and advocate_reward"
    )
    language: Language | None = Field(
        None, description="the language of the words tested (request_subject, request_intro and share_prompt only)"
    )
    variants: list[VariantIn] = Field(min_length=MIN_VARIANTS, max_length=MAX_VARIANTS)
    alpha: float = Field(
        DEFAULT_ALPHA, ge=0.001, le=0.2, description="the error rate held at every look (0.001 to 0.2)"
    )
    max_units_per_variant: int = Field(5000, ge=10, le=MAX_UNITS_PER_VARIANT)


class ExperimentCreated(BaseModel):
    experiment_id: str


class PromoteIn(Strict):
    variant: str = Field(pattern=VARIANT_KEY_PATTERN, description="the variant whose value becomes the setting")


class Difference(BaseModel):
    estimate: float
    low: float
    high: float


class SoFar(BaseModel):
    units: int = Field(description="units counted as they came (frozen once the experiment ended)")
    conversions: int = Field(description="their conversions counted as they came, outcome windows closed or not")


class VariantOut(BaseModel):
    key: str
    value: str | int | dict[str, str]
    control: bool = Field(description="the current setting's variant, the one the others are compared with")
    units: int = Field(
        description="units whose outcome window has closed (counting at_close), each counted once with its outcome; "
        "the statistic reads these"
    )
    conversions: int = Field(description="of those units, the ones that converted within their window")
    rate: float | None = Field(description="conversions / units; null with no unit")
    difference: Difference | None = Field(
        description="its rate minus the control's, with the always-valid interval (at alpha split between the "
        "comparisons); null for the control itself"
    )
    sentence: str | None = Field(description="the plain sentence of its difference; null for the control")
    so_far: SoFar = Field(description="the counts as units and conversions came, before their windows closed")
    # Offer experiments only (friend_offer, advocate_reward): units are friends' visitors, conversions their
    # claims' referred orders (the primary metric, `referral_rate`).
    claims: int | None = Field(None, description="offers: visitors who claimed the offer within their window")
    referrals: int | None = Field(
        None, description="offers: visitors whose claim brought a referred order within their window (= conversions)"
    )
    claim_rate: float | None = Field(None, description="offers: claims / units")
    referral_rate: float | None = Field(None, description="offers: referrals / units (= rate)")
    reward_value: dict[str, str] | None = Field(
        None,
        description="offers: the advocates' rewards issued for its referred orders, by currency (a cost shown "
        "beside, no statistic on it)",
    )


class Method(BaseModel):
    name: Literal["mSPRT"]
    alpha: float


class Experiment(BaseModel):
    experiment_id: str
    name: str
    lever: Lever
    language: str | None
    metric: Literal["review_rate", "share_rate", "referral_rate"] = Field(
        description="the primary metric the decision is on: review_rate (request levers), share_rate (the share "
        "prompt: reviewers shown it who shared, over reviewers shown it), referral_rate (offers)"
    )
    status: Literal["running", "stopped", "promoted"]
    control: str
    promoted: str | None = Field(description="the variant promoted, when promoted")
    max_units_per_variant: int
    created_at: str
    ended_at: str | None
    variants: list[VariantOut]
    decision: str = Field(description='"running", "better:<variant>", "no_difference" or "inconclusive"')
    readable_from: str = Field(
        description="when the first units' outcome windows close (reviews, shares, referred orders have had their "
        "time): until then the decision stays running"
    )
    counting: Literal["at_close", "as_counted"] = Field(
        description="at_close: units, conversions and the decision read only units whose outcome window has closed; "
        "as_counted: an experiment started before that, read as its units came"
    )
    method: Method
    sentence: str = Field(description="the decision in one plain sentence")


class ExperimentList(BaseModel):
    experiments: list[Experiment]
    cursor: str | None
