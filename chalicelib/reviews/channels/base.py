"""The review-request channel's interface, and the signed links every channel's message carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from chalicelib.errors import ChannelSetupRefused, RecipientRefused

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop

Message = TypeVar("Message")

__all__ = ["Channel", "ChannelSetupRefused", "Links", "Message", "RecipientRefused", "links"]


class Channel(Protocol[Message]):
    """How a review request reaches a buyer. The due work (reviews/requests.py) decides when and whom, claims the
    request, then asks the shop's channel for the buyer's address, composes and sends; what `send` raises decides
    what becomes of the request."""

    name: str  # the word for its message in the owner's words: "the request email", "review email not sent"
    service: str  # who refuses, in the owner's words: "the mail service refused the buyer's address"

    def address(self, order: dict[str, Any], customer: dict[str, Any]) -> str | None:
        """Whom this channel can reach for this order (the one recipient), or None: nobody to ask, which the due
        work takes as a refused recipient."""
        ...

    def compose(self, shop: Shop, order: dict[str, Any], reminder: bool, preview: bool = False) -> Message:
        """The request (or its reminder) as this channel's message, carrying `links(shop, order, preview)`: the
        review link, and the unsubscribe link in the way the channel's recipients honour one."""
        ...

    def send(self, message: Message, to: str) -> str:
        """Send `message` to `to` alone; returns where it went (a provider's message id, a path). Raises
        RecipientRefused when the service refuses this recipient (the request is parked at once: trying again
        cannot help), ChannelSetupRefused when it refuses every message (the run stops sending and the requests
        stay due as they were); any other exception is a failure to try again later."""
        ...

    def unsubscribe_link(self, message: Message) -> str | None:
        """The unsubscribe link `message` carries, as its recipient's client reads it (None: it carries none)."""
        ...


@dataclass(frozen=True)
class Links:
    review_url: str
    unsubscribe_url: str  # GET shows the page with its button, POST unsubscribes at once (RFC 8058's one click)

    @property
    def refer_url(self) -> str:
        """The buyer's own share page (GET /r/{token}/refer), signed by the review link's token: offered to every
        buyer alike while the shop's referral program is on, whether or not they review or how (FTC 16 CFR
        465.4: the reward never depends on a review)."""
        return f"{self.review_url}/refer"


def links(shop: Shop, order: dict[str, Any], preview: bool = False) -> Links:
    """The buyer's signed review and unsubscribe links (and the share page's, `refer_url`), the same whatever the
    channel. A `preview`'s (the
    console's) are signed for previews only: no buyer's page takes them."""
    from chalicelib.config import get_settings
    from chalicelib.reviews.tokens import preview_token, review_token, unsubscribe_token

    base_url = get_settings().base_url
    if preview:
        token = preview_token(shop.shop_id, order["order_id"], "review")
        unsubscribe = f"{base_url}/u/{preview_token(shop.shop_id, order['order_id'], 'unsubscribe')}"
    else:
        items = order.get("items") or []
        token = review_token(shop.shop_id, order["order_id"], [i["product_id"] for i in items])
        unsubscribe = f"{base_url}/u/{unsubscribe_token(shop.shop_id, order['customer_id'])}"
    return Links(review_url=f"{base_url}/r/{token}", unsubscribe_url=unsubscribe)
