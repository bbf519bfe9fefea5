"""Share channels: where each one sends the reviewer, with the link and a prefilled quote."""

from __future__ import annotations

from urllib.parse import quote, urlencode

CHANNELS = ("facebook", "x", "whatsapp", "linkedin", "pinterest", "email", "sms", "copy")
CHANNEL_NAMES = {
    "facebook": "Facebook",
    "x": "X",
    "whatsapp": "WhatsApp",
    "linkedin": "LinkedIn",
    "pinterest": "Pinterest",
    "email": "Email",
    "sms": "Text message",
    "copy": "Copy link",
}


def share_text(product_title: str, rating: int, quote_text: str) -> str:
    stars = "★" * rating
    excerpt = " ".join(quote_text.split())
    if len(excerpt) > 160:
        excerpt = excerpt[:157].rstrip() + "..."
    subject = f" {product_title}" if product_title else " this"
    return f"I gave{subject} {stars}: \u201c{excerpt}\u201d"


def intent_url(channel: str, link: str, text: str, image_url: str | None = None) -> str:
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
        return "mailto:?subject=" + quote("You might like this") + "&body=" + quote(f"{text}\n\n{link}")
    if channel == "sms":
        return "sms:?&body=" + quote(f"{text} {link}")
    raise ValueError(f"unknown channel {channel}")
