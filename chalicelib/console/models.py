"""What the dashboard's forms send: the sign-in form, and the session's forms (sign-out, moderation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, create_model

from chalicelib.store.shop_settings import console_fields

MAX_ITEM = 200  # the longest name of a page below a section that signing in goes on to


class DashboardSignIn(BaseModel):
    """The dashboard's sign-in form."""

    api_key: str = Field("", description="the shop's owner API key; a wrong one answers the sign-in page again")
    section: str = Field("", description="the console section to go on to once signed in (default the overview)")
    item: str = Field("", max_length=MAX_ITEM, description="the page below that section to go on to (an import's page)")


class DashboardForm(BaseModel):
    """A dashboard form: the session's CSRF token, the text of a reply, the page to go back to."""

    csrf: str = Field("", description="the token the dashboard page put in the form")
    body: str = Field("", description="the reply, 1 to 2000 characters (the reply action only)")
    photo_id: str = Field("", max_length=64, description="the photo to hide or show (those actions only)")
    back: str = Field(
        "",
        max_length=4000,
        description="the console page to go back to: `overview` (default) or `reviews`, with that page's query "
        "(`reviews?status=pending&rating=1-2`); read as values, never followed as a URL",
    )


class RetryForm(BaseModel):
    """The overview's form that puts one item the due work parked back on its way."""

    csrf: str = Field("", description="the token the console page put in the form")
    entry: str = Field("", max_length=1024, description="the parked item, as the overview's list names it")


class SetupForm(BaseModel):
    """The first-run form: the admin token and the shop to create (its webhook secret is generated)."""

    admin_token: str = Field("", description="the instance's admin token (PROOFLOOP_ADMIN_TOKEN)")
    shop_id: str = Field("", description="lower-case letters, digits and dashes; part of every console address")
    name: str = Field("", description="the shop's name")
    platform: str = Field("", description="shopify, woocommerce or generic")
    domains: str = Field(
        "", description="the storefront's hosts, separated by spaces, commas or lines; the first is home"
    )
    timezone: str = Field("UTC", description="IANA time zone in which reports count days")


class _ProfileForm(BaseModel):
    csrf: str = Field("", description="the token the console page put in the form")
    name: str = ""
    domains: str = Field("", description="hosts separated by spaces, commas or lines")


def _settings_form() -> type[BaseModel]:
    """The profile, then each setting the console shows (chalicelib/store/shop_settings.py), as text."""
    fields: dict[str, Any] = {
        name: (str, Field("", description="present (any value) when checked") if kind == "bool" else "")
        for name, _, kind, _ in console_fields()
    }
    return create_model(
        "SettingsForm",
        __base__=_ProfileForm,
        __doc__="The console's settings form: the profile and every shop setting, as a form sends them (text).",
        **fields,
    )


if TYPE_CHECKING:
    SettingsForm = _ProfileForm
else:
    SettingsForm = _settings_form()


class WebhookSecretForm(BaseModel):
    """The connect page's form that sets the secret the storefront signs its webhooks with."""

    csrf: str = Field("", description="the token the console page put in the form")
    webhook_secret: str = Field("", description="the signing secret, as the storefront's admin shows it")


class ConnectForm(BaseModel):
    """The connect page's one-key form: the shop's platform's credential, read into the same body as
    PUT /shops/{id}/connection (a Shopify access token, or a WooCommerce key pair)."""

    csrf: str = Field("", description="the token the console page put in the form")
    access_token: str = Field("", max_length=200, description="Shopify: the app's Admin API access token (shpat_...)")
    api_secret_key: str = Field(
        "", max_length=200, description="Shopify, optional: the app's API secret key, which signs its webhooks"
    )
    consumer_key: str = Field("", max_length=200, description="WooCommerce: the REST API key's consumer key (ck_...)")
    consumer_secret: str = Field(
        "", max_length=200, description="WooCommerce: the REST API key's consumer secret (cs_...)"
    )


class ExperimentForm(BaseModel):
    """The experiments section's start form, read into the body POST /shops/{id}/experiments takes: variant A is
    the lever's current setting (the control), B to D the values to test against it."""

    csrf: str = Field("", description="the token the console page put in the form")
    name: str = Field("", max_length=400, description="the experiment's name, 1 to 120 characters")
    lever: str = Field(
        "",
        max_length=40,
        description="request_subject, request_intro, request_delay_days, share_prompt, friend_offer or advocate_reward",
    )
    texts_language: str = Field(
        "", max_length=8, description="the words' language (the email texts and the share prompt only)"
    )
    value_b: str = Field("", max_length=2000, description="variant B's value (required): a text or a delay")
    value_c: str = Field("", max_length=2000, description="variant C's value (optional)")
    value_d: str = Field("", max_length=2000, description="variant D's value (optional)")
    # The offers' variants (friend_offer, advocate_reward): each one's type, value, currency and minimum order.
    offer_type_b: str = Field("percent", max_length=20, description="variant B's offer: percent or amount")
    offer_value_b: str = Field("", max_length=40, description="variant B's offer value (required for an offer)")
    offer_currency_b: str = Field("", max_length=10, description="variant B's currency, with an amount")
    offer_minimum_b: str = Field("", max_length=40, description="variant B's minimum order (the friend's offer)")
    offer_type_c: str = Field("percent", max_length=20, description="variant C's offer: percent or amount")
    offer_value_c: str = Field("", max_length=40, description="variant C's offer value (optional)")
    offer_currency_c: str = Field("", max_length=10, description="variant C's currency, with an amount")
    offer_minimum_c: str = Field("", max_length=40, description="variant C's minimum order (the friend's offer)")
    offer_type_d: str = Field("percent", max_length=20, description="variant D's offer: percent or amount")
    offer_value_d: str = Field("", max_length=40, description="variant D's offer value (optional)")
    offer_currency_d: str = Field("", max_length=10, description="variant D's currency, with an amount")
    offer_minimum_d: str = Field("", max_length=40, description="variant D's minimum order (the friend's offer)")
    alpha: str = Field("0.05", max_length=20, description="the error rate held at every look (default 0.05)")
    max_units_per_variant: str = Field("5000", max_length=20, description="the most units per variant")


class PromoteExperimentForm(BaseModel):
    """The promote button of one variant."""

    csrf: str = Field("", description="the token the console page put in the form")
    variant: str = Field("", max_length=40, description="the variant whose value becomes the shop's setting")
