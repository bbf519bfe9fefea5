"""A shop's settings: one typed record, and the one place each setting is declared.

Each field of the records below is a setting: its name is the key stored in the shop item's `settings` map, its
type and default are the field's, and its `metadata` (written with `setting(...)`, plain data) carries the rest:
the bounds and pattern a change must keep, a `check` for what bounds cannot say, its description in the API
document, and, for a setting the console's settings form shows, its label and help. The API model
(chalicelib/shops/models.py ShopSettings) and the console's form (chalicelib/console/console.py
SETTING_FIELDS, chalicelib/console/models.py SettingsForm) are built from these fields; nothing declares a
setting again. A setting that is itself a group (`referral`) is a nested record, declared the same way.

What the code reads is this record, on Shop.settings. No pydantic here: the click route loads it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal, TypeVar

from chalicelib.clock import DEFAULT_TIMEZONE
from chalicelib.web.languages import DEFAULT_LANGUAGE, LANGUAGES, Language

AttributionModel = Literal["last_click", "first_click"]
ReviewAfter = Literal["fulfillment", "delivery"]
OfferType = Literal["percent", "amount"]
RewardType = Literal["percent", "amount", "none"]
CodeSource = Literal["pool", "shopify", "woocommerce"]
# The texts of its emails a shop may write itself, per language; an empty or missing one is ours.
EMAIL_TEXTS = ("request_subject", "request_intro", "reminder_subject", "reminder_intro")

_LANGUAGE_CODES = frozenset(LANGUAGES)
# What a setting's metadata may hold (keys of `setting`'s map).
BOUNDS = ("ge", "le", "min_length", "max_length", "pattern")  # the API model's bounds, as pydantic names them
# A check past the bounds: (the value, the fields of its record declared before it and valid) -> the value kept;
# a ValueError refuses it (a 422 naming the field).
Check = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Console:
    """How the console shows a setting: its label, and the help under it (a group: its legend and what it is);
    `lines`: a text of several lines, typed in a box."""

    label: str
    help: str
    lines: bool = False


def setting(
    default: Any = dataclasses.MISSING,
    *,
    factory: Callable[[], Any] | None = None,
    description: str | None = None,
    check: Check | None = None,
    console: Console | None = None,
    empty_means_none: bool = False,
    **bounds: Any,
) -> Any:
    """A field of a settings record with what else declares it (see the module's docstring). `empty_means_none`:
    a stored "" is a choice ("no such status"), not a gap an older item left, so it is kept."""
    unknown = set(bounds) - set(BOUNDS)
    if unknown:
        raise TypeError(f"not a bound: {sorted(unknown)}")
    metadata = {
        "description": description,
        "check": check,
        "console": console,
        "empty_means_none": empty_means_none,
        "bounds": bounds,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def known_timezone(value: str, _: Mapping[str, Any]) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


# Money and percents are decimal strings, never floats: at most 2 decimals.
DECIMAL_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MAX_TERMS_LENGTH = 1000
MAX_PROMPT_LENGTH = 150
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def value_for_type(value: str, earlier: Mapping[str, Any]) -> str:
    """A percent is more than 0 and at most 100; an amount more than 0; with no reward, any value is kept."""
    kind, number = earlier.get("type"), Decimal(value)
    if kind == "percent" and not 0 < number <= 100:
        raise ValueError("a percent is more than 0 and at most 100")
    if kind == "amount" and not number > 0:
        raise ValueError("an amount is more than 0")
    return value


def currency_for_type(value: str | None, earlier: Mapping[str, Any]) -> str | None:
    """An amount needs its currency; a percent (or no reward) has none, so one sent or kept from before is dropped."""
    kind = earlier.get("type")
    if kind == "amount" and not value:
        raise ValueError("an amount needs its currency (ISO 4217, such as USD)")
    return value if kind == "amount" else None


def plain_text(value: str, _: Mapping[str, Any]) -> str:
    """Plain text (shown escaped): lines are kept (a CRLF as a newline), no other control character."""
    value = value.replace("\r\n", "\n")
    if _CONTROL_BUT_NEWLINE.search(value):
        raise ValueError("plain text: no control characters but newlines")
    return value


def one_line(value: str, _: Mapping[str, Any]) -> str:
    """One line of plain text (shown escaped): no line breaks or other control characters."""
    if _CONTROL.search(value):
        raise ValueError("one line of plain text: no line breaks or control characters")
    return value


def owner_mailbox(value: str, _: Mapping[str, Any]) -> str:
    """Empty, or exactly one mailbox (kept in its normalized form)."""
    from chalicelib.mail.mailbox import mailbox

    if not value.strip():
        return ""
    found = mailbox(value)
    if found is None:
        raise ValueError("one email address, such as owner@example.com")
    return found


@dataclass(frozen=True)
class FriendOffer:
    """What a referred friend is offered: a percent or an amount off an order of at least `minimum_order`."""

    type: OfferType = setting(
        "percent",
        description="percent off, or an amount off (with its currency)",
        console=Console("Offer type", "A percent off the friend's first order, or an amount off it."),
    )
    value: str = setting(
        "10",
        pattern=DECIMAL_PATTERN,
        check=value_for_type,
        description="a decimal string, at most 2 decimals: a percent more than 0 and at most 100, or an amount "
        "more than 0",
        console=Console(
            "Offer's value",
            "The percent (more than 0, at most 100) or the amount (more than 0), at most 2 decimals: 10 or 7.50.",
        ),
    )
    currency: str | None = setting(
        None,
        pattern=CURRENCY_PATTERN,
        check=currency_for_type,
        description="ISO 4217 code (USD): needed with an amount; a percent has none",
        console=Console(
            "Offer's currency", "With an amount: its ISO 4217 code, such as USD or EUR. A percent has none."
        ),
    )
    minimum_order: str = setting(
        "0",
        pattern=DECIMAL_PATTERN,
        description="the least order the offer applies to (decimal string); 0: any",
        console=Console("Minimum order", "The least order the offer applies to, such as 50; 0 for any order."),
    )


@dataclass(frozen=True)
class AdvocateReward:
    """What the advocate earns for a friend's order: a percent, an amount, or nothing."""

    type: RewardType = setting(
        "percent",
        description="percent off, an amount off (with its currency), or none",
        console=Console(
            "Reward type",
            "A percent or an amount off their next order, for each friend's order; none: no code is issued, only "
            "the reward.issued event is sent.",
        ),
    )
    value: str = setting(
        "10",
        pattern=DECIMAL_PATTERN,
        check=value_for_type,
        description="a decimal string, at most 2 decimals: a percent more than 0 and at most 100, or an amount "
        "more than 0; kept but unused with none",
        console=Console(
            "Reward's value",
            "The percent (more than 0, at most 100) or the amount (more than 0), at most 2 decimals; unused with none.",
        ),
    )
    currency: str | None = setting(
        None,
        pattern=CURRENCY_PATTERN,
        check=currency_for_type,
        description="ISO 4217 code (USD): needed with an amount; otherwise none",
        console=Console("Reward's currency", "With an amount: its ISO 4217 code, such as USD or EUR. Otherwise none."),
    )


def _prompt_in(language: str) -> Any:
    """One language's share prompt: one line of plain text; empty: ours."""
    return setting(
        "",
        max_length=MAX_PROMPT_LENGTH,
        check=one_line,
        description=f"in {language}; empty: ours",
        console=Console(
            f"Share prompt ({language})",
            f"The heading above the share buttons a happy reviewer writing in {language} sees; empty for ours.",
        ),
    )


@dataclass(frozen=True)
class SharePrompt:
    """The words that invite a happy reviewer to share their review (the heading above the share buttons on the
    page after it), per language: one line of plain text, shown escaped; empty: ours, from the catalogs."""

    en: str = _prompt_in("English")
    es: str = _prompt_in("Spanish")
    fr: str = _prompt_in("French")
    de: str = _prompt_in("German")
    pt: str = _prompt_in("Portuguese")

    def words(self, language: str) -> str:
        """The shop's own words in this language, or "" for ours."""
        return str(getattr(self, language, "") or "") if language in _LANGUAGE_CODES else ""


@dataclass(frozen=True)
class ReferralSettings:
    """The referral program (give-get): off until the owner turns it on."""

    enabled: bool = setting(
        False,
        description="the program is on: friends are offered, advocates rewarded",
        console=Console(
            "Program on",
            "A friend who follows a share link gets your offer and a code to claim; the advocate earns the reward "
            "for the friend's order. Off: share links lead straight to your shop, as before.",
        ),
    )
    friend_offer: FriendOffer = setting(
        factory=FriendOffer,
        description="what a referred friend is offered",
        console=Console("The friend's offer", "What a friend gets on a first order, as a code from the friend pool."),
    )
    advocate_reward: AdvocateReward = setting(
        factory=AdvocateReward,
        description="what the advocate earns for a friend's order",
        console=Console(
            "The advocate's reward",
            "What the customer who shared earns for each friend's order, as a code from the advocate pool.",
        ),
    )
    codes: CodeSource = setting(
        "pool",
        description=(
            "where the discount codes come from: pool, the lists of codes the owner uploads; shopify or woocommerce, "
            "one code per friend and reward made by the shop's connected store (the shop must be connected to it)"
        ),
        console=Console(
            "Codes from",
            "pool: the lists of codes made in your store's admin that you upload below. shopify or woocommerce: "
            "your connected store makes each code itself, one use each, sent by email within minutes.",
        ),
    )
    hold_days: int = setting(
        14,
        ge=0,
        le=90,
        description="days a reward is held before it is issued, so a return can void it",
        console=Console(
            "Hold (days)",
            "Days after the friend's order is fulfilled before the reward is issued, so a return or a "
            "cancellation can void it. 0 to 90.",
        ),
    )
    new_customers_only: bool = setting(
        True,
        description="only a friend who has never ordered may claim the offer",
        console=Console(
            "New customers only", "Only a friend who has never ordered from your shop may claim the offer."
        ),
    )
    max_rewards_per_month: int = setting(
        10,
        ge=0,
        le=1000,
        description="the most rewards one advocate is issued in a month; 0 issues none",
        console=Console(
            "Rewards per advocate a month",
            "The most rewards one advocate is issued in a month; the rest are void (reason: cap). 0 issues none. "
            "0 to 1000.",
        ),
    )
    terms: str = setting(
        "",
        max_length=MAX_TERMS_LENGTH,
        check=plain_text,
        description="the program's terms, shown to friends and advocates: plain text, newlines kept",
        console=Console(
            "Terms",
            f"Shown to friends under the offer: plain text, line breaks kept, up to {MAX_TERMS_LENGTH} characters.",
            lines=True,
        ),
    )


@dataclass(frozen=True)
class ShopSettings:
    """Field names are the keys stored in the shop item's `settings` map."""

    review_delay_days: int = setting(
        7,
        ge=0,
        le=365,
        description="days after fulfilment before the review request",
        console=Console(
            "Days before the review request",
            "Days after fulfilment (or delivery, below) before a buyer is asked for a review. 0 to 365.",
        ),
    )
    reminder_after_days: int = setting(
        7,
        ge=0,
        le=90,
        description="days before the one reminder; 0 sends none",
        console=Console(
            "Days before the reminder", "Days after the request before the one reminder; 0 sends none. 0 to 90."
        ),
    )
    happy_threshold: int = setting(
        4,
        ge=1,
        le=5,
        description="lowest rating that earns a share offer",
        console=Console(
            "Happy rating", "The lowest rating (1 to 5) that earns a share offer; every buyer is asked alike."
        ),
    )
    auto_publish: bool = setting(
        True,
        description="publish reviews that pass moderation without the owner",
        console=Console(
            "Publish automatically",
            "Publish reviews that pass moderation at once; unhappy or held ones still wait for you.",
        ),
    )
    attribution_window_days: int = setting(
        30,
        ge=1,
        le=365,
        console=Console(
            "Attribution window (days)",
            "How long after a friend's click an order is credited to the advocate. 1 to 365.",
        ),
    )
    attribution_model: AttributionModel = setting(
        "last_click",
        console=Console(
            "Attribution model",
            "With several advocates' links clicked: credit the most recent click, or the first.",
        ),
    )
    timezone: str = setting(
        DEFAULT_TIMEZONE,
        check=known_timezone,
        description="IANA time zone of the shop's reports",
        console=Console("Time zone", "The IANA time zone (such as America/Denver) in which reports count days."),
    )
    review_after: ReviewAfter = setting(
        "fulfillment",
        description="count review_delay_days from the fulfilment, or from the delivery the platform reports",
        console=Console(
            "Count the delay from", "Count the delay from the fulfilment, or from the delivery the platform reports."
        ),
    )
    delivery_fallback_days: int = setting(
        10,
        ge=0,
        le=90,
        description="with review_after=delivery: the delivery assumed this many days after fulfilment when none "
        "is reported",
        console=Console(
            "Assumed delivery (days)",
            "With delivery: until one is reported, it is assumed this many days after fulfilment. 0 to 90.",
        ),
    )
    delivered_status: str = setting(
        "delivered",
        max_length=40,
        pattern=r"^[a-z0-9_-]*$",
        empty_means_none=True,
        description="the WooCommerce order status that means delivered (empty: none)",
        console=Console(
            "WooCommerce delivered status",
            "The WooCommerce order status (a shipping plugin's) that means delivered; empty for none.",
        ),
    )
    language: Language = setting(  # a buyer's whose order names none of ours
        DEFAULT_LANGUAGE,
        description="the language of emails and pages for a buyer whose order names none of ours",
        console=Console(
            "Default language",
            "English, Spanish, French, German or Portuguese: the emails and pages of a buyer whose order names "
            "none of these. Your own email subjects and intros per language: the Emails section.",
        ),
    )
    # language -> EMAIL_TEXTS -> text; the API model gives each language's texts their own shape (EmailTexts)
    email_texts: dict[str, dict[str, str]] = setting(
        factory=dict,
        max_length=5,
        description="per language (en, es, fr, de, pt): the shop's own subject and intro of the request and reminder "
        "emails; a text left empty is ours. Sent whole: it replaces the stored map",
    )
    share_prompt: SharePrompt = setting(
        factory=SharePrompt,
        description="per language (en, es, fr, de, pt): the shop's own words inviting a happy reviewer to share "
        f"their review, the heading above the share buttons on the page after it (one line, up to {MAX_PROMPT_LENGTH} "
        "characters, plain text); empty: ours. A change names only the languages it changes, the rest is kept",
    )
    owner_email: str = setting(
        "",
        max_length=254,
        check=owner_mailbox,
        description="where the owner hears, at most once a day, of unhappy reviews waiting 24 hours for a public "
        "answer (empty: no such email)",
        console=Console(
            "Your email for unanswered reviews",
            "Once a day at most, the unhappy reviews that have waited 24 hours for your public answer. Empty: none.",
        ),
    )
    show_answer_rate: bool = setting(
        False,
        description="the public reviews answer (and the widget) show how many reviews the shop answered in the "
        "last 90 days and how soon: shop_answers",
        console=Console(
            "Show your answer rate",
            'The widget says "Answers 96% of reviews, usually within a day", from your last 90 days of reviews.',
        ),
    )
    referral: ReferralSettings = setting(
        factory=ReferralSettings,
        description="the referral program (give-get); a change names only what it changes, and the rest is kept",
    )

    def email_text(self, language: str, name: str) -> str:
        """The shop's own text of its emails in this language, or "" to write ours."""
        return (self.email_texts.get(language) or {}).get(name) or ""

    @classmethod
    def from_map(cls, stored: Mapping[str, Any] | None) -> ShopSettings:
        """The record from a stored map: a key an older item lacks (or holds empty) takes its default, a group
        (`referral`) the same inside it, and a number (DynamoDB gives Decimal) the type of its field; keys no field
        names are left behind."""
        return record_from_map(cls, stored)

    def to_map(self) -> dict[str, Any]:
        """The map the shop item stores (and the API answers with)."""
        return asdict(self)


R = TypeVar("R")


def record_from_map(record: type[R], stored: Mapping[str, Any] | None) -> R:
    """A settings record (or a group of it) from a stored map, tolerant of what an older item lacks."""
    defaults = record()
    kept: dict[str, Any] = {}
    for spec in dataclasses.fields(defaults):  # type: ignore[arg-type]
        default, value = getattr(defaults, spec.name), (stored or {}).get(spec.name)
        if dataclasses.is_dataclass(default):
            kept[spec.name] = record_from_map(type(default), value if isinstance(value, Mapping) else None)
        elif value is not None and (value != "" or spec.metadata.get("empty_means_none")):
            kept[spec.name] = value if default is None else type(default)(value)
    return replace(defaults, **kept)  # type: ignore[type-var]


def console_fields() -> tuple[tuple[str, str, Any, str], ...]:
    """The settings the console's settings form shows, in order: (name, label, kind, help). The kind, from the
    field's type: "int", "bool", "text", or a tuple of the choices."""
    from typing import get_args, get_origin, get_type_hints

    types = get_type_hints(ShopSettings)
    shown: list[tuple[str, str, Any, str]] = []
    for spec in dataclasses.fields(ShopSettings):
        console = spec.metadata.get("console")
        if console is None:
            continue
        kind = types[spec.name]
        if get_origin(kind) is Literal:
            shown.append((spec.name, console.label, get_args(kind), console.help))
        else:
            shown.append((spec.name, console.label, {int: "int", bool: "bool", str: "text"}[kind], console.help))
    return tuple(shown)


# A row of a group's console form: (path of names from the group, label, kind, help). Kinds as console_fields's,
# and "lines" (text of several lines), "optional" (text, empty for none), "group" (a nested record's legend; its own
# rows follow it).
ConsoleRow = tuple[tuple[str, ...], str, Any, str]


def console_rows(record: type[Any], prefix: tuple[str, ...] = ()) -> tuple[ConsoleRow, ...]:
    """The console's rows of a group of settings (`ReferralSettings`), in order, each nested group's rows after its
    own: every field declared with `console=`, its kind from its type as console_fields reads it."""
    from types import NoneType, UnionType
    from typing import get_args, get_origin, get_type_hints

    types, defaults = get_type_hints(record), record()
    rows: list[ConsoleRow] = []
    for spec in dataclasses.fields(record):
        console = spec.metadata.get("console")
        if console is None:
            continue
        path, kind = (*prefix, spec.name), types[spec.name]
        if dataclasses.is_dataclass(getattr(defaults, spec.name)):
            rows.append((path, console.label, "group", console.help))
            rows.extend(console_rows(type(getattr(defaults, spec.name)), path))
            continue
        if get_origin(kind) is Literal:
            shown: Any = get_args(kind)
        elif get_origin(kind) is UnionType and NoneType in get_args(kind):
            shown = "optional"
        else:
            shown = {int: "int", bool: "bool", str: "lines" if console.lines else "text"}[kind]
        rows.append((path, console.label, shown, console.help))
    return tuple(rows)


DEFAULTS = ShopSettings()
