"""Where a share link lands: a page on one of the shop's own domains, never a URL from the request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop


def _local(host: str) -> bool:
    name = host.split(":")[0]
    return name in ("localhost", "127.0.0.1") or name.endswith(".localhost")


def home_url(shop: Shop) -> str:
    host = shop.home
    return f"{'http' if _local(host) else 'https'}://{host}/"


def on_shop_domains(shop: Shop, url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc.lower() in shop.domains and not parts.username


def destination(shop: Shop, product: dict[str, Any] | None, code: str, channel: str) -> str:
    """The product page (or the shop's home) with ref and UTM parameters added."""
    page = product.get("url") if product else None
    base = page if on_shop_domains(shop, page) else home_url(shop)
    parts = urlsplit(str(base))
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("ref", "utm_source", "utm_medium", "utm_campaign")
    ]
    query += [("ref", code), ("utm_source", channel), ("utm_medium", "social"), ("utm_campaign", "proofloop")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))
