"""How a review request reaches a buyer: the channels there are, and the one a shop's buyers are asked by.

Scheduling (reviews/requests.py `send_due`) decides when and whom; a channel decides how. A channel
(`base.Channel`) says whom it can reach for an order, composes its own message carrying the signed review and
unsubscribe links (`base.links`), sends it, and answers a refusal with one of the two shared types
(`RecipientRefused`: this buyer, parked at once; `ChannelSetupRefused`: every message, the run stops sending).
Email (`email.py`) is the one channel today.

A second channel (SMS, WhatsApp) is one new module here, its line in `CHANNELS`, and its settings (the
provider's in `chalicelib/config.py`; the shop's choice, read by `channel_for`): the due work, its claims,
reminders, postponing, parking and alarms stay as they are. It reaches buyers through what the order keeps:
today the planner schedules a request only for a known buyer with one mailbox, so a channel that needs
another fact of the buyer (a phone number) also needs the webhooks to keep it and the planner to ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.reviews.channels.base import Channel
    from chalicelib.store.shop_records import Shop

DEFAULT = "email"  # the channel of every shop while no setting of the shop names another


def _email() -> Channel[Any]:
    from chalicelib.reviews.channels.email import EmailChannel

    return EmailChannel()


# Each channel by its name, built on first use: a request imports only the channel it sends by.
CHANNELS: dict[str, Callable[[], Channel[Any]]] = {"email": _email}


def channel_for(shop: Shop) -> Channel[Any]:
    """The channel `shop`'s buyers are asked by: email for every shop, until a shop setting names another."""
    return CHANNELS[DEFAULT]()
