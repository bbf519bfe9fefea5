"""The console's reviews section: every review of the shop, filtered and paged within a bounded read; bulk and
single moderation through the single actions' code, back to the page the form was on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from chalicelib import clock, signing
from chalicelib.auth.csrf import csrf_token
from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests import signers
from tests.unit.test_console import Owner

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTML = {"Accept": "text/html"}
TIMEZONE = "America/New_York"  # UTC-5 in November: 03:00Z is the evening before, there
PRODUCTS = {"p-mug": "Trail Mug", "p-cap": "Summit Cap", "p-pack": "Ridge Pack"}


@dataclass(frozen=True)
class Spec:
    """One review to submit: its own order, at a moment of our choosing."""

    key: str
    product: str
    rating: int
    title: str
    body: str
    when: str  # ISO UTC
    name: str = "Mia Chen"


# Ratings below 4 wait for the owner (unhappy); 4 and 5 are published at once.
WORLD = (
    Spec("a", "p-mug", 5, "Great mug", "Keeps coffee hot all morning.", "2026-11-02T15:00:00Z", "Ana Ruiz"),
    Spec("b", "p-mug", 1, "Leaks", "It LEAKS from the lid.", "2026-11-03T15:00:00Z", "Bo Lind"),
    Spec("c", "p-cap", 2, "Too small", "Runs small, sadly.", "2026-11-05T15:00:00Z", "Cy Park"),
    Spec("d", "p-cap", 4, "Good cap", "Nice fit and colour.", "2026-11-07T15:00:00Z", "Dee Moss"),
    Spec("e", "p-pack", 3, "Okay pack", "Straps could be better.", "2026-11-10T03:00:00Z", "Eli Stone"),
    Spec("f", "p-pack", 2, "Zip broke", "The zip broke in a week; leaky seams too.", "2026-11-12T15:00:00Z", "Fay Ng"),
    Spec("g", "p-mug", 5, "Love it", "Best mug I own.", "2026-11-14T15:00:00Z", "Gus Reyes"),
)


class Console(Owner):
    """A shop in New York time with its signed-in owner, and reviews submitted through the real door."""

    def __init__(self, api: Any, **settings: Any) -> None:
        super().__init__(api, settings={"timezone": TIMEZONE, **settings})
        self.ids: dict[str, str] = {}

    def submit(self, spec: Spec) -> str:
        order = f"o-{spec.key}"
        item = {"product_id": spec.product, "title": PRODUCTS[spec.product], "quantity": 1, "price": "20.00"}
        payload = signers.generic_event("order.created", order, f"c-{spec.key}", name=spec.name, items=[item])
        self.deliver(payload)
        clock.run_from(datetime.fromisoformat(spec.when.replace("Z", "+00:00")))
        try:
            answer = self.api.request(
                "POST",
                "/reviews",
                {
                    "token": review_token(self.shop_id, order, [spec.product]),
                    "product_id": spec.product,
                    "rating": spec.rating,
                    "title": spec.title,
                    "body": spec.body,
                },
            )
        finally:
            clock.run_from(None)
        assert answer.status_code == 201, answer.body
        self.ids[spec.key] = answer.json["review_id"]
        return str(answer.json["review_id"])

    def page(self, query: dict[str, str] | str = "", cookie: dict[str, str] | None = None) -> Any:
        text = query if isinstance(query, str) else urlencode(query)
        path = f"/shops/{self.shop_id}/dashboard/reviews" + (f"?{text}" if text else "")
        return self.api.request("GET", path, headers={**HTML, **(cookie or self.cookie)})

    def post(self, form: str, fields: dict[str, Any] | list[tuple[str, str]], csrf: str | None = None) -> Any:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body = urlencode([("csrf", csrf if csrf is not None else csrf_token(self.session)), *pairs]).encode()
        return self.api.request(
            "POST", f"/shops/{self.shop_id}/dashboard/forms/{form}", raw=body, headers={**FORM, **self.cookie}
        )

    def follow(self, response: Any) -> Any:
        """The page a form's 303 leads to."""
        assert response.status_code == 303, response.body
        where = urlsplit(response.headers["Location"])
        return self.api.request("GET", f"{where.path}?{where.query}", headers={**HTML, **self.cookie})

    def listed(self, response: Any, status: int = 200) -> list[str]:
        """The review ids a page shows, in order (each review's tick box names it)."""
        assert response.status_code == status, response.body[:600]
        return re.findall(r'name="ids" value="([^"]+)"', response.body.decode())

    def keys_of(self, ids: list[str]) -> set[str]:
        names = {rid: key for key, rid in self.ids.items()}
        return {names[rid] for rid in ids}

    def review(self, key: str) -> dict[str, Any]:
        from chalicelib.store.table import get_table

        item = get_table().get(keys.review_key(self.shop_id, self.ids[key]), consistent=True)
        assert item is not None
        return item

    def stats(self, product: str) -> dict[str, Any]:
        from chalicelib.store.table import get_table

        return get_table().get(keys.product_stats_key(self.shop_id, product), consistent=True) or {}


@pytest.fixture
def console(api) -> Console:
    owner = Console(api)
    for spec in WORLD:
        owner.submit(spec)
    return owner


# --- the page and its filters --------------------------------------------------------------------------------
def test_the_section_is_in_the_nav_and_lists_every_review_whatever_its_status(console):
    from chalicelib.reviews import owner
    from chalicelib.store.table import get_table

    owner.reject(get_table(), console.shop_id, console.ids["d"])
    response = console.page()
    html = response.body.decode()
    nav = re.search(r'<nav class="console-nav".*?</nav>', html, re.S).group(0)
    assert '/dashboard/reviews" aria-current="page">Reviews</a>' in nav
    assert console.keys_of(console.listed(response)) == set("abcdefg")
    assert {"badge-pending", "badge-published", "badge-rejected"} <= set(re.findall(r"badge-\w+", html))
    assert "/assets/console_reviews.js" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "pending"}, "bcef"),
        ({"status": "published"}, "adg"),
        ({"status": "published", "product": "p-mug"}, "ag"),  # a product's published partition
        ({"rating": "1"}, "b"),
        ({"rating": "1-2"}, "bcf"),
        ({"rating": "4-5", "product": "p-cap"}, "d"),
        ({"product": "p-pack"}, "ef"),
        ({"q": "leak"}, "bf"),  # any case, in the body
        ({"q": "TOO SMALL"}, "c"),  # the title
        ({"q": "gus"}, "g"),  # the author
        ({"from": "2026-11-10"}, "fg"),  # e is 22:00 on the 9th in New York
        ({"to": "2026-11-09"}, "abcde"),
        ({"from": "2026-11-03", "to": "2026-11-07"}, "bcd"),
        ({"status": "pending", "from": "2026-11-04", "to": "2026-11-09"}, "ce"),  # the pending index's key range
        ({"status": "pending", "rating": "1-2", "q": "zip"}, "f"),
        ({"status": "rejected"}, ""),
    ],
)
def test_each_filter_narrows_to_exactly_the_reviews_it_names(console, query, expected):
    assert console.keys_of(console.listed(console.page(query))) == set(expected)


def test_the_pending_and_product_listings_are_newest_first(console):
    pending = console.listed(console.page({"status": "pending"}))
    assert [console.keys_of([rid]).pop() for rid in pending] == ["f", "e", "c", "b"]
    published = console.listed(console.page({"status": "published", "product": "p-mug"}))
    assert [console.keys_of([rid]).pop() for rid in published] == ["g", "a"]
    assert "newest first" in console.page({"status": "pending"}).body.decode()


def test_each_review_shows_its_facts_reply_and_actions(console):
    from chalicelib.reviews import owner
    from chalicelib.store.shop_records import get_shop
    from chalicelib.store.table import get_table

    shop = get_shop(get_table(), console.shop_id)
    assert shop is not None
    owner.reply(get_table(), shop, console.ids["b"], "Sorry <b>Bo</b>, a new lid is on its way.")
    html = console.page({"q": "leaks"}).body.decode()
    assert "It LEAKS from the lid." in html and "Bo L." in html and "Trail Mug" in html
    assert "2026-11-03 10:00" in html  # 15:00Z in New York
    assert "unhappy" in html  # its moderation flag
    assert "Sorry &lt;b&gt;Bo&lt;/b&gt;, a new lid is on its way." in html  # the public reply, escaped
    rid = console.ids["b"]
    for action in ("publish", "reject", "reply"):
        assert f"/dashboard/forms/reviews/{rid}/{action}" in html
    assert 'name="back" value="reviews?q=leaks"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"status": "hidden"}, "status", "Input should be"),
        ({"rating": "6"}, "rating", "a number of stars"),
        ({"rating": "3-1"}, "rating", "fewer stars to the more"),
        ({"rating": "lots"}, "rating", "a number of stars"),
        ({"from": "yesterday"}, "from", "YYYY-MM-DD"),
        ({"from": "2026-13-01"}, "from", "valid date"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "to", "before the start date"),
        ({"q": "x" * 101}, "q", "at most 100"),
        ({"product": "p" * 201}, "product", "at most 200"),
    ],
)
def test_a_bad_filter_is_an_error_beside_its_field_not_a_500(console, query, field, message):
    response = console.page(query)
    html = response.body.decode()
    assert response.status_code == 422, html[:400]
    error = re.search(rf'<p class="field-error" id="filter-{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html[:2000]
    assert f'aria-describedby="filter-{field}-error' in html and 'aria-invalid="true"' in html
    assert 'name="ids"' not in html  # no listing under filters that do not hold


def test_a_form_of_garbage_is_never_a_500(console):
    response = console.page("status=%FF%FE&rating=%00&from[]=1&q=%E2%80%AE&&&=x")
    assert response.status_code in (200, 400, 422), response.body[:300]


# --- paging -------------------------------------------------------------------------------------------------
def _all_pages(console: Console, query: dict[str, str]) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    text = urlencode(query)
    while True:
        response = console.page(text)
        pages += 1
        seen += console.listed(response)
        found = re.search(r'href="[^"]*/dashboard/reviews\?([^"]+)" rel="next"', response.body.decode())
        if not found:
            return seen, pages
        text = found.group(1).replace("&amp;", "&")
        assert parse_qs(text)["cursor"], text
        assert pages < 50


@pytest.mark.parametrize(
    "query",
    [{}, {"status": "pending"}, {"rating": "1-2"}, {"q": "e"}, {"status": "published", "product": "p-mug"}],
)
def test_paging_shows_every_matching_review_exactly_once(console, monkeypatch, query):
    from chalicelib.console.reviews import listing

    everything = set(console.listed(console.page(query)))
    # Given pages of two reviews, read two and then three items at a time, at most five a page
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    monkeypatch.setattr(listing, "FIRST_READ", 2)
    monkeypatch.setattr(listing, "NEXT_READ", 3)
    monkeypatch.setattr(listing, "READ_BOUND", 5)
    seen, pages = _all_pages(console, query)
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))
    assert pages >= len(everything) // 2


def test_the_next_page_link_keeps_the_filters(console, monkeypatch):
    from chalicelib.console.reviews import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    html = console.page({"status": "pending", "rating": "1-2", "q": "s"}).body.decode()
    link = re.search(r'href="[^"]*/dashboard/reviews\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    given = {k: v[0] for k, v in parse_qs(link).items()}
    assert given.pop("cursor") and given == {"status": "pending", "rating": "1-2", "q": "s"}


def _bulk_items(shop_id: str, count: int) -> list[dict[str, Any]]:
    """Stored reviews as submission writes them, to list many without submitting each."""
    items = []
    for n in range(count):
        rid = f"rv_bulk{n:04d}"
        status = "pending" if n % 2 else "published"
        item = {
            **keys.review_key(shop_id, rid),
            "type": "review",
            "review_id": rid,
            "shop_id": shop_id,
            "product_id": "p-mug",
            "product_title": "Trail Mug",
            "order_id": f"o-{n}",
            "customer_id": f"c-{n}",
            "author": "Someone S.",
            "rating": 1 + n % 5,
            "title": "needle" if n % 37 == 0 else "hay",
            "body": "text",
            "status": status,
            "moderation": [],
            "created_at": f"2026-10-{1 + n % 28:02d}T12:00:00Z",
        }
        stamp = f"2026-10-{1 + n % 28:02d}T12:00:00.{n:06d}Z"
        if status == "published":
            item.update(keys.published_keys(shop_id, "p-mug", rid, stamp))
        else:
            item.update({keys.GSI1PK: keys.pending_partition(shop_id), keys.GSI1SK: f"{stamp}#{rid}"})
        items.append(item)
    return items


def _review_reads(table, monkeypatch) -> list[int]:
    """The number of items each Query of the shop's reviews (the partition or GSI1) returns, as they happen."""
    calls: list[int] = []
    real = type(table).query

    def counted(self, *args, **kwargs):
        items, last = real(self, *args, **kwargs)
        if kwargs.get("sk_prefix") == keys.REVIEW_PREFIX or kwargs.get("index") == keys.GSI1:
            calls.append(len(items))
        return items, last

    monkeypatch.setattr(type(table), "query", counted)
    return calls


def test_a_page_reads_at_most_its_bound_and_says_how_far_it_searched(api, table, monkeypatch):
    # Given 450 reviews, of which 13 have "needle" in their title
    owner = Console(api)
    table.put_many(_bulk_items(owner.shop_id, 450))
    calls = _review_reads(table, monkeypatch)
    # When the owner searches for them page after page
    seen: list[str] = []
    text = urlencode({"q": "NEEDLE"})
    for _ in range(10):
        calls.clear()
        response = owner.page(text)
        seen += owner.listed(response)
        # Then no page read more than 200 items, in at most 3 queries
        assert sum(calls) <= 200 and len(calls) <= 3, calls
        html = response.body.decode()
        found = re.search(r'href="[^"]*/dashboard/reviews\?([^"]+)" rel="next"', html)
        if not found:
            break
        assert "Searched 200 reviews (at most 200 a page); more below." in html
        text = found.group(1).replace("&amp;", "&")
    # And every match was found exactly once
    assert len(seen) == len(set(seen)) == 13


def test_an_unfiltered_page_is_one_query_of_a_page(api, table, monkeypatch):
    owner = Console(api)
    table.put_many(_bulk_items(owner.shop_id, 60))
    calls = _review_reads(table, monkeypatch)
    for query in ({}, {"status": "pending"}, {"status": "published", "product": "p-mug"}):
        calls.clear()
        assert len(owner.listed(owner.page(query))) == 25
        assert calls == [25], (query, calls)


@pytest.mark.parametrize("how", ["tampered", "other_filters", "other_shop", "garbage"])
def test_a_cursor_that_is_not_this_listings_is_refused_on_the_page(console, api, monkeypatch, how):
    from chalicelib.console.reviews import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    html = console.page({"status": "pending"}).body.decode()
    cursor = parse_qs(re.search(r'reviews\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&"))["cursor"][0]
    query = {"status": "pending", "cursor": cursor}
    if how == "tampered":
        payload, mac = cursor.split(".")
        raw = signing._unb64(payload).replace(b"PENDING", b"PENDINH")
        query["cursor"] = signing._b64(raw) + "." + mac
    elif how == "other_filters":
        query["rating"] = "1"
    elif how == "other_shop":
        other = Console(api)
        response = other.page(query)
        assert response.status_code == 400 and "Start from the first page" in response.body.decode()
        return
    else:
        query["cursor"] = "not-a-cursor"
    response = console.page(query)
    assert response.status_code == 400, response.body[:300]
    page = response.body.decode()
    assert 'id="cursor-error"' in page and "Start from the first page" in page
    assert console.listed(response, 400) == []


# --- bulk moderation ----------------------------------------------------------------------------------------
def _outbound_events(table: Any, shop_id: str) -> list[dict[str, Any]]:
    items = table.client.scan(TableName=table.name)["Items"]
    return [
        i
        for i in items
        if i["PK"]["S"] == keys.shop_partition(shop_id) and i.get("type", {}).get("S") == "outbound_event"
    ]


@pytest.fixture
def receiver():
    from tests.receiver import Receiver

    server = Receiver()
    yield server
    server.close()


def test_bulk_publish_publishes_each_once_and_reports_every_review(api, table, receiver):
    # Given a shop whose owner takes review.published events, with pending, published and foreign reviews
    console = Console(api)
    hooked = api.request(
        "PUT",
        f"/shops/{console.shop_id}/webhook-endpoint",
        {"url": receiver.url, "events": ["review.published"]},
        token=console.key,
    )
    assert hooked.status_code == 200, hooked.body
    for spec in WORLD:
        console.submit(spec)
    other = Console(api)
    foreign = other.submit(WORLD[1])
    events_before = len(_outbound_events(table, console.shop_id))
    mug_before = console.stats("p-mug")
    assert int(mug_before["review_count"]) == 2  # a and g

    # When the owner filters pending low ratings, ticks them with one already published, a foreign and a made-up id
    listed = console.listed(console.page({"status": "pending", "rating": "1-2"}))
    assert console.keys_of(listed) == set("bcf")
    ids = [*listed, console.ids["a"], foreign, "rv_made_up", listed[0]]
    response = console.post(
        "reviews-bulk",
        [("action", "publish"), ("back", "reviews?status=pending&rating=1-2"), *(("ids", i) for i in ids)],
    )

    # Then it goes back to the same filters with what became of each review
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    given = parse_qs(location.query)
    assert (
        location.path.endswith("/dashboard/reviews") and given["status"] == ["pending"] and given["rating"] == ["1-2"]
    )
    page = console.follow(response)
    html = page.body.decode()
    assert "Publish: 3 published, 1 already published, 2 not found." in html
    assert f"<code>{console.ids['a']}</code>: already published" in html
    assert f"<code>{foreign}</code>: not found" in html and "<code>rv_made_up</code>: not found" in html
    assert console.listed(page) == []  # nothing pending and low is left
    # And each review was published once, through the single action's code: counters, events, the index
    assert {console.review(k)["status"] for k in "bcf"} == {"published"}
    mug, cap, pack = console.stats("p-mug"), console.stats("p-cap"), console.stats("p-pack")
    assert (int(mug["review_count"]), int(mug["rating_sum"]), int(mug["rating_1"])) == (3, 11, 1)
    assert (int(cap["review_count"]), int(cap["rating_2"])) == (2, 1)
    assert (int(pack["review_count"]), int(pack["rating_2"])) == (1, 1)
    assert len(_outbound_events(table, console.shop_id)) == events_before + 3
    public = api.request("GET", f"/shops/{console.shop_id}/products/p-mug/reviews").json
    assert {r["review_id"] for r in public["reviews"]} == {console.ids[k] for k in "abg"}
    assert other.review("b")["status"] == "pending"  # the other shop's review was not touched

    # When the same bulk action comes again (a double submit), nothing moves
    again = console.post("reviews-bulk", [("action", "publish"), *(("ids", i) for i in listed)])
    assert "Publish: 0 published, 3 already published." in console.follow(again).body.decode()
    assert int(console.stats("p-mug")["review_count"]) == 3
    assert len(_outbound_events(table, console.shop_id)) == events_before + 3


def test_bulk_reject_withdraws_published_reviews_once_and_tells_the_feed(console, table):
    # Given a published review (a), a pending one (b) and one rejected already (c)
    from chalicelib.reviews import owner

    owner.reject(table, console.shop_id, console.ids["c"])
    ids = [console.ids["a"], console.ids["b"], console.ids["c"]]
    response = console.post("reviews-bulk", [("action", "reject"), ("back", "reviews"), *(("ids", i) for i in ids)])
    html = console.follow(response).body.decode()
    assert "Reject: 2 rejected, 1 already rejected." in html
    assert {console.review(k)["status"] for k in "abc"} == {"rejected"}
    mug = console.stats("p-mug")  # a withdrawn from the product's aggregate; g stays
    assert (int(mug["review_count"]), int(mug["rating_sum"]), int(mug["rating_5"])) == (1, 5, 1)
    assert int(console.stats("p-cap")["review_count"]) == 1  # c was never published: d only
    assert table.get(keys.feed_gone_key(console.shop_id, console.ids["a"])) is not None
    assert table.get(keys.feed_gone_key(console.shop_id, console.ids["b"])) is None  # never in the feed
    # And publishing a again takes it back out of the feed's deleted list, counted once more
    back = console.post("reviews-bulk", [("action", "publish"), ("ids", console.ids["a"])])
    assert "1 published" in console.follow(back).body.decode()
    assert int(console.stats("p-mug")["review_count"]) == 2
    assert table.get(keys.feed_gone_key(console.shop_id, console.ids["a"])) is None


def test_a_review_that_changed_meanwhile_is_refused_with_its_reason_and_the_rest_go_on(console, monkeypatch):
    from chalicelib import errors
    from chalicelib.reviews import owner

    real = owner.publish

    def racing(table, shop, rid):
        if rid == console.ids["b"]:
            raise errors.Conflict("the review changed meanwhile; reload it", code="edit_conflict")
        return real(table, shop, rid)

    monkeypatch.setattr(owner, "publish", racing)
    response = console.post(
        "reviews-bulk", [("action", "publish"), ("ids", console.ids["b"]), ("ids", console.ids["c"])]
    )
    html = console.follow(response).body.decode()
    assert "Publish: 1 published, 1 refused." in html
    assert f"<code>{console.ids['b']}</code>: refused: it changed meanwhile" in html
    assert console.review("b")["status"] == "pending" and console.review("c")["status"] == "published"


def test_a_bulk_action_over_the_bound_is_refused_and_changes_nothing(console):
    ids = [console.ids["b"]] + [f"rv_{n:04d}" for n in range(100)]
    response = console.post("reviews-bulk", [("action", "publish"), *(("ids", i) for i in ids)])
    assert response.status_code == 422 and "at most 100 reviews at once; 101 were sent" in response.body.decode()
    assert console.review("b")["status"] == "pending"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([("action", "publish")], "tick at least one review"),
        ([("action", "delete"), ("ids", "rv_x")], "action"),
        ([("ids", "rv_x")], "action"),
        ([("action", "publish"), ("ids", "../../etc")], "ids"),
    ],
)
def test_a_bad_bulk_form_is_the_page_again_with_the_error(console, fields, message):
    response = console.post("reviews-bulk", [("back", "reviews?status=pending"), *fields])
    html = response.body.decode()
    assert response.status_code == 422, html[:300]
    error = re.search(r'<p class="error" role="alert" id="bulk-error">([^<]*)</p>', html).group(1)
    assert "Nothing was changed" in error and message in error
    assert console.keys_of(console.listed(response, 422)) == set("bcef")  # the page the form was on, filters kept


def test_a_stale_csrf_token_is_refused_and_changes_nothing(console):
    fields = [("action", "publish"), ("ids", console.ids["b"])]
    for csrf in (csrf_token("old" + console.session), "", "0" * 64):
        assert console.post("reviews-bulk", fields, csrf=csrf).status_code == 403
    assert console.review("b")["status"] == "pending"


def test_another_shops_session_is_refused(console, api):
    other = Console(api)
    page = console.page({}, cookie=other.cookie)
    assert 'name="api_key"' in page.body.decode() and console.ids["a"] not in page.body.decode()
    body = urlencode({"csrf": csrf_token(other.session), "action": "reject", "ids": console.ids["a"]}).encode()
    posted = api.request(
        "POST", f"/shops/{console.shop_id}/dashboard/forms/reviews-bulk", raw=body, headers={**FORM, **other.cookie}
    )
    assert posted.status_code == 401
    # Its own console names the review, but cannot reach it: not found, nothing changed
    theirs = other.post("reviews-bulk", [("action", "reject"), ("ids", console.ids["a"])])
    assert "1 not found" in other.follow(theirs).body.decode()
    assert console.review("a")["status"] == "published"


def test_a_changed_bulk_result_is_not_believed(console):
    forged = signing._b64(json.dumps({"a": "publish", "d": ["rv_x"], "k": [], "m": [], "r": []}).encode()) + ".AAAA"
    response = console.page({"bulk": forged})
    html = response.body.decode()
    assert response.status_code == 200 and "rv_x" not in html and "could not be read" in html


# --- single actions: back where the form came from -----------------------------------------------------------
def test_a_single_action_goes_back_to_the_filtered_page_rebuilt_from_its_values(console):
    back = "reviews?q=zip&junk=1&status=pending&from=2026-11-01"
    response = console.post(f"reviews/{console.ids['f']}/publish", {"back": back})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "127.0.0.1:8000" and location.path == f"/shops/{console.shop_id}/dashboard/reviews"
    assert location.query == "status=pending&q=zip&from=2026-11-01&done=publish"
    html = console.follow(response).body.decode()
    assert "Review published." in html
    assert console.review("f")["status"] == "published"


@pytest.mark.parametrize(
    "back",
    ["https://evil.example/steal", "//evil.example", "settings", "reviews?status=nope", "overview?from=soon"],
)
def test_a_way_back_that_is_not_a_console_page_is_refused(console, back):
    response = console.post(f"reviews/{console.ids['b']}/publish", {"back": back})
    assert response.status_code == 422, response.body[:300]
    assert "evil" not in response.headers.get("Location", "")
    assert console.review("b")["status"] == "pending"


def test_the_overview_queue_still_goes_back_to_the_overview(console):
    response = console.post(f"reviews/{console.ids['b']}/reject", {"back": "overview?from=2026-11-01&to=2026-11-30"})
    assert response.headers["Location"].endswith("/dashboard?from=2026-11-01&to=2026-11-30")
    plain = console.post(f"reviews/{console.ids['c']}/reject", {})
    assert plain.headers["Location"].endswith(f"/shops/{console.shop_id}/dashboard")
    html = console.api.request("GET", f"/shops/{console.shop_id}/dashboard", headers={**HTML, **console.cookie})
    assert 'name="back" value="overview"' in html.body.decode()


def test_a_reply_goes_back_to_the_page_and_shows_with_the_review(console, api):
    response = console.post(f"reviews/{console.ids['a']}/reply", {"body": "  Thank you, Ana!  ", "back": "reviews"})
    assert response.headers["Location"].endswith("/dashboard/reviews?done=reply")
    assert console.review("a")["reply"]["body"] == "Thank you, Ana!"
    html = console.follow(response).body.decode()
    assert "Reply saved" in html and "Thank you, Ana!" in html and "Replace the public reply" in html
    public = api.request("GET", f"/shops/{console.shop_id}/products/p-mug/reviews").json
    assert (
        next(r for r in public["reviews"] if r["review_id"] == console.ids["a"])["reply"]["body"] == "Thank you, Ana!"
    )


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_a_bad_reply_is_the_page_again_with_the_error_beside_it(console, body):
    rid = console.ids["b"]
    response = console.post(f"reviews/{rid}/reply", {"body": body, "back": "reviews?status=pending"})
    html = response.body.decode()
    assert response.status_code == 422, html[:300]
    assert f'<p class="field-error" id="reply-{rid}-error">a reply is 1 to 2000 characters</p>' in html
    assert f'aria-describedby="reply-{rid}-error"' in html
    assert console.keys_of(console.listed(response, 422)) == set("bcef")  # the filtered page it came from
    if body.strip():
        assert body in html  # what was typed is kept
    assert "reply" not in console.review("b")


def test_a_bad_reply_on_the_overview_is_the_overview_again_with_the_error(console):
    rid = console.ids["b"]
    response = console.post(f"reviews/{rid}/reply", {"body": "", "back": "overview"})
    html = response.body.decode()
    assert response.status_code == 422 and "Waiting for you" in html
    assert f'id="reply-{rid}-error">a reply is 1 to 2000 characters</p>' in html


# --- the domain functions ------------------------------------------------------------------------------------
def test_bulk_moderate_reports_each_outcome_and_a_signed_result(console, table):
    from chalicelib.console.reviews.actions import BulkResult, bulk_moderate
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, console.shop_id)
    result = bulk_moderate(table, shop, "publish", [console.ids["b"], console.ids["a"], "rv_nobody", console.ids["b"]])
    assert (result.done, result.already, result.missing, result.refused) == (
        [console.ids["b"]],
        [console.ids["a"]],
        ["rv_nobody"],
        [],
    )
    assert BulkResult.from_token(result.token()) == result
    assert result.summary() == "1 published, 1 already published, 1 not found."


def test_a_bulk_result_names_a_bounded_number_of_unknown_ids(console, table):
    from chalicelib.console.reviews.actions import MISSING_NAMED, BulkResult, bulk_moderate
    from chalicelib.store.shop_records import get_shop

    made_up = [f"rv_{'x' * 60}{n:03d}" for n in range(99)]
    result = bulk_moderate(table, get_shop(table, console.shop_id), "reject", [console.ids["a"], *made_up])
    token = result.token()
    assert len(token) < 4000
    read = BulkResult.from_token(token)
    assert (len(read.missing), read.missing_unnamed, read.done) == (MISSING_NAMED, 99 - MISSING_NAMED, result.done)
    assert read.summary() == "1 rejected, 99 not found."


def test_way_back_rebuilds_the_query_from_parsed_values(console, table):
    from chalicelib import errors
    from chalicelib.console.reviews.actions import way_back
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, console.shop_id)
    assert way_back(shop, "").query() == ""
    assert way_back(shop, "overview?to=2026-11-30&x=1").query() == "?to=2026-11-30"
    where = way_back(shop, "reviews?rating=1-2&status=any&q=%3Cscript%3E")
    assert (where.section, where.query(done="reply")) == ("reviews", "?rating=1-2&q=%3Cscript%3E&done=reply")
    with pytest.raises(errors.ValidationFailed):
        way_back(shop, "customers")
    with pytest.raises(errors.BadRequest):
        way_back(shop, "reviews?cursor=forged.cursor")


def test_the_filters_model_reads_a_form_and_writes_one_canonical_query():
    from chalicelib.console.reviews.models import ReviewFilters

    filters = ReviewFilters.model_validate(
        {"to": " 2026-11-30 ", "status": "", "rating": "2-4", "q": " Zip ", "from": "2026-11-01", "other": "x"}
    )
    assert filters.status == "any" and filters.stars == (2, 4) and filters.q == "Zip"
    assert filters.query() == "rating=2-4&q=Zip&from=2026-11-01&to=2026-11-30"


def test_the_product_choices_are_the_shops_products_by_title(console, table):
    from chalicelib.console.reviews.listing import product_choices

    for product_id, title in (("p-b", "Bottle"), ("p-a", "Axe")):
        table.put(
            {
                **keys.product_key(console.shop_id, product_id),
                "type": "product",
                "product_id": product_id,
                "title": title,
            }
        )
    assert product_choices(table, console.shop_id) == [("p-a", "Axe"), ("p-b", "Bottle")]
    html = console.page().body.decode()
    assert '<option value="p-a">Axe</option>' in html and 'list="product-choices"' in html


def test_times_are_shown_in_the_shops_zone():
    from chalicelib.console.reviews.listing import local_time

    assert local_time("2026-11-10T03:00:00Z", TIMEZONE) == "2026-11-09 22:00"
    assert local_time(None, TIMEZONE) == ""
