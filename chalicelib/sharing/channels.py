"""Share channels: where each one sends the reviewer, with the link and a prefilled quote."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.web import N_

CHANNELS = ("facebook", "x", "whatsapp", "linkedin", "pinterest", "email", "sms", "copy")
CHANNEL_NAMES = {
    "facebook": "Facebook",
    "x": "X",
    "whatsapp": "WhatsApp",
    "linkedin": "LinkedIn",
    "pinterest": "Pinterest",
    "email": N_("Email"),
    "sms": N_("Text message"),
    "copy": N_("Copy link"),
}


def share_text(product_title: str, rating: int, quote_text: str, language: str = "en") -> str:
    """What the advocate's post says, in their language: the stars they gave and an excerpt of their review."""
    from chalicelib.web.i18n import translate

    stars = "★" * rating
    excerpt = " ".join(quote_text.split())
    if len(excerpt) > 160:
        excerpt = excerpt[:157].rstrip() + "..."
    if product_title:
        return translate(
            language, "I gave %(product)s %(stars)s: “%(quote)s”", product=product_title, stars=stars, quote=excerpt
        )
    return translate(language, "I gave this %(stars)s: “%(quote)s”", stars=stars, quote=excerpt)


def recommend_text(shop_name: str, language: str = "en") -> str:
    """What the post says for a link that carries no review (its customer refers friends without one)."""
    from chalicelib.web.i18n import translate

    return translate(language, "I recommend %(shop)s", shop=shop_name)


def post_text(code: dict[str, Any], shop_name: str, language: str = "en") -> str:
    """What the post says for a share code: its review's stars and words, or, with no review, a recommendation."""
    if "rating" not in code:
        return recommend_text(shop_name, language)
    return share_text(code.get("product_title", ""), int(code["rating"]), code.get("quote", ""), language)


def intent_url(channel: str, link: str, text: str, image_url: str | None = None, language: str = "en") -> str:
    """The network's own share intent, carrying our share link and the prefilled text."""
    if channel == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": link})
    if channel == "x":
        return "https://x.com/intent/post?" + urlencode({"text": text, "url": link})
    if channel == "whatsapp":
        return "https://wa.me/?" + urlencode({"text": f"{text} {link}"})
    if channel == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": link})
    if channel == "pinterest":
        params = {"url": link, "description": text}
        if image_url:
            params["media"] = image_url
        return "https://www.pinterest.com/pin/create/button/?" + urlencode(params)
    if channel == "email":
        from chalicelib.web.i18n import translate

        subject = translate(language, "You might like this")
        return "mailto:?subject=" + quote(subject) + "&body=" + quote(f"{text}\n\n{link}")
    if channel == "sms":
        return "sms:?&body=" + quote(f"{text} {link}")
    raise ValueError(f"unknown channel {channel}")
