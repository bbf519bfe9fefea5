"""Unit-tier helpers for sharing: a happy reviewer with a share code on a shop with a product page."""

from __future__ import annotations

from typing import Any

from chalicelib.reviews.tokens import review_token
from tests.unit.review_support import ReviewShop

CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


class Advocate:
    """A shop whose buyer c-1 left a happy review of p-mug, and has a share code."""

    def __init__(self, api: Any, outbox: Any, **settings: Any) -> None:
        self.shop = ReviewShop(api, outbox, **settings)
        self.api = api
        home = self.shop.shop["domains"][0]
        items = [
            {
                "product_id": "p-mug",
                "title": "Trail Mug",
                "quantity": 1,
                "price": "29.50",
                "url": f"https://{home}/products/trail-mug?variant=7",
                "image_url": f"https://{home}/img/mug.jpg",
            }
        ]
        self.shop.fulfilled_order("o-1", "c-1", items=items)
        response = api.request(
            "POST",
            "/reviews",
            {
                "token": review_token(self.shop.shop_id, "o-1", ["p-mug"]),
                "product_id": "p-mug",
                "rating": 5,
                "title": "Best mug",
                "body": "Keeps coffee hot for hours on the trail.",
            },
        )
        assert response.status_code == 201, response.body
        self.offer = response.json["share"]
        self.code = self.offer["code"]
        self.home = home

    def click(self, ua: str = CHROME, ip: str = "198.51.100.7", method: str = "GET", query: str = "") -> Any:
        return self.api.request(method, f"/s/{self.code}{query}", headers={"User-Agent": ua, "X-Forwarded-For": ip})

    def share(self, channel: str, ua: str = SAFARI, ip: str = "203.0.113.9") -> Any:
        return self.api.request(
            "GET", f"/share/{self.code}/{channel}", headers={"User-Agent": ua, "X-Forwarded-For": ip}
        )
