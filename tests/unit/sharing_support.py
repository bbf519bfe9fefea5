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

# People, as their browsers name themselves: the major browsers, Android's WebView, and the in-app browsers a shared
# link mostly opens in (Facebook's old FBAN/FB_IAB forms and its MetaIAB form, Instagram, Messenger, LinkedIn,
# TikTok, Snapchat, Pinterest, Google's app).
BROWSERS = {
    "chrome_windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36"
    ),
    "chrome_android": CHROME,
    "chrome_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
    ),
    "safari_ios": SAFARI,
    "safari_mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
        "Safari/605.1.15"
    ),
    "firefox_linux": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "firefox_android": "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "edge_windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36 Edg/131.0.0.0"
    ),
    "samsung_internet": (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
    ),
    "android_webview": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36"
    ),
    "cubot_phone": (
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Mobile Safari/537.36"
    ),
    "facebook_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [FBAN/FBIOS;FBAV/485.0.0.38.106;FBBV/655421069;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;"
        "FBSV/17.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/657516118]"
    ),
    "facebook_android": (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/491.0.0.58.64;]"
    ),
    "facebook_metaiab": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/22G100 Safari/604.1 MetaIAB Facebook"
    ),
    "instagram_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Instagram 357.0.0.20.96 (iPhone16,2; iOS 18_1; en_US; en; scale=3.00; 1290x2796; 658867445)"
    ),
    "instagram_android": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36 Instagram 357.1.0.52.100 Android (34/14; 420dpi; "
        "1080x2205; Google/google; Pixel 8; shiba; shiba; en_US; 659209547)"
    ),
    "messenger_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [FBAN/MessengerForiOS;FBAV/470.0.0.41.99;FBBV/600000000;FBDV/iPhone14,5;FBMD/iPhone;"
        "FBSN/iOS;FBSV/17.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]"
    ),
    "linkedin_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [LinkedInApp]/9.30.1"
    ),
    "tiktok_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 musical_ly_35.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US"
    ),
    "snapchat_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Snapchat/13.10.0.40 (like Safari/8618.2.12.10.5, panda)"
    ),
    "pinterest_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [Pinterest/iOS]"
    ),
    "pinterest_android": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36 [Pinterest/Android]"
    ),
    "google_app_ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "GSA/343.0.695551749 Mobile/15E148 Safari/604.1"
    ),
}


class Advocate:
    """A shop whose buyer c-1 (c-1@example.com unless `email` says) left a happy review of p-mug, and has a share
    code. `order` adds to what their order says (its `locale`, their `name`), `review` to what their review says."""

    def __init__(
        self,
        api: Any,
        outbox: Any,
        email: str | None = None,
        *,
        order: dict[str, Any] | None = None,
        review: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
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
        said = {**({"email": email} if email else {}), **(order or {})}
        self.shop.fulfilled_order("o-1", "c-1", items=items, **said)
        response = api.request(
            "POST",
            "/reviews",
            {
                "token": review_token(self.shop.shop_id, "o-1", ["p-mug"]),
                "product_id": "p-mug",
                "rating": 5,
                "title": "Best mug",
                "body": "Keeps coffee hot for hours on the trail.",
                **(review or {}),
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
