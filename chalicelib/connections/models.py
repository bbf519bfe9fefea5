"""The connection's API models: the credential an owner sends (exactly one platform) and what is answered."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from chalicelib.model_base import Strict

# Shopify Admin API access tokens: shpat_ (custom and admin-created apps), shpca_/shppa_ (older app kinds).
SHOPIFY_TOKEN = r"^shp(at|ca|pa)_[A-Za-z0-9]{32,64}$"  # noqa: S105 - a shape, not a token
WOO_KEY = r"^ck_[0-9a-f]{40}$"
WOO_SECRET = r"^cs_[0-9a-f]{40}$"  # noqa: S105 - the shape of a secret, not one
# An app's client secret ("API secret key"): 32 hex characters for apps made in a store's admin, shpss_ and 32 more
# for apps of the Dev Dashboard; a little room either way for other kinds.
SHOPIFY_SECRET = r"^(shpss_)?[A-Za-z0-9]{32,64}$"  # noqa: S105 - a shape, not a secret


class ShopifyCredential(Strict):
    access_token: str = Field(
        pattern=SHOPIFY_TOKEN, description="The Admin API access token of an app installed in the store (shpat_...)"
    )
    api_secret_key: str | None = Field(
        None,
        pattern=SHOPIFY_SECRET,
        description=(
            "The same app's client secret (API secret key). Shopify signs the webhooks an app registers with it, not "
            "with the store's notification secret: when given, it becomes the shop's webhook signing secret once the "
            "token is checked. Never shown again."
        ),
    )


class WooCommerceCredential(Strict):
    consumer_key: str = Field(pattern=WOO_KEY, description="The REST API key's consumer key (ck_...)")
    consumer_secret: str = Field(pattern=WOO_SECRET, description="The REST API key's consumer secret (cs_...)")


class ConnectionIn(Strict):
    """Exactly one platform's credential, the shop's own platform."""

    shopify: ShopifyCredential | None = None
    woocommerce: WooCommerceCredential | None = None

    @model_validator(mode="after")
    def _one_platform(self) -> ConnectionIn:
        if (self.shopify is None) == (self.woocommerce is None):
            raise ValueError("send exactly one of shopify or woocommerce")
        return self

    @property
    def platform(self) -> Literal["shopify", "woocommerce"]:
        return "shopify" if self.shopify is not None else "woocommerce"


class MissingScope(BaseModel):
    scope: str
    needed_for: str


class WebhookRegistration(BaseModel):
    topic: str = Field(description="The topic as the platform names it in deliveries (orders/create, order.created)")
    status: Literal["registered", "kept", "replaced", "failed"]
    reason: str | None = Field(None, description="Why it failed, or why a registration is stale")


class StoreFailure(BaseModel):
    at: str = Field(description="When the call failed (ISO 8601, UTC)")
    what: str = Field(description="What the call was for")
    kind: str = Field(description="throttled, unavailable, refused, not_found or unexpected")
    reason: str = Field(description="What the store answered, in words")


class StoreFailures(BaseModel):
    count: int = Field(description="Calls to the store that failed since the connection was made")
    last: StoreFailure | None = Field(description="The last of them, or null when none failed")


class ConnectionView(BaseModel):
    """What proofloop knows of the connection; never the credential."""

    platform: Literal["shopify", "woocommerce"]
    store: str = Field(description="The store's own domain, as its API names it")
    scopes: list[str] = Field(description="What the credential may do, as the store reports it")
    missing_scopes: list[MissingScope] = Field(description="Scopes proofloop would use, each with what needs it")
    webhooks: list[WebhookRegistration] = Field(
        description=(
            "Each topic proofloop registers with the store, pointing at its own address: registered (created now), "
            "kept (already there), replaced (ours at an old address, moved), failed (with the reason). A reason "
            "beginning 'stale' says it points at an address that is no longer ours: register again"
        )
    )
    manual_topics: list[str] = Field(
        description=(
            "Topics the platform lets no API subscribe (Shopify's compliance topics): set them in the app's own "
            "configuration, at the same address"
        )
    )
    failures: StoreFailures = Field(
        description="Failed calls of the due work to the store (throttled, unavailable, refused...): how many since "
        "the connection was made, and the last one"
    )
