"""Experiments on the share prompt's words through HTTP. The unit is a happy reviewer (the customer) shown the
prompt on the page after their review: their variant (the keyed hash of the experiment and the customer) is the
same on a reload and on their next review, shown escaped, counted once; their first share converts them, once, to
that variant, in the share's own transaction; promote sets settings.share_prompt through the settings' code.

Each variant's counts are read as they came (`so_far`) right after the events, and as the statistic reads them
(`units`, `conversions`) once the due work has closed the units' windows (`windows_closed`): a reviewer counts there
once, converted if their first share came within the week after they were shown the prompt."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine

from chalicelib import clock
from chalicelib.experiments.assignment import variant_for
from chalicelib.reviews.tokens import review_token
from chalicelib.store.table import get_client, get_table
from tests.unit.experiment_support import outcomes_arrived, windows_closed
from tests.unit.review_support import ITEMS, ReviewShop
from tests.unit.sharing_support import SAFARI
from tests.unit.webhook_support import calls

OURS = "Share your review with friends"
SCRIPTED = '<script>alert("x")</script> Tell a friend?'
CUSTOMERS = [f"c-{n}" for n in range(16)]


def begin(shop: ReviewShop, b: str = SCRIPTED, language: str = "en", a: str = "") -> str:
    answer = shop.owner(
        "POST",
        "/experiments",
        {
            "name": "Prompt test",
            "lever": "share_prompt",
            "language": language,
            "variants": [{"key": "a", "value": a}, {"key": "b", "value": b}],
        },
    )
    assert answer.status_code == 201, answer.body
    shop.owner("GET", "")  # the shop as read lately is the one with its experiment
    return str(answer.json["experiment_id"])


def customer_with(experiment_id: str, wanted: str, skip: tuple[str, ...] = ()) -> str:
    return next(c for c in CUSTOMERS if c not in skip and variant_for(experiment_id, c, ("a", "b")) == wanted)


def reviewed(shop: ReviewShop, customer: str, product_id: str = "p-mug", rating: int = 5) -> tuple[int, str]:
    """The review form sent (as the buyer's browser does): the answer's status and page."""
    order_id = f"o-{customer}"
    raw = urlencode(
        {
            "token": review_token(shop.shop_id, order_id, [i["product_id"] for i in ITEMS]),
            "product_id": product_id,
            "rating": str(rating),
            "title": "",
            "body": "Keeps coffee hot on the trail.",
        }
    ).encode()
    answer = shop.api.request(
        "POST", "/reviews", raw=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code in (200, 201), answer.body
    return answer.status_code, answer.body.decode()


def heading(page: str) -> str:
    found = re.search(r'<h2 id="share-title">(.*?)</h2>', page, re.S)
    assert found, page
    return found.group(1)


def code_of(page: str) -> str:
    found = re.search(r"/s/(pl-[A-Za-z0-9]+)", page)
    assert found, page
    return found.group(1)


def share(shop: ReviewShop, code: str, channel: str) -> None:
    answer = shop.api.request(
        "GET", f"/share/{code}/{channel}", headers={"User-Agent": SAFARI, "X-Forwarded-For": "203.0.113.9"}
    )
    assert answer.status_code in (200, 302), answer.body


def _variants(shop: ReviewShop, experiment_id: str) -> list[dict[str, Any]]:
    answer = shop.owner("GET", f"/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.body
    assert answer.json["metric"] == "share_rate"
    return list(answer.json["variants"])


def counted(shop: ReviewShop, experiment_id: str) -> dict[str, tuple[int, int]]:
    """Per variant, of the units whose window closed: (units, conversions)."""
    return {v["key"]: (v["units"], v["conversions"]) for v in _variants(shop, experiment_id)}


def so_far(shop: ReviewShop, experiment_id: str) -> dict[str, tuple[int, int]]:
    """Per variant, as counted when they came: (units, conversions)."""
    return {v["key"]: (v["so_far"]["units"], v["so_far"]["conversions"]) for v in _variants(shop, experiment_id)}


NONE = {"a": (0, 0), "b": (0, 0)}


@pytest.fixture
def shop(api, outbox) -> ReviewShop:
    made = ReviewShop(api, outbox)
    for customer in CUSTOMERS:
        made.fulfilled_order(f"o-{customer}", customer)
    return made


def test_the_variant_is_stable_shown_escaped_and_its_reviewer_counted_once(shop):
    experiment = begin(shop)
    b, a = customer_with(experiment, "b"), customer_with(experiment, "a")
    status, page = reviewed(shop, b)
    assert status == 201
    # The owner's words are text, never markup.
    assert unescape(heading(page)) == SCRIPTED and "<script>alert" not in page
    # A reload (the same form again) and the customer's next happy review show the same words.
    again_status, again = reviewed(shop, b)
    assert again_status == 200 and heading(again) == heading(page)
    assert heading(reviewed(shop, b, "p-cap")[1]) == heading(page)
    assert heading(reviewed(shop, a)[1]) == OURS  # the control: our own words
    assert so_far(shop, experiment) == {"a": (1, 0), "b": (1, 0)}
    assert counted(shop, experiment) == NONE  # no window has closed yet
    # An unhappy reviewer is shown no prompt, and is no unit.
    unhappy = customer_with(experiment, "b", skip=(b,))
    assert 'id="share-title"' not in reviewed(shop, unhappy, rating=2)[1]
    assert so_far(shop, experiment) == {"a": (1, 0), "b": (1, 0)}
    assert windows_closed(get_table()) == 2
    assert counted(shop, experiment) == {"a": (1, 0), "b": (1, 0)}


def test_a_first_share_is_credited_once_to_the_reviewers_variant(shop):
    experiment = begin(shop)
    b, a = customer_with(experiment, "b"), customer_with(experiment, "a")
    code_b, code_a = code_of(reviewed(shop, b)[1]), code_of(reviewed(shop, a)[1])
    for channel in ("x", "x", "whatsapp", "email"):  # the same share twice, then other channels
        share(shop, code_b, channel)
    assert so_far(shop, experiment) == {"a": (1, 0), "b": (1, 1)}
    share(shop, code_a, "facebook")
    share(shop, code_a, "facebook")
    assert so_far(shop, experiment) == {"a": (1, 1), "b": (1, 1)}
    assert counted(shop, experiment) == NONE  # the reviewers' week is not over
    found = shop.owner("GET", f"/experiments/{experiment}").json
    assert found["decision"] == "running" and found["sentence"].startswith("Too early to read")  # a week's shares
    outcomes_arrived(get_table(), shop.shop_id, experiment)
    found = shop.owner("GET", f"/experiments/{experiment}").json
    assert {v["key"]: (v["units"], v["conversions"], v["rate"]) for v in found["variants"]} == {
        "a": (1, 1, 1.0),
        "b": (1, 1, 1.0),
    }
    assert "Prompt B" in found["sentence"]


def test_a_reviewer_who_shared_before_is_shown_the_words_but_is_no_unit(shop):
    first = customer_with("none-yet", "a")  # any customer: they share before an experiment starts
    share(shop, code_of(reviewed(shop, first)[1]), "x")
    experiment = begin(shop)
    expected = OURS if variant_for(experiment, first, ("a", "b")) == "a" else SCRIPTED
    assert unescape(heading(reviewed(shop, first, "p-cap")[1])) == expected
    assert so_far(shop, experiment) == NONE
    assert windows_closed(get_table()) == 0  # no unit's item either
    assert counted(shop, experiment) == NONE


def test_promote_sets_the_setting_for_that_language_only(shop):
    experiment = begin(shop, b="Tell a friend & save them a search")
    shop.owner("PATCH", "", {"settings": {"share_prompt": {"fr": "Partagez votre avis"}}})
    promoted = shop.owner("POST", f"/experiments/{experiment}/promote", {"variant": "b"})
    assert promoted.status_code == 200, promoted.body
    assert promoted.json["status"] == "promoted"
    settings = shop.owner("GET", "").json["settings"]["share_prompt"]
    assert settings == {
        "en": "Tell a friend & save them a search",
        "es": "",
        "fr": "Partagez votre avis",
        "de": "",
        "pt": "",
    }
    # Every happy reviewer in English now sees the promoted words, escaped.
    page = reviewed(shop, customer_with(experiment, "a"))[1]
    assert heading(page) == "Tell a friend &amp; save them a search"


def test_one_running_experiment_per_language_and_bad_variants_are_422(shop):
    begin(shop)
    busy = shop.owner(
        "POST",
        "/experiments",
        {
            "name": "again",
            "lever": "share_prompt",
            "language": "en",
            "variants": [{"key": "a", "value": ""}, {"key": "c", "value": "Hi"}],
        },
    )
    assert busy.status_code == 409 and busy.json["error"]["code"] == "lever_busy"
    french = begin(shop, b="Partagez-le !", language="fr")
    assert french
    for change, code in [
        ({"language": None}, "language_required"),
        ({"variants": [{"key": "a", "value": ""}, {"key": "b", "value": "x" * 151}]}, "invalid_variant"),
        ({"variants": [{"key": "a", "value": ""}, {"key": "b", "value": "Two\nlines"}]}, "invalid_variant"),
        ({"variants": [{"key": "a", "value": "Mine"}, {"key": "b", "value": "Yours"}]}, "no_control"),
    ]:
        body = {"name": "bad", "lever": "share_prompt", "language": "de", **change}
        body.setdefault("variants", [{"key": "a", "value": ""}, {"key": "b", "value": "Teilen"}])
        answer = shop.owner("POST", "/experiments", body)
        assert answer.status_code == 422 and answer.json["error"]["code"] == code, (change, answer.body)


def test_the_share_makes_the_same_calls_with_a_prompt_experiment_running(shop):
    client = get_client()
    before = customer_with("none-yet", "a")
    code = code_of(reviewed(shop, before)[1])
    with calls(client) as without:
        share(shop, code, "x")
    experiment = begin(shop)
    unit = customer_with(experiment, "b", skip=(before,))
    code = code_of(reviewed(shop, unit)[1])
    with calls(client) as running:
        share(shop, code, "x")
    assert running == without  # the unit's mark rides in the share's own transaction
    assert so_far(shop, experiment) == {"a": (0, 0), "b": (1, 1)}
    assert windows_closed(get_table()) == 1
    assert counted(shop, experiment) == {"a": (0, 0), "b": (1, 1)}


def test_the_thanks_page_makes_the_same_calls_without_a_prompt_experiment_and_one_more_with_one(shop):
    client = get_client()
    with calls(client) as without:
        reviewed(shop, CUSTOMERS[0])
    begin(shop, language="fr")  # another language's experiment reads nothing here
    with calls(client) as other_language:
        reviewed(shop, CUSTOMERS[1])
    assert other_language == without
    begin(shop)
    with calls(client) as running:
        reviewed(shop, CUSTOMERS[2])
    assert running == [*without, "TransactWriteItems"]  # the unit's count, with its item
    assert windows_closed(get_table()) == 1


def test_a_busy_database_never_costs_the_reviewer_their_thanks_page(shop, monkeypatch):
    from chalicelib.store import keys
    from chalicelib.store.table import Table, TransactionConflict

    experiment = begin(shop)
    b = customer_with(experiment, "b")
    real = Table.transact
    seen = {"collisions": 0}

    def colliding(self: Table, operations: Any) -> None:
        operations = list(operations)
        if keys.EXPERIMENT_VARIANT_PREFIX in str(operations):
            seen["collisions"] += 1
            raise TransactionConflict("the database is busy; try again")
        real(self, operations)

    monkeypatch.setattr(Table, "transact", colliding)
    status, page = reviewed(shop, b)  # every draw of the unit's count collides
    assert seen["collisions"] == 5
    assert status in (200, 201) and "Tell a friend?" in unescape(heading(page))
    monkeypatch.setattr(Table, "transact", real)
    assert so_far(shop, experiment) == NONE
    assert windows_closed(get_table()) == 0  # nothing of the unit was written
    assert counted(shop, experiment) == NONE


def test_a_reviewer_in_two_languages_experiments_is_one_unit_of_each(shop):
    """An English and a French prompt experiment run together: a customer counted in the English one, then in the
    French one, is not counted in the English one again by a third happy review in English."""
    from chalicelib.store.experiments import count_prompt_unit

    english = begin(shop)
    french = begin(shop, b="Parlez-en à un ami", language="fr")
    b = customer_with(english, "b")
    reviewed(shop, b)  # counted in the English experiment
    french_variant = variant_for(french, b, ("a", "b"))
    now, closes = clock.iso(), clock.iso(clock.now() + timedelta(days=7))
    assert count_prompt_unit(get_table(), shop.shop_id, b, french, french_variant, now, closes)
    assert not count_prompt_unit(get_table(), shop.shop_id, b, english, "b", now, closes)
    assert not count_prompt_unit(get_table(), shop.shop_id, b, french, french_variant, now, closes)
    assert so_far(shop, english) == {"a": (0, 0), "b": (1, 0)}
    assert so_far(shop, french) == {**NONE, french_variant: (1, 0)}
    assert windows_closed(get_table()) == 2  # one unit of each: the refused counts put no item
    assert counted(shop, english) == {"a": (0, 0), "b": (1, 0)}
    assert counted(shop, french) == {**NONE, french_variant: (1, 0)}


def test_a_first_share_counts_as_a_closed_conversion_only_within_the_reviewers_week(shop):
    """The unit's window is the week after the prompt was shown: a first share an hour before it ends converts the
    reviewer, one an hour after counts so far only, whichever the variant."""
    experiment = begin(shop)
    a_early, b_early = customer_with(experiment, "a"), customer_with(experiment, "b")
    a_late = customer_with(experiment, "a", skip=(a_early,))
    b_late = customer_with(experiment, "b", skip=(b_early,))
    shown = clock.now()
    codes = {c: code_of(reviewed(shop, c)[1]) for c in (a_early, b_early, a_late, b_late)}
    assert so_far(shop, experiment) == {"a": (2, 0), "b": (2, 0)}
    with time_machine.travel(shown + timedelta(days=6, hours=23), tick=False):
        share(shop, codes[a_early], "x")
        share(shop, codes[b_early], "whatsapp")
    with time_machine.travel(shown + timedelta(days=7, hours=1), tick=False):
        share(shop, codes[a_late], "x")
        share(shop, codes[b_late], "email")
    assert so_far(shop, experiment) == {"a": (2, 2), "b": (2, 2)}
    assert windows_closed(get_table()) == 4
    assert counted(shop, experiment) == {"a": (2, 1), "b": (2, 1)}
    assert so_far(shop, experiment) == {"a": (2, 2), "b": (2, 2)}
