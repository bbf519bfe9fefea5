"""Link-preview impressions: counted once per crawler, code and day, capped per code, never an error page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.store import keys
from tests.unit.sharing_support import CHROME, Advocate
from tests.unit.webhook_support import totals

FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


@pytest.fixture
def adv(api, outbox):
    return Advocate(api, outbox)


def code_previews(table, code: str) -> int:
    counted = 0
    for shard in range(keys.CODE_SHARDS):
        items, _ = table.query(keys.code_stat_partition(code, shard), limit=100)
        counted += sum(int(item.get("previews", 0)) for item in items)
    return counted


def shop_previews(table, adv) -> int:
    return int(totals(table, adv.shop.shop_id).get("previews", 0))


def served_a_preview(response) -> bool:
    return response.status_code == 200 and 'property="og:title"' in response.body.decode()


def today(table, adv) -> str:
    from chalicelib.clock import local_day
    from chalicelib.store.shop_records import Shop

    shop = Shop.from_item(table.get(keys.shop_key(adv.shop.shop_id)))
    return local_day(datetime.now(timezone.utc), shop.timezone)


def fill_code_shards(table, code: str, day: str, previews: int) -> None:
    for shard in range(keys.CODE_SHARDS):
        table.put({**keys.code_stat_key(code, shard, day), "previews": previews})


def test_a_crawler_fetching_a_link_again_and_again_counts_one_impression(adv, table):
    # Given a crawler that fetches the same link many times today
    responses = [adv.click(ua=FACEBOOK, ip="31.13.66.1") for _ in range(5)]
    # Then every fetch gets its page, and one impression is counted, for the code and for the shop
    assert all(served_a_preview(r) for r in responses)
    assert code_previews(table, adv.code) == 1 and shop_previews(table, adv) == 1


def test_each_crawler_counts_once_and_takes_no_visitor_allowance(adv, table):
    from chalicelib.sharing.visitors import visitor_id

    adv.click(ua=FACEBOOK, ip="31.13.66.1")
    adv.click(ua=SLACK, ip="31.13.66.1")
    adv.click(ua=FACEBOOK, ip="31.13.66.2")
    adv.click(ua=FACEBOOK, ip="31.13.66.2")
    assert code_previews(table, adv.code) == 3 and shop_previews(table, adv) == 3
    # A crawler's fetches are impressions, not visits: no daily allowance is used up (a browser's is).
    day = today(table, adv)
    assert table.get(keys.visit_key(visitor_id("31.13.66.1", FACEBOOK), day)) is None
    adv.click(ua=CHROME, ip="31.13.66.1")
    assert table.get(keys.visit_key(visitor_id("31.13.66.1", CHROME), day))["n"] == 1


def test_the_same_crawler_counts_again_the_next_day(adv, table, monkeypatch):
    from chalicelib.sharing import counting

    adv.click(ua=FACEBOOK, ip="31.13.66.1")
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    monkeypatch.setattr(counting, "_now", lambda: tomorrow)
    adv.click(ua=FACEBOOK, ip="31.13.66.1")
    assert code_previews(table, adv.code) == 2


def test_previews_of_a_code_stop_counting_at_its_daily_cap(adv, table):
    from chalicelib.sharing.counting import CODE_DAILY_CAP

    # Given a code whose previews reached today's cap on every shard
    fill_code_shards(table, adv.code, today(table, adv), CODE_DAILY_CAP // keys.CODE_SHARDS)
    # When a new crawler fetches it
    response = adv.click(ua=FACEBOOK, ip="31.13.66.9")
    # Then it still gets its page, and nothing is counted anywhere
    assert served_a_preview(response)
    assert code_previews(table, adv.code) == CODE_DAILY_CAP and shop_previews(table, adv) == 0


def test_a_preview_refused_at_the_cap_leaves_nothing_behind(adv, table):
    from chalicelib.sharing.counting import CODE_DAILY_CAP

    # Given a preview refused because the code was at its cap
    day = today(table, adv)
    fill_code_shards(table, adv.code, day, CODE_DAILY_CAP // keys.CODE_SHARDS)
    adv.click(ua=FACEBOOK, ip="31.13.66.9")
    # When the cap no longer holds (the counters were one transaction with the marker)
    fill_code_shards(table, adv.code, day, 0)
    adv.click(ua=FACEBOOK, ip="31.13.66.9")
    # Then the same crawler's fetch counts: no marker was left by the refused one
    assert code_previews(table, adv.code) == 1 and shop_previews(table, adv) == 1


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "AccessDeniedException"])
def test_a_database_failure_while_counting_still_serves_the_preview(adv, table, monkeypatch, code):
    from botocore.exceptions import ClientError

    # Given a database that refuses every write (busy, or a misconfigured permission)
    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "write")

    with monkeypatch.context() as failing:
        for method in ("transact_write_items", "update_item", "put_item"):
            failing.setattr(table.client, method, refuse)
        # When a crawler fetches the link, Then it gets its page all the same, uncounted
        assert served_a_preview(adv.click(ua=FACEBOOK, ip="31.13.66.1"))
    assert code_previews(table, adv.code) == 0 and shop_previews(table, adv) == 0


def test_a_crawler_head_request_is_not_counted(adv, table):
    response = adv.click(ua=FACEBOOK, ip="31.13.66.1", method="HEAD")
    assert response.status_code == 200
    assert code_previews(table, adv.code) == 0 and shop_previews(table, adv) == 0
