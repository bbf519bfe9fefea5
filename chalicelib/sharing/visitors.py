"""Who is asking: the client address behind trusted proxies, crawlers and bots, the visitor hash."""

from __future__ import annotations

import ipaddress
import re

# Pinterest's and Snapchat's previews by their crawlers' names: their apps' in-app browsers say "Pinterest" and
# "Snapchat" too, and those are friends following the link.
PREVIEW_AGENTS = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|linkedinbot|slackbot|slack-imgproxy|"
    r"whatsapp|discordbot|telegrambot|pinterest\.com/bot|pinterestbot|skypeuripreview|redditbot|applebot|embedly|"
    r"iframely|mastodon|bluesky|vkshare|viber|snap url preview|snapurlpreview|google-pagerenderer|outbrain|"
    r"quora link preview",
    re.I,
)
# Automation the maintained list cannot name: its patterns are known crawlers, each by its own name, so an agent
# that calls itself a bot, crawler or spider is ours to catch until the list learns of it ("Cubot" is a phone
# maker), and so are Java's own HTTP clients. Every other automation is the list's (chalicelib/sharing/crawlers.py).
SELF_DECLARED_BOTS = re.compile(r"(?<!cu)bot\b|bot/|crawler|spider|java/|java-http-client", re.I)


def agent_kind(user_agent: str) -> str:
    """'preview' (a link-preview crawler), 'bot' (any other automation) or 'browser'."""
    if not user_agent.strip():
        return "bot"
    if PREVIEW_AGENTS.search(user_agent):
        return "preview"
    if SELF_DECLARED_BOTS.search(user_agent):
        return "bot"
    from chalicelib.sharing.crawlers import is_listed_crawler

    return "bot" if is_listed_crawler(user_agent) else "browser"


def _trusted(address: str, extra: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    for network in extra:
        try:
            if ip in ipaddress.ip_network(network.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(source_ip: str, forwarded_for: str, trusted_proxies: tuple[str, ...]) -> str:
    """The nearest address that is not a trusted proxy: a client cannot mint visitors by forging XFF."""
    address = source_ip.strip()
    if not _trusted(address, trusted_proxies):
        return address
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
    return address


def visitor_id(address: str, user_agent: str) -> str:
    """A keyed hash of address and agent; the address itself is never stored."""
    from chalicelib.signing import keyed_hash

    return keyed_hash("visitor", f"{address}|{user_agent.strip()[:400]}")[:32]
