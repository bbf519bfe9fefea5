"""Share links: redirects that never leave the shop, clicks counted once, crawlers get previews."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.store import keys
from tests.unit.sharing_support import BROWSERS, CHROME, Advocate
from tests.unit.webhook_support import totals


@pytest.fixture
def adv(api, outbox):
    return Advocate(api, outbox)


def code_totals(table, code):
    summed = {}
    for shard in range(keys.CODE_SHARDS):
        items, _ = table.query(keys.code_stat_partition(code, shard), limit=100)
        for item in items:
            for name, value in item.items():
                if name not in ("PK", "SK"):
                    summed[name] = summed.get(name, 0) + value
    return summed


def test_browser_click_redirects_to_the_product_page_with_ref_and_utm(adv, table):
    response = adv.click(query="?via=whatsapp")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", adv.home, "/products/trail-mug")
    query = parse_qs(target.query)
    assert query["ref"] == [adv.code] and query["variant"] == ["7"]
    assert query["utm_medium"] == ["social"] and query["utm_source"] == ["whatsapp"]
    assert query["utm_campaign"] == ["proofloop"]
    assert totals(table, adv.shop.shop_id)["clicks_whatsapp"] == 1


def test_three_clicks_of_one_visitor_count_once(adv, table):
    for _ in range(3):
        assert adv.click().status_code == 302
    assert totals(table, adv.shop.shop_id)["clicks"] == 1
    adv.click(ip="198.51.100.8")
    assert totals(table, adv.shop.shop_id)["clicks"] == 2
    assert code_totals(table, adv.code)["clicks"] == 2


def test_forged_forwarded_for_cannot_mint_visitors_on_aws(adv, table, monkeypatch):
    from chalicelib.sharing.visitors import client_address

    # On AWS the source address is the client's own; X-Forwarded-For is then ignored.
    assert client_address("198.51.100.7", "1.2.3.4, 5.6.7.8", ()) == "198.51.100.7"
    # Behind a trusted proxy (loopback locally, or a configured CDN) the nearest untrusted hop counts.
    assert client_address("127.0.0.1", "1.2.3.4, 198.51.100.7", ()) == "198.51.100.7"
    assert client_address("10.0.0.5", "1.2.3.4, 198.51.100.7, 10.0.0.9", ("10.0.0.0/8",)) == "198.51.100.7"
    assert client_address("127.0.0.1", "not-an-ip", ()) == "127.0.0.1"


@pytest.mark.parametrize(
    "ua",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (compatible; SnapURLPreview/1.0; +https://www.snapchat.com)",
        "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
    ],
)
def test_preview_crawler_gets_open_graph_and_counts_no_click(adv, table, ua):
    response = adv.click(ua=ua)
    assert response.status_code == 200
    html = response.body.decode()
    assert 'property="og:title"' in html and "Best mug" in html and "Keeps coffee hot" in html
    # the review's own card (drawn on its first request: tests/unit/test_share_cards.py), not the product's picture
    assert re.search(rf'property="og:image" content="http://[^"]+/s/{adv.code}/card/[0-9a-f]{{16}}\.png"', html)
    assert f"https://{adv.home}/img/mug.jpg" not in html
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert "Content-Security-Policy" in response.headers
    counted = totals(table, adv.shop.shop_id)
    assert counted.get("clicks", 0) == 0 and counted["previews"] == 1


@pytest.mark.parametrize(
    "ua",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
    ],
)
def test_bots_are_redirected_but_not_counted(adv, table, ua):
    assert adv.click(ua=ua).status_code == 302
    assert totals(table, adv.shop.shop_id).get("clicks", 0) == 0


@pytest.mark.parametrize(
    "ua",
    [
        # Google's URL inspection looks like Chrome on a phone; our own patterns never named it, the list does
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/W.X.Y.Z Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0)",
        "Mozilla/5.0 (compatible; YandexMetrika/2.0; +http://yandex.com/bots)",
        "Mozilla/4.5 (compatible; HTTrack 3.0x; Windows 98)",
    ],
)
def test_automation_only_the_maintained_list_knows_is_redirected_but_not_counted(adv, table, ua):
    # Given an agent that says nothing of being a bot in words of our own, but the crawler list names
    # When it follows a share link
    response = adv.click(ua=ua)
    # Then it goes on to the shop like anyone, and no click is counted
    assert response.status_code == 302
    assert totals(table, adv.shop.shop_id).get("clicks", 0) == 0


@pytest.mark.parametrize(
    "name", ["facebook_ios", "facebook_android", "facebook_metaiab", "instagram_ios", "snapchat_ios", "pinterest_ios"]
)
def test_a_friend_in_an_in_app_browser_is_a_counted_click(adv, table, name):
    # Given a friend who taps the link inside an app (the list calls "MetaIAB Facebook" a preview fetcher, and the
    # Snapchat and Pinterest apps name themselves as their preview crawlers do: each is the person it is)
    # When the in-app browser follows it
    response = adv.click(ua=BROWSERS[name])
    # Then the friend lands on the product page, and the click counts
    assert response.status_code == 302
    assert totals(table, adv.shop.shop_id)["clicks"] == 1


def test_head_request_is_not_counted(adv, table):
    response = adv.click(method="HEAD")
    assert response.status_code == 302
    assert totals(table, adv.shop.shop_id).get("clicks", 0) == 0


def test_unknown_code_is_404(api, outbox):
    response = api.request("GET", "/s/pl-AAAAAAAAA", headers={"User-Agent": CHROME})
    assert response.status_code == 404
    assert api.request("GET", "/s/not-a-code").status_code == 404


OPEN_REDIRECT_TRICKS = [
    "?url=https://evil.example",
    "?next=//evil.example",
    "?redirect=https:%2F%2Fevil.example",
    "?via=https://evil.example",
    "?via=//evil.example",
    "?ref=x&url=javascript:alert(1)",
    "/..%2F..%2Fevil.example",
    "?%0d%0aLocation:%20https://evil.example",
    "?via=whatsapp%0d%0aLocation:evil",
    "?to=%68%74%74%70%73%3a%2f%2fevil.example",
    "?host=evil.example",
    "?via=@evil.example",
    "?return=https://shop.example.com.evil.example",
    "?via=../../evil",
    "?u=data:text/html,hi",
    "?dest=\\\\evil.example",
    "?via=copy&url=https://evil.example",
    "?%2F%2Fevil.example",
    "?utm_source=https://evil.example",
    "?via=facebook#https://evil.example",
]


@pytest.mark.parametrize("trick", OPEN_REDIRECT_TRICKS)
def test_share_links_never_leave_the_shops_domains(adv, trick):
    response = (
        adv.click(query=trick)
        if not trick.startswith("/")
        else adv.api.request("GET", f"/s/{adv.code}{trick}", headers={"User-Agent": CHROME})
    )
    if response.status_code == 302:
        target = urlsplit(response.headers["Location"])
        assert target.scheme == "https" and target.netloc in adv.shop.shop["domains"]
        assert "evil" not in target.netloc
    else:
        assert response.status_code == 404


def test_product_page_off_the_shop_domains_falls_back_to_home(api, outbox, table):
    adv = Advocate(api, outbox)
    table.update(
        keys.product_key(adv.shop.shop_id, "p-mug"),
        "SET #u = :u",
        names={"#u": "url"},
        values={":u": "https://evil.example/phish"},
    )
    target = urlsplit(adv.click().headers["Location"])
    assert (target.netloc, target.path) == (adv.home, "/")


def test_share_records_once_and_redirects_to_the_network_intent(adv, table):
    response = adv.share("whatsapp")
    assert response.status_code == 302
    intent = urlsplit(response.headers["Location"])
    assert intent.netloc == "wa.me"
    text = parse_qs(intent.query)["text"][0]
    assert "Keeps coffee hot" in text and f"/s/{adv.code}?via=whatsapp" in text
    adv.share("whatsapp")
    adv.share("x")
    counted = totals(table, adv.shop.shop_id)
    assert counted["shares"] == 2 and counted["shares_whatsapp"] == 1 and counted["shares_x"] == 1
    assert counted["sharers"] == 1


@pytest.mark.parametrize(
    ("channel", "host"),
    [
        ("facebook", "www.facebook.com"),
        ("x", "x.com"),
        ("linkedin", "www.linkedin.com"),
        ("pinterest", "www.pinterest.com"),
    ],
)
def test_each_network_gets_its_intent(adv, channel, host):
    location = adv.share(channel).headers["Location"]
    assert urlsplit(location).netloc == host
    assert adv.code in location


def test_email_sms_and_copy_work_without_javascript(adv):
    assert adv.share("email").headers["Location"].startswith("mailto:?subject=")
    assert adv.share("sms").headers["Location"].startswith("sms:?&body=")
    copy = adv.share("copy")
    assert copy.status_code == 200 and f"/s/{adv.code}?via=copy" in copy.body.decode()


def test_unknown_channel_or_code_is_404_json(adv, api):
    response = adv.share("myspace")
    assert response.status_code == 404 and response.json["error"]["code"] == "unknown_channel"
    assert api.request("GET", "/share/pl-zzzzzzzzz/x").json["error"]["code"] == "unknown_code"


def test_one_code_per_customer_pointing_at_the_latest_happy_review(adv, api, table):
    from chalicelib.reviews.tokens import review_token

    adv.shop.fulfilled_order(
        "o-2", "c-1", items=[{"product_id": "p-cap", "title": "Summit Cap", "quantity": 1, "price": "19"}]
    )
    second = api.request(
        "POST",
        "/reviews",
        {
            "token": review_token(adv.shop.shop_id, "o-2", ["p-cap"]),
            "product_id": "p-cap",
            "rating": 4,
            "title": "",
            "body": "Snug fit.",
        },
    )
    assert second.json["share"]["code"] == adv.code
    assert table.get(keys.code_key(adv.code))["product_id"] == "p-cap"


def test_visitor_daily_cap_stops_counting(adv, table, monkeypatch):
    from chalicelib.sharing import counting

    monkeypatch.setattr(counting, "VISITOR_DAILY_CAP", 1)
    adv.share("x", ua=CHROME, ip="198.51.100.50")
    adv.click(ip="198.51.100.50")
    assert totals(table, adv.shop.shop_id).get("clicks", 0) == 0
