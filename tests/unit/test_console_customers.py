"""The console's customers section: search by name or email through keyed hashes only, a customer's timeline
from the facts that are kept, their score by action, and erasure that leaves nothing to find them by."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib import clock
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from chalicelib.store.table import get_client
from tests import signers
from tests.unit.sharing_support import CHROME, SAFARI
from tests.unit.test_console import HTML, Owner
from tests.unit.webhook_support import ShopifyStore, calls

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = {"customer_id": "c-4471", "name": "Ana María López", "email": "Ana.Lopez@Example.com"}
MUG = [{"product_id": "p-mug", "title": "Trail Mug", "quantity": 1, "price": "29.50"}]


def raw_items(table: Any) -> list[dict[str, Any]]:
    """Test only (no request path scans): every item as DynamoDB holds it."""
    found, request = [], {"TableName": table.name}
    while True:
        page = table.client.scan(**request)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Shop(Owner):
    """A generic shop, its signed-in owner, and deliveries signed at the clock's time."""

    def deliver(self, kind: str, order_id: str, who: dict[str, str] = ANA, **data: Any) -> None:
        data.setdefault("items", MUG)
        data.setdefault("total", "29.50")
        body = signers.generic_event(kind, order_id, who["customer_id"], email=who["email"], name=who["name"], **data)
        raw = json.dumps(body).encode()
        headers = signers.standard_headers(self.shop["webhook_secret"], raw)  # signed now, as a sender does
        response = self.api.request("POST", f"/webhooks/generic/{self.shop_id}", raw=raw, headers=headers)
        assert response.status_code == 200, response.body

    def order(self, order_id: str, who: dict[str, str] = ANA, at: datetime = T0, **data: Any) -> None:
        self.deliver("order.created", order_id, who, created_at=clock.iso(at), timestamp=clock.iso(at), **data)

    def search(self, query: str) -> Any:
        return self.get(f"customers?q={quote(query)}")

    def found(self, query: str) -> list[str]:
        response = self.search(query)
        assert response.status_code == 200, response.body.decode()[:500]
        return re.findall(r'/dashboard/customers/([^"]+)">', response.body.decode())

    def customer(self, customer_id: str) -> Any:
        return self.get(f"customers/{quote(customer_id, safe='')}")


@pytest.fixture
def shop(api):
    return Shop(api)


@pytest.fixture
def real_time():
    yield
    clock.run_from(None)


ACCENTS = {"customer_id": "c-5150", "name": "Zoë Ångström-Núñez", "email": "zoe@example.org"}
BERG = {"customer_id": "c-2208", "name": "Ana Berg", "email": "ana.berg@example.net"}
MIA = {"customer_id": "c-3090", "name": "Mia López", "email": "mia@example.net"}


@pytest.fixture
def three(shop):
    for n, who in enumerate((ANA, BERG, MIA, ACCENTS)):
        shop.order(f"o-{n}", who)
    return shop


# --- searching ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Ana.Lopez@Example.com", "ana.lopez@example.com", "  ANA.LOPEZ@EXAMPLE.COM "])
def test_an_email_in_any_case_finds_its_customer(three, typed):
    assert three.found(typed) == ["c-4471"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("López", ["c-3090", "c-4471"]),
        ("lopez", ["c-3090", "c-4471"]),
        ("LOPEZ", ["c-3090", "c-4471"]),
        ("maria", ["c-4471"]),
        ("zoe", ["c-5150"]),
        ("Núñez", ["c-5150"]),
        ("angstrom nunez", ["c-5150"]),
    ],
)
def test_a_name_word_finds_its_customers_accents_typed_or_not(three, typed, expected):
    assert sorted(three.found(typed)) == expected


def test_two_words_find_the_customers_both_find(three):
    assert sorted(three.found("ana")) == ["c-2208", "c-4471"]
    assert three.found("Ana López") == ["c-4471"]
    assert three.found("lopez mia") == ["c-3090"]
    assert three.found("ana mia") == []
    assert "No customer matches every word" in three.search("ana mia").body.decode()


def test_a_later_order_with_another_email_finds_them_by_either(shop):
    shop.order("o-1", ANA)
    shop.order("o-2", {**ANA, "email": "ana@work.example.com"}, at=T0 + timedelta(days=3))
    assert shop.found("ana@work.example.com") == ["c-4471"]
    assert shop.found("ana.lopez@example.com") == ["c-4471"]


def test_results_show_the_customers_figures_and_link_to_their_page(three):
    html = three.search("lopez").body.decode()
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a href=\"[^\"]*/customers/c-4471\">Ana María López</a></th>(.*?)</tr>", html, re.S
    )
    assert row, html
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert "customer" in cells[0] and cells[1:] == ["0.00", "1", "0", "0", "0", "0"]


def test_no_plain_email_or_name_is_in_any_key_or_lookup_item(three, table):
    items = raw_items(table)
    lookups = [i for i in items if i["SK"]["S"].startswith(keys.CUSTOMER_LOOKUP_PREFIX)]
    assert len(lookups) >= 4 * 3  # an email and the name's words, per customer
    plain = [
        p.casefold()
        for who in (ANA, BERG, MIA, ACCENTS)
        for p in (who["email"], *who["name"].replace("-", " ").split())
    ]
    plain += ["maria", "lopez", "zoe", "angstrom", "nunez"]
    for item in items:
        key_text = (item["PK"]["S"] + " " + item["SK"]["S"]).casefold()
        assert not [p for p in plain if p in key_text], item
    for item in lookups:
        assert set(item) == {"PK", "SK", "type", "customer_id"}
        text = json.dumps(item).casefold()
        assert not [p for p in plain if p in text], item


def test_a_search_reads_by_key_and_never_scans(three, table, monkeypatch):
    def refuse(**_: Any) -> None:
        raise AssertionError("a request path scanned the table")

    monkeypatch.setattr(table.client, "scan", refuse)
    three.get("customers")  # the section's first visit: the index's cursor is made
    with calls(get_client()) as sent:
        assert three.found("ana lopez") == ["c-4471"]
    # the session's shop, the index's cursor, one Query per word, the customers found
    assert "Scan" not in sent
    assert sent.count("Query") == 2 and sent.count("GetItem") == 2 and sent.count("BatchGetItem") <= 2, sent
    with calls(get_client()) as top:
        assert three.get("customers").status_code == 200
    assert "Scan" not in top and top.count("Query") == 1, top


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x" * 201, "at most 200 characters"),
        ("!!! ???", "type a name or an email"),
        ("a b c d e f g", "at most 6 words"),
        ("ana@", "is not a whole email address"),
        ("@example.com", "is not a whole email address"),
        ("\u0000\u0001", "type a name or an email"),
    ],
)
def test_bad_search_input_is_an_error_beside_the_field_never_a_500(three, typed, message):
    response = three.search(typed)
    html = response.body.decode()
    assert response.status_code == 422, html[:300]
    error = re.search(r'<p class="field-error" id="q-error">(.*?)</p>', html, re.S)
    assert error and message in unescape(error.group(1)), html
    assert 'aria-invalid="true"' in html and 'id="q"' in html


def test_the_search_terms_refuse_what_no_text_holds():
    from chalicelib import errors
    from chalicelib.customer_index import search_terms

    with pytest.raises(errors.ValidationFailed) as refused:
        search_terms("ana \ud800")
    assert refused.value.details == [{"field": "q", "problem": "the search is not readable text"}]
    assert [t.kind for t in search_terms("Ana ana ANA ana@example.com")] == ["name", "email"]


def test_the_top_advocates_page_on_and_a_cursor_not_ours_is_a_400_page(three, api, monkeypatch):
    from chalicelib.console import customers

    for n, rating in ((0, 5), (1, 3)):  # Ana (happy) and Ana Berg review
        token = review_token(three.shop_id, f"o-{n}", ["p-mug"])
        body = {"token": token, "product_id": "p-mug", "rating": rating, "title": "", "body": "Solid mug."}
        assert api.request("POST", "/reviews", body).status_code == 201
    monkeypatch.setattr(customers, "TOP", 1)
    first = three.get("customers").body.decode()
    assert "/customers/c-4471" in first and "/customers/c-2208" not in first
    more = re.search(r'href="[^"]*/dashboard/customers\?after=([^"]+)">More advocates', first).group(1)
    second = three.get(f"customers?after={more}").body.decode()
    assert "/customers/c-2208" in second and "/customers/c-4471" not in second
    response = three.get("customers?after=forged.cursor")
    assert response.status_code == 400 and 'class="field-error"' in response.body.decode()


def test_without_a_query_the_top_advocates_are_the_starting_list(shop, api, outbox, real_time):
    journey = Journey(shop, api)
    journey.reviewed()
    html = shop.get("customers").body.decode()
    assert "Top advocates" in html and "/customers/c-4471" in html and "promoter" in html


def test_another_shops_session_is_refused(api, three):
    other = Shop(api)
    page = api.request("GET", f"/shops/{three.shop_id}/dashboard/customers?q=ana", headers={**HTML, **other.cookie})
    html = page.body.decode()
    assert 'name="api_key"' in html and "c-4471" not in html
    item = api.request("GET", f"/shops/{three.shop_id}/dashboard/customers/c-4471", headers={**HTML, **other.cookie})
    assert 'name="api_key"' in item.body.decode() and "López" not in item.body.decode()
    # and another shop's customers are not found from this one
    assert other.found("ana") == []
    assert other.customer("c-4471").status_code == 404


def test_an_unknown_customer_is_the_404_page(shop):
    for customer_id in ("nobody", "x" * 1100, "c-4471/../../SHOP"):
        response = shop.customer(customer_id)
        assert response.status_code == 404, customer_id
        assert "no such customer" in response.body.decode()


# --- erasure and the customers from before the index -------------------------------------------------------


def test_erasure_removes_every_lookup_and_the_customer_is_not_found(three, table):
    assert sorted(three.found("lopez")) == ["c-3090", "c-4471"]
    body = json.dumps({"type": "customer.redact", "timestamp": clock.iso(), "data": {"customer_id": "c-4471"}}).encode()
    headers = signers.standard_headers(three.shop["webhook_secret"], body)
    assert three.api.request("POST", f"/webhooks/generic/{three.shop_id}", raw=body, headers=headers).status_code == 200
    assert three.found("lopez") == ["c-3090"]
    assert three.found("ana") == ["c-2208"]
    assert three.found("maria") == [] and three.found(ANA["email"]) == []
    left = [i for i in raw_items(table) if i["SK"]["S"].startswith(keys.CUSTOMER_LOOKUP_PREFIX)]
    assert all(i["customer_id"]["S"] != "c-4471" for i in left)
    record = table.get(keys.customer_key(three.shop_id, "c-4471"))
    assert "find_tokens" not in record and "name" not in record
    # the erased customer's page shows them erased, with nothing that names them
    html = three.customer("c-4471").body.decode()
    assert "Erased customer" in html and "erased at their request" in html
    assert "López" not in html and "Ana" not in html and "example.com" not in html.lower()


def test_a_lookup_an_order_adds_during_an_erasure_stays_listed_for_the_next(shop, table):
    from chalicelib import customer_index, privacy

    shop.order("o-1", ANA)
    read_before = table.get(keys.customer_key(shop.shop_id, "c-4471"), consistent=True)
    # Meanwhile an order with another email adds its lookup (as the order's transaction would)
    added = customer_index.email_token("another-matching-hash")
    table.transact(
        [
            table.update_op(keys.customer_key(shop.shop_id, "c-4471"), "ADD find_tokens :t", values={":t": {added}}),
            *customer_index.lookup_ops(table, shop.shop_id, "c-4471", [added]),
        ]
    )
    operations, _, _ = privacy._profile_operations(table, shop.shop_id, "c-4471", read_before)
    privacy._write(table, operations)
    record = table.get(keys.customer_key(shop.shop_id, "c-4471"))
    assert record["find_tokens"] == {added} and "name" not in record
    assert table.get(keys.customer_lookup_key(shop.shop_id, added, "c-4471"))
    # and the next erasure takes it
    privacy.redact_customer(table, shop.shop_id, "c-4471")
    assert "find_tokens" not in table.get(keys.customer_key(shop.shop_id, "c-4471"))
    assert table.get(keys.customer_lookup_key(shop.shop_id, added, "c-4471")) is None


def test_a_shop_erasure_removes_every_lookup(three, table):
    from chalicelib.privacy import request_shop_redaction, run_shop_redactions
    from chalicelib.store.shop_records import get_shop

    request_shop_redaction(table, get_shop(table, three.shop_id))
    assert run_shop_redactions(table) == 4
    assert not [i for i in raw_items(table) if i["SK"]["S"].startswith(keys.CUSTOMER_LOOKUP_PREFIX)]


def test_a_shop_whose_customers_all_came_after_the_index_has_nothing_to_wait_for(three, table):
    html = three.get("customers").body.decode()
    assert "being added to it" not in html
    cursor = table.get(keys.customer_index_cursor_key(three.shop_id))
    assert cursor["done_at"] and keys.GSI1PK not in cursor  # not on the due work's list


def _as_before_the_index(table: Any, shop_id: str) -> None:
    """The table as a deployment before the index left it: no lookups, no marks, no cursor."""
    for item in raw_items(table):
        pk, sk = item["PK"]["S"], item["SK"]["S"]
        if pk == keys.shop_partition(shop_id) and sk.startswith(keys.CUSTOMER_LOOKUP_PREFIX):
            table.delete({"PK": pk, "SK": sk})
        elif pk == keys.shop_partition(shop_id) and sk.startswith(keys.CUSTOMER_PREFIX):
            table.update({"PK": pk, "SK": sk}, "REMOVE find_tokens, find_indexed")


def test_the_due_work_indexes_customers_from_before_in_bounded_resumable_runs(shop, table, monkeypatch):
    from chalicelib import customer_index
    from chalicelib.budget import Budget

    people = [{"customer_id": f"c-{n:03d}", "name": f"Older Buyer{n}", "email": f"b{n}@old.example"} for n in range(7)]
    for n, who in enumerate(people):
        shop.order(f"o-{n}", who)
    _as_before_the_index(table, shop.shop_id)
    assert shop.found("older") == []
    # The owner's first visit lists the shop for the due work; the page says the search is not whole yet
    assert "being added to it" in shop.get("customers").body.decode()
    monkeypatch.setattr(customer_index, "INDEX_PAGE", 3)  # pages of three, runs of four: resumed mid-page
    with calls(get_client()) as sent:
        assert customer_index.index_older_customers(table, max_customers=4) == 4
    assert "Scan" not in sent
    cursor = table.get(keys.customer_index_cursor_key(shop.shop_id))
    assert cursor["after"] == "c-003" and keys.GSI1PK in cursor
    assert len(shop.found("older")) == 4
    spent = Budget(0.0)
    assert customer_index.index_older_customers(table, budget=spent) == 0  # a spent budget moves nothing
    assert customer_index.index_older_customers(table) == 3
    assert sorted(shop.found("older")) == [p["customer_id"] for p in people]
    assert shop.found("b5@old.example") == ["c-005"] and shop.found("buyer6") == ["c-006"]
    cursor = table.get(keys.customer_index_cursor_key(shop.shop_id))
    assert keys.GSI1PK not in cursor and cursor["done_at"] and int(cursor["indexed_customers"]) == 7
    assert customer_index.index_older_customers(table) == 0  # nothing left on the list
    assert "being added to it" not in shop.get("customers").body.decode()


def test_the_backfill_leaves_erased_customers_and_those_an_order_indexed_alone(shop, table):
    from chalicelib import customer_index

    shop.order("o-1", ANA)
    shop.order("o-2", MIA)
    _as_before_the_index(table, shop.shop_id)
    shop.get("customers")
    shop.order("o-3", MIA, at=T0 + timedelta(days=2))  # a returning buyer's order indexes them itself
    assert shop.found("mia") == ["c-3090"]
    body = json.dumps({"type": "customer.redact", "timestamp": clock.iso(), "data": {"customer_id": "c-4471"}}).encode()
    headers = signers.standard_headers(shop.shop["webhook_secret"], body)
    assert shop.api.request("POST", f"/webhooks/generic/{shop.shop_id}", raw=body, headers=headers).status_code == 200
    customer_index.index_older_customers(table)
    assert shop.found("ana") == [] and shop.found("lopez") == ["c-3090"]


# --- the webhook's calls are what they were --------------------------------------------------------------


def test_the_webhooks_take_the_calls_they_took_before(api, table):
    # Given a Shopify shop, as bench/ddb_calls.py measures it
    store = ShopifyStore(api)
    order = signers.fixture("shopify_order.json")
    measured = {}
    with calls(get_client()) as sent:
        assert store.send("orders/create", order).status_code == 200
    measured["order"] = len(sent)
    with calls(get_client()) as sent:
        assert store.send("orders/create", order).status_code == 200
    measured["duplicate"] = len(sent)
    fulfilled = {**order, "fulfillments": [{"id": 1, "created_at": "2026-11-04T09:00:00-05:00"}]}
    with calls(get_client()) as sent:
        store.send("orders/fulfilled", fulfilled)
    measured["fulfilment"] = len(sent)
    with calls(get_client()) as sent:
        store.send("refunds/create", signers.fixture("shopify_refund.json"))
    measured["refund"] = len(sent)
    product = order["line_items"][0]["product_id"]
    token = review_token(store.shop_id, str(order["id"]), [str(product)])
    review = {"token": token, "product_id": str(product), "rating": 5, "title": "Great", "body": "Up three peaks."}
    code = api.request("POST", "/reviews", review).json["share"]["code"]
    api.request("GET", f"/s/{code}", headers={"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.9"})
    now = clock.iso()
    friend = {
        **order,
        "id": 777000,
        "created_at": now,
        "updated_at": now,
        "customer": {"id": 9900, "email": "friend@example.org", "first_name": "Fr", "last_name": "Iend"},
        "email": "friend@example.org",
        "landing_site": f"/products/x?ref={code}",
        "refunds": [],
    }
    with calls(get_client()) as sent:
        assert store.send("orders/create", friend).status_code == 200
    measured["referred"] = len(sent)
    # Then each takes what docs/console.md says: the lookups ride in the order's own transaction
    assert measured == {"order": 5, "duplicate": 4, "fulfilment": 3, "refund": 5, "referred": 6}
    friend_record = table.get(keys.customer_key(store.shop_id, "9900"))
    assert friend_record["find_indexed"] and len(friend_record["find_tokens"]) == 3  # the email, Fr, Iend


def test_a_returning_customers_order_writes_no_lookup_again(shop, table):
    shop.order("o-1", ANA)
    record = table.get(keys.customer_key(shop.shop_id, "c-4471"))
    assert len(record["find_tokens"]) == 4  # the email, ana, maria, lopez
    with calls(get_client()) as sent:
        shop.order("o-2", ANA, at=T0 + timedelta(days=5))
    assert sent.count("TransactWriteItems") == 1
    assert table.get(keys.customer_key(shop.shop_id, "c-4471"))["find_tokens"] == record["find_tokens"]


# --- a customer's page ---------------------------------------------------------------------------------------


class Journey:
    """Ana's scripted journey, one step a day: order, fulfilment, request, review, share, clicks, her
    friend's order through her link, a refund of her own order and of the friend's."""

    def __init__(self, shop: Shop, api: Any) -> None:
        self.shop, self.api = shop, api
        self.code = ""

    def at(self, days: float) -> datetime:
        moment = T0 + timedelta(days=days)
        clock.run_from(moment)
        return moment

    def reviewed(self) -> None:
        from chalicelib.reviews.requests import send_due
        from chalicelib.store.table import get_table

        self.at(0)
        self.shop.order("o-1", ANA)
        self.at(1)
        self.shop.deliver("order.fulfilled", "o-1", timestamp=clock.iso())
        assert send_due(get_table(), now=self.at(8.1)) == 1
        self.at(9)
        review = {
            "token": review_token(self.shop.shop_id, "o-1", ["p-mug"]),
            "product_id": "p-mug",
            "rating": 5,
            "title": "Best mug",
            "body": "Keeps coffee hot on the trail.",
        }
        response = self.api.request("POST", "/reviews", review)
        assert response.status_code == 201, response.body
        self.code = response.json["share"]["code"]

    def run(self) -> None:
        from chalicelib.rollup import roll_up_clicks
        from chalicelib.store.table import get_table

        self.reviewed()
        self.at(9.1)
        shared = self.api.request(
            "GET", f"/share/{self.code}/whatsapp", headers={"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.9"}
        )
        assert shared.status_code == 302
        self.at(10)
        for ip in ("198.51.100.7", "198.51.100.8"):
            clicked = self.api.request(
                "GET", f"/s/{self.code}?via=whatsapp", headers={"User-Agent": CHROME, "X-Forwarded-For": ip}
            )
            assert clicked.status_code == 302
        moment = self.at(11)
        home = self.shop.shop["domains"][0]
        self.friend = {"landing_url": f"https://{home}/p/mug?ref={self.code}", "total": "59.00"}
        self.shop.order("o-friend", FRIEND, at=moment, **self.friend)
        roll_up_clicks(get_table(), now=self.at(11.5))
        self.at(12)
        self.shop.deliver("order.refunded", "o-1", amount="5.00", refund_id="r-1", timestamp=clock.iso())
        self.at(13)
        self.shop.deliver(
            "order.refunded",
            "o-friend",
            FRIEND,
            amount="59.00",
            refund_id="r-2",
            timestamp=clock.iso(),
            landing_url=self.friend["landing_url"],
            total="59.00",
        )
        self.at(14)


FRIEND = {"customer_id": "c-7777", "name": "Jonas Friendly", "email": "jonas@friends.example"}


@pytest.fixture
def journey(shop, api, outbox, real_time):
    walked = Journey(shop, api)
    walked.run()
    return walked


def timeline(html: str) -> list[tuple[str, str]]:
    steps = re.findall(r'<li class="step[^"]*" data-kind="([a-z_]+)">(.*?)</li>', html, re.S)
    return [(kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()) for kind, text in steps]


def test_the_timeline_shows_each_step_of_the_journey_in_order(journey):
    response = journey.shop.customer("c-4471")
    html = response.body.decode()
    assert response.status_code == 200, html[:500]
    steps = timeline(html)
    assert [kind for kind, _ in steps] == [
        "order",
        "fulfilled",
        "request",
        "review",
        "code",
        "share",
        "clicks",
        "referred",
        "refund",
        "referral_reversed",
    ], steps
    text = dict(steps)
    assert "Order o-1 placed" in text["order"] and "Trail Mug \u00d7 1" in text["order"]
    assert "29.50 USD" in text["order"]
    assert "2026-03-02 09:00" in text["order"] and "2026-03-03" in text["fulfilled"]
    assert "Review request sent" in text["request"] and "2026-03-10" in text["request"]
    assert "5 of 5 stars" in text["review"] and "published" in text["review"]
    assert "Shared on WhatsApp" in text["share"] and "during the day" in text["share"]
    assert "2 friends clicked" in text["clicks"] and "WhatsApp 2" in text["clicks"]
    assert "A new customer ordered through their link" in text["referred"] and "59.00 USD" in text["referred"]
    assert "Jonas" not in html and "friends.example" not in html and "o-friend" not in html  # the friend unnamed
    assert "Refund of 5.00 USD on order o-1" in text["refund"]
    assert "Referral credit reversed" in text["referral_reversed"] and "refunded in full" in text["referral_reversed"]
    assert "counted per day, without their time" in html
    # who she is: name, latest email (as kept: her one mailbox, its domain in lower case), stage
    assert "Ana María López" in html and "Ana.Lopez@example.com" in html and "influencer" in html


def _breakdown(html: str) -> tuple[dict[str, float], float, float]:
    rows = re.findall(r'<tr data-action="([a-z_]+)">(.*?)</tr>', html, re.S)
    points = {a: float(re.search(r'<td class="points">([-\d.]+)</td>', r).group(1)) for a, r in rows}
    total = float(re.search(r'id="points-total">([-\d.]+)<', html).group(1))
    score = float(re.search(r'id="customer-score">([-\d.]+)<', html).group(1))
    return points, total, score


def test_the_score_by_action_adds_up_to_the_leaderboards_score(journey, monkeypatch):
    moment = clock.now()
    monkeypatch.setattr(clock, "now", lambda: moment)
    html = journey.shop.customer("c-4471").body.decode()
    points, total, score = _breakdown(html)
    assert set(points) == {
        "review",
        "happy_review",
        "share",
        "click",
        "referred_order",
        "referred_revenue",
        "reversal",
    }, points  # every action accounted for: nothing left unitemised
    leaderboard = journey.api.request("GET", f"/shops/{journey.shop.shop_id}/advocates", token=journey.shop.key).json
    shown = next(a for a in leaderboard["advocates"] if a["customer"] == "c-4471")["score"]
    assert score == pytest.approx(shown, abs=0.005)
    assert sum(points.values()) == pytest.approx(shown, abs=0.005)
    assert total == pytest.approx(shown, abs=0.005)
    # the reversal takes back exactly what the referred order added
    assert points["reversal"] == pytest.approx(-(points["referred_order"] + points["referred_revenue"]), abs=0.011)
    assert points["click"] > 0 and points["share"] > 0


def test_the_breakdown_weighs_each_action_as_the_score_model_does():
    from chalicelib import scoring
    from chalicelib.console.customers import score_breakdown, score_parts

    reviews = [{"created_at": "2026-01-10T10:00:00Z", "rating": 5}, {"created_at": "2026-02-10T10:00:00Z", "rating": 2}]
    stored = sum(
        (scoring.weight_at(a, clock.parse(r["created_at"])) for r in reviews for a in ("review",)), Decimal(0)
    ) + scoring.weight_at("happy_review", clock.parse("2026-01-10T10:00:00Z"))
    customer = {"reviews": 2, "happy_reviews": 1, "score_sum": stored, keys.GSI2SK: stored}
    shop = _shop()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    parts = score_parts(customer, reviews, [], {}, shop)
    assert [p.action for p in parts] == ["review", "happy_review"]
    breakdown = score_breakdown(customer, parts, now)
    assert breakdown["score"] == scoring.advocate_score(stored, now)
    assert sum(r["points"] for r in breakdown["rows"]) == pytest.approx(breakdown["score"], abs=0.01)
    review, happy = breakdown["rows"]
    assert (review["count"], review["earned"], happy["count"], happy["earned"]) == (2, 8.0, 1, 3.0)
    assert review["today"] < review["earned"]  # decayed


def _shop() -> Any:
    from chalicelib.store.shop_records import Shop as ShopRecord
    from chalicelib.store.shop_settings import ShopSettings

    return ShopRecord("s", "S", "generic", ["s.example"], "whsec_x", ShopSettings.from_map({}), "h", "2026-01-01")


def test_a_customer_page_reads_with_a_bounded_number_of_calls(journey, monkeypatch, table):
    monkeypatch.setattr(table.client, "scan", lambda **_: (_ for _ in ()).throw(AssertionError("scanned")))
    with calls(get_client()) as sent:
        assert journey.shop.customer("c-4471").status_code == 200
    assert "Scan" not in sent
    # the session's shop, the customer, one BatchGet of orders, reviews, code and referred orders, 8 shards
    assert sent.count("GetItem") == 2 and sent.count("BatchGetItem") == 1 and sent.count("Query") == keys.CODE_SHARDS


def test_a_planned_request_and_a_postponement_are_on_the_timeline(shop, real_time):
    clock.run_from(T0)
    shop.order("o-1", ANA)
    shop.deliver("order.fulfilled", "o-1", timestamp=clock.iso(T0 + timedelta(days=1)))
    html = shop.customer("c-4471").body.decode()
    kinds = [k for k, _ in timeline(html)]
    assert kinds == ["order", "fulfilled", "planned"] and "planned</span>" in html
