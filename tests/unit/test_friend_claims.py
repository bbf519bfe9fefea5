"""The give-get program's friend: the page a browser gets from a share link, the claim, its refusals, and the one
email that carries the code, through the HTTP API (issue 26, part 3)."""

from __future__ import annotations

import email
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.unit.review_support import text_part
from tests.unit.sharing_support import CHROME, Advocate

FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


def program(advocate: Advocate, **changes: Any) -> None:
    referral = {"enabled": True, "friend_offer": {"type": "percent", "value": "10", "minimum_order": "0"}, **changes}
    answer = advocate.shop.owner("PATCH", "", {"settings": {"referral": referral}})
    assert answer.status_code == 200, answer.body


def fill(advocate: Advocate, *codes: str, pool: str = "friend") -> Any:
    answer = advocate.api.request(
        "POST",
        f"/shops/{advocate.shop.shop_id}/referral/codes/{pool}",
        token=advocate.shop.api_key,
        headers={"Content-Type": "text/plain"},
        raw="\n".join(codes).encode(),
    )
    assert answer.status_code == 200, answer.body
    return answer.json


def claim(advocate: Advocate, address: str, ip: str = "198.51.100.20", form: bool = False, **headers: str) -> Any:
    sent = {"User-Agent": CHROME, "X-Forwarded-For": ip, **headers}
    path = f"/s/{advocate.code}/claim"
    if form:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        return advocate.api.request("POST", path, headers=sent, raw=urlencode({"email": address}).encode())
    return advocate.api.request("POST", path, {"email": address}, headers=sent)


def run_due(advocate: Advocate) -> dict[str, Any]:
    answer = advocate.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert answer.status_code == 200, answer.body
    return answer.json


def friend_mails(advocate: Advocate, address: str) -> list[email.message.Message]:
    return [m for m in advocate.shop.emails() if str(m["To"]).lower() == address.lower()]


@pytest.fixture
def advocate(api, outbox) -> Advocate:
    return Advocate(api, outbox)


def test_without_the_program_a_browser_is_redirected_as_before(advocate):
    response = advocate.click()
    assert response.status_code == 302
    assert claim(advocate, "friend@example.com").status_code == 404
    assert claim(advocate, "friend@example.com").json["error"]["code"] == "program_off"


def test_with_the_program_a_browser_gets_the_friends_page_and_the_click_counts(advocate):
    program(advocate, terms="One code per new customer.")
    response = advocate.click()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "invites you to" in page and "10% off your first order" in page
    assert "Keeps coffee hot for hours on the trail." in page and "★★★★★" in page
    assert f'action="http://localhost:8000/s/{advocate.code}/claim"' in page or f"/s/{advocate.code}/claim" in page
    assert "One code per new customer." in page
    assert f"ref={advocate.code}" in page  # the way on without the offer
    report = advocate.shop.owner("GET", "/report").json
    clicks = report["funnel"]["clicks"]
    assert (clicks["total"] if isinstance(clicks, dict) else clicks) == 1


def test_a_crawler_still_gets_the_preview(advocate):
    program(advocate)
    response = advocate.click(ua=FACEBOOK)
    assert response.status_code == 200
    assert 'property="og:title"' in response.body.decode()
    assert "Get my code" not in response.body.decode()


def test_a_claim_hands_out_a_code_once_and_emails_it_once(advocate):
    program(advocate)
    fill(advocate, "FRIEND-AAA", "FRIEND-BBB")
    first = claim(advocate, "Friend@Example.com")
    assert first.status_code == 200, first.body
    assert first.json["status"] == "ready"
    assert first.json["code"] in ("FRIEND-AAA", "FRIEND-BBB")
    assert first.json["offer"] == {"type": "percent", "value": "10", "minimum_order": "0"}
    again = claim(advocate, "friend@example.com", ip="203.0.113.50")
    assert again.json == first.json  # the same mailbox, the same code, whatever browser it comes from
    run_due(advocate)
    run_due(advocate)
    mails = friend_mails(advocate, "friend@example.com")
    assert len(mails) == 1
    assert first.json["code"] in text_part(mails[0])
    listing = advocate.shop.owner("GET", "/referral").json
    assert listing["pools"]["friend"] == {"available": 1, "handed_out": 1}
    assert listing["claims"] == 1


def test_on_shopify_the_continue_link_applies_the_code():
    from chalicelib.referrals.claims import shop_with_code

    class Shop:
        platform = "shopify"

    link = shop_with_code(Shop(), "FRIEND 10", "https://shop.example/products/mug?ref=abc&utm_source=link")  # type: ignore[arg-type]
    assert (
        link == "https://shop.example/discount/FRIEND%2010?redirect=%2Fproducts%2Fmug%3Fref%3Dabc%26utm_source%3Dlink"
    )


@pytest.mark.parametrize("value", ["1", "10", "10.00", "15", "100", "999", "12.5", "0.75", "1000", "2500.5"])
def test_an_offers_number_is_written_as_babel_writes_it_in_every_language(value):
    # A whole percent is written without Babel (the friend's page then loads none): the same text, in each language
    from decimal import Decimal

    from babel.numbers import format_currency, format_decimal

    from chalicelib.referrals.offers import money
    from chalicelib.web.languages import LANGUAGES

    for language in LANGUAGES:
        assert money(value, None, language) == format_decimal(Decimal(value), locale=language)
        assert money(value, "EUR", language) == format_currency(Decimal(value), "EUR", locale=language)


def test_an_empty_pool_keeps_the_claim_and_the_code_follows_by_email_after_a_refill(advocate):
    program(advocate)
    waiting = claim(advocate, "late@example.com")
    assert waiting.status_code == 200
    assert waiting.json["code"] is None and waiting.json["status"] == "waiting_for_code"
    run_due(advocate)
    assert friend_mails(advocate, "late@example.com") == []
    fill(advocate, "LATE-CODE-1")
    from datetime import timedelta

    import time_machine

    from chalicelib import clock

    with time_machine.travel(clock.now() + timedelta(hours=1), tick=False):
        run_due(advocate)
    mails = friend_mails(advocate, "late@example.com")
    assert len(mails) == 1 and "LATE-CODE-1" in text_part(mails[0])
    assert claim(advocate, "late@example.com").json["code"] == "LATE-CODE-1"


def test_a_form_post_answers_the_page_with_the_code(advocate):
    program(advocate)
    fill(advocate, "FORM-CODE")
    response = claim(advocate, "form@example.com", form=True)
    assert response.status_code == 200
    page = response.body.decode()
    assert "FORM-CODE" in page and "Shop with my code" in page


@pytest.mark.parametrize(
    ("address", "status", "code"),
    [
        ("not an address", 422, "invalid_email"),
        ("a@example.com, b@example.com", 422, "invalid_email"),
        ("Friend <friend@example.com>", 422, "invalid_email"),
    ],
)
def test_an_invalid_address_is_refused(advocate, address, status, code):
    program(advocate)
    answer = claim(advocate, address)
    assert answer.status_code == status and answer.json["error"]["code"] == code


def test_the_advocate_cannot_claim_their_own_offer(advocate):
    program(advocate)

    own = "c-1@example.com"  # the generic order of c-1 (tests/signers.py)
    answer = claim(advocate, own.upper())
    assert answer.status_code == 409 and answer.json["error"]["code"] == "self_referral"


def test_a_customer_who_ordered_before_is_refused_when_the_offer_is_for_new_customers(advocate):
    program(advocate)
    advocate.shop.deliver("order.created", "o-9", "c-9", email="regular@example.com")
    answer = claim(advocate, "regular@example.com")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "not_new_customer"
    program(advocate, new_customers_only=False)
    assert claim(advocate, "regular@example.com").status_code == 200


def test_a_visitor_gets_five_claims_a_day(advocate):
    program(advocate)
    for n in range(5):
        assert claim(advocate, f"f{n}@example.com").status_code == 200
    refused = claim(advocate, "f5@example.com")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "too_many_claims"
    assert int(refused.headers["Retry-After"]) > 0
    assert claim(advocate, "f0@example.com").status_code == 200  # a claim already made still answers
    assert claim(advocate, "f5@example.com", ip="192.0.2.77").status_code == 200  # another visitor


def test_the_form_shows_a_refusal_beside_the_field(advocate):
    program(advocate)
    response = claim(advocate, "nope", form=True)
    assert response.status_code == 422
    page = response.body.decode()
    assert 'aria-invalid="true"' in page and "Enter one valid email address." in page


def test_the_page_escapes_the_advocates_words(api, outbox):
    advocate = Advocate(api, outbox)
    from chalicelib.store import keys
    from chalicelib.store.table import get_table

    get_table().update(
        keys.code_key(advocate.code),
        "SET quote = :q, author = :a",
        values={":q": "<script>alert(1)</script>", ":a": "<img src=x onerror=alert(2)>"},
    )
    program(advocate)
    page = advocate.click().body.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Recevoir mon code"), ("de", "Meinen Code"), ("es", "mi código"), ("pt", "meu código")],
)
def test_the_page_speaks_the_friends_language(advocate, language, words):
    program(advocate)
    response = advocate.api.request(
        "GET",
        f"/s/{advocate.code}",
        headers={"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7", "Accept-Language": language},
    )
    assert words.lower() in response.body.decode().lower()
    assert response.headers["Content-Language"] == language


def test_a_claim_is_counted_once_in_the_report_and_told_to_the_owner(advocate):
    program(advocate)
    claim(advocate, "counted@example.com")
    claim(advocate, "counted@example.com")
    report = advocate.shop.owner("GET", "/report").json
    assert report["funnel"]["friend_claims"] == 1


def test_the_claim_keeps_only_a_hash_once_the_email_is_sent(advocate, table):
    program(advocate)
    fill(advocate, "HASH-ONLY")
    claim(advocate, "private@example.com")
    run_due(advocate)
    items = table.client.scan(TableName=table.name)["Items"]
    assert "private@example.com" not in json.dumps(items)
