"""Every buyer can refer, whatever they thought (issue 26, part 7; FTC 16 CFR 465.4: the reward never depends on a
review's rating or text): with the shop's referral program on, every review request and reminder carries a link to
the buyer's own share page, signed like the review link, and the page is the same for a buyer who did not review,
one who gave 1 star and one who gave 5: their own link, the channels and the friend's offer, in their language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token
from tests.unit.review_support import ReviewShop, html_part, text_part
from tests.unit.sharing_support import CHROME

FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
ITEMS = [{"product_id": "p-mug", "title": "Trail Mug", "quantity": 1, "price": "29.50"}]


def program(shop: ReviewShop, **changes: Any) -> None:
    referral = {"enabled": True, "friend_offer": {"type": "percent", "value": "10", "minimum_order": "0"}, **changes}
    answer = shop.owner("PATCH", "", {"settings": {"referral": referral}})
    assert answer.status_code == 200, answer.body


def token_of(shop: ReviewShop, order_id: str) -> str:
    return review_token(shop.shop_id, order_id, ["p-mug"])


def refer(shop: ReviewShop, order_id: str, method: str = "GET", **headers: str) -> Any:
    return shop.api.request(method, f"/r/{token_of(shop, order_id)}/refer", headers=headers)


def review(shop: ReviewShop, order_id: str, rating: int, body: str = "It is a mug.") -> dict[str, Any]:
    answer = shop.api.request(
        "POST",
        "/reviews",
        {"token": token_of(shop, order_id), "product_id": "p-mug", "rating": rating, "title": "Mug", "body": body},
    )
    assert answer.status_code == 201, answer.body
    return answer.json


def share_code(page: str) -> str:
    found = set(re.findall(r"/s/(pl-[A-Za-z0-9]+)", page))
    assert len(found) == 1, found
    return found.pop()


@pytest.fixture
def shop(api, outbox) -> ReviewShop:
    return ReviewShop(api, outbox)


# --- the email -------------------------------------------------------------------------------------------------
def test_without_the_program_the_email_carries_no_refer_link(shop):
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    assert shop.run_due() == 1
    (mail,) = shop.emails()
    assert "/refer" not in text_part(mail) and "/refer" not in html_part(mail)
    assert "Refer a friend" not in text_part(mail)


def test_with_the_program_the_request_and_the_reminder_carry_the_buyers_refer_link(shop):
    from tests.unit.review_support import LATER, after_fulfilment

    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    assert shop.run_due(after_fulfilment(7, minutes=1)) == 1
    assert shop.run_due(LATER) == 1  # the reminder
    request, reminder = shop.emails()
    from chalicelib.reviews.tokens import read_review_token

    for mail in (request, reminder):
        text, html = text_part(mail), html_part(mail)
        # The link carries the order's own signed token (made when the email was, so read back, not made again here:
        # its expiry counts from that second)
        found = re.search(r"/r/([A-Za-z0-9_.-]+)/refer", text)
        assert found, text
        grant = read_review_token(found.group(1))
        assert (grant.shop_id, grant.order_id) == (shop.shop_id, "o-1")
        link = f"/r/{found.group(1)}/refer"
        assert re.search(rf'href="https?://[^"]+{re.escape(link)}"', html)
        assert "whether or not you write a review" in text
        # The review link is the same token: the refer link is that link's page
        review_link = re.search(r"(http\S+/r/[A-Za-z0-9_.-]+)\s", text)
        assert review_link and f"{review_link.group(1)}/refer" in text


def test_the_email_says_it_in_the_buyers_language(shop):
    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS, locale="fr")
    assert shop.run_due() == 1
    (mail,) = shop.emails()
    assert "Parrainez un ami" in text_part(mail) and "Parrainer un ami" in html_part(mail)


# --- the page --------------------------------------------------------------------------------------------------
def test_every_buyer_gets_the_same_page_with_their_own_code_whatever_they_thought(shop):
    program(shop, terms="One code per new customer.")
    for order_id, customer in (("o-none", "c-none"), ("o-one", "c-one"), ("o-five", "c-five")):
        shop.fulfilled_order(order_id, customer, items=ITEMS)
    assert review(shop, "o-one", 1, "Leaked at once.")["share"] is None  # no share prompt after an unhappy review
    happy = review(shop, "o-five", 5, "Keeps coffee hot.")["share"]["code"]
    pages = {}
    for order_id in ("o-none", "o-one", "o-five"):
        answer = refer(shop, order_id)
        assert answer.status_code == 200, answer.body
        assert answer.headers["Content-Type"].startswith("text/html")
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"  # the signed link never leaks as a referrer
        pages[order_id] = answer.body.decode()
    codes = {order_id: share_code(page) for order_id, page in pages.items()}
    assert codes["o-five"] == happy  # the happy reviewer's own code, as the thanks page offered it
    assert len(set(codes.values())) == 3  # each buyer their own
    # The same page for each, but for the code: nothing of a rating, a review or its words
    shapes = {page.replace(codes[order_id], "CODE") for order_id, page in pages.items()}
    assert len(shapes) == 1
    page = shapes.pop()
    assert "10% off your first order" in page and "One code per new customer." in page
    assert re.search(r"https?://[^\"]+/s/CODE\"", page)
    for channel in ("facebook", "x", "whatsapp", "email", "copy"):
        assert f"/share/CODE/{channel}" in page
    assert "★" not in page and "Leaked" not in page and "Keeps coffee" not in page


def test_the_same_buyer_gets_the_same_code_and_a_later_happy_review_keeps_it(shop, table):
    from chalicelib.store import keys

    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    first = share_code(refer(shop, "o-1").body.decode())
    assert share_code(refer(shop, "o-1").body.decode()) == first
    assert table.get(keys.customer_key(shop.shop_id, "c-1"))["share_code"] == first
    code = table.get(keys.code_key(first))
    assert "rating" not in code and "review_id" not in code and keys.GSI1PK not in code  # no review, no card
    # A happy review later: the same code, now previewing the review
    assert review(shop, "o-1", 5, "Keeps coffee hot.")["share"]["code"] == first
    assert table.get(keys.code_key(first))["rating"] == 5


def test_head_answers_without_making_a_code(shop, table):
    from chalicelib.store import keys

    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    answer = refer(shop, "o-1", method="HEAD")
    assert answer.status_code == 200
    assert "share_code" not in table.get(keys.customer_key(shop.shop_id, "c-1"))


def test_without_the_program_the_page_is_not_found(shop):
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    answer = refer(shop, "o-1")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "program_off"
    assert refer(shop, "o-1", Accept="text/html").headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        review_token("shop-x", "o-1", ["p-mug"], days=-1),  # expired
        review_token("shop-x", "o-1", ["p-mug"]) + "x",  # altered
    ],
)
def test_a_bad_or_expired_link_is_refused_like_the_review_form(shop, token):
    program(shop)
    page = shop.api.request("GET", f"/r/{token}/refer")
    form = shop.api.request("GET", f"/r/{token}")
    assert 400 <= page.status_code < 500
    assert (page.status_code, page.json["error"]["code"]) == (form.status_code, form.json["error"]["code"])


def test_a_preview_emails_refer_link_is_refused(shop):
    from chalicelib.reviews.tokens import preview_token

    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    assert shop.api.request("GET", f"/r/{preview_token(shop.shop_id, 'o-1', 'review')}/refer").status_code == 403


def test_the_page_escapes_the_shops_words(shop):
    assert shop.owner("PATCH", "", {"name": "<script>alert(1)</script> & Co"}).status_code == 200
    program(shop, terms='<img src=x onerror="alert(2)">')
    shop.fulfilled_order("o-1", "c-1", items=ITEMS)
    page = refer(shop, "o-1").body.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page and "&lt;img src=x" in page


@pytest.mark.parametrize(
    ("locale", "heading", "offer"),
    [
        ("en", "Refer a friend to", "10% off your first order"),
        ("es", "Recomienda", "Lo que recibe tu amigo"),
        ("fr", "Parrainez un ami chez", "Ce que reçoit votre ami"),
        ("de", "einem Freund", "Was dein Freund bekommt"),
        ("pt", "a um amigo", "O que seu amigo ganha"),
    ],
)
def test_the_page_is_in_the_buyers_language(shop, locale, heading, offer):
    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS, locale=locale)
    answer = refer(shop, "o-1")
    assert answer.headers["Content-Language"] == locale
    page = answer.body.decode()
    assert f'<html lang="{locale}">' in page and heading in page and offer in page


# --- a code without a review, where a friend and a crawler meet it ----------------------------------------------
def test_a_code_without_a_review_gives_a_friends_page_a_preview_and_a_post_without_a_rating(shop):
    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS, name="<b>Ada</b> Lovelace")
    code = share_code(refer(shop, "o-1").body.decode())
    friend = shop.api.request("GET", f"/s/{code}", headers={"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7"})
    assert friend.status_code == 200, friend.body
    page = friend.body.decode()
    assert "&lt;b&gt;Ada&lt;/b&gt; invites you to" in page and "<b>Ada" not in page
    assert "★" not in page and "10% off your first order" in page and "Get my code" in page
    crawler = shop.api.request("GET", f"/s/{code}", headers={"User-Agent": FACEBOOK})
    assert crawler.status_code == 200
    preview = crawler.body.decode()
    assert 'property="og:title" content="&lt;b&gt;Ada&lt;/b&gt; L. recommends Trail &amp; Summit Outfitters"' in preview
    assert "★" not in preview and "<b>Ada" not in preview
    post = shop.api.request("GET", f"/share/{code}/x", headers={"User-Agent": CHROME})
    assert post.status_code == 302
    assert "I+recommend+Trail" in post.headers["Location"] and "%E2%98%85" not in post.headers["Location"]
    # The claim works through it as through any share link
    claim = shop.api.request(
        "POST", f"/s/{code}/claim", {"email": "friend@example.net"}, headers={"User-Agent": CHROME}
    )
    assert claim.status_code == 200 and claim.json["status"] == "waiting_for_code"


def test_a_buyer_without_a_name_invites_as_a_customer(shop):
    program(shop)
    shop.fulfilled_order("o-1", "c-1", items=ITEMS, name="")
    code = share_code(refer(shop, "o-1").body.decode())
    page = shop.api.request("GET", f"/s/{code}", headers={"User-Agent": CHROME}).body.decode()
    assert "A customer invites you to" in page
