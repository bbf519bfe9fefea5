"""Reports read the counters kept as events arrive: exact counts, leaderboard, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from chalicelib.rollup import roll_up_clicks
from tests.unit.sharing_support import Advocate

TODAY = datetime.now(timezone.utc).strftime("%Y-%m-%d")
NOW = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def adv(api, outbox):
    adv = Advocate(api, outbox)
    adv.share("whatsapp")
    adv.click(query="?via=whatsapp")
    adv.click(ip="198.51.100.99", query="?via=whatsapp")
    landing = f"https://{adv.home}/?ref={adv.code}"
    adv.shop.deliver(
        "order.created", "f-1", "friend-1", landing_url=landing, created_at=NOW, timestamp=NOW, total="80.00"
    )
    return adv


def test_report_counts_the_whole_funnel(adv):
    response = adv.shop.owner("GET", "/report")
    assert response.status_code == 200, response.body
    report = response.json
    funnel = report["funnel"]
    assert (
        funnel["orders"],
        funnel["customers"],
        funnel["reviews"],
        funnel["reviewers"],
        funnel["promoters"],
        funnel["sharers"],
    ) == (2, 2, 1, 1, 1, 1)
    assert funnel["shares"] == {
        "total": 1,
        "by_channel": {**dict.fromkeys(funnel["shares"]["by_channel"], 0), "whatsapp": 1},
    }
    assert funnel["clicks"]["total"] == 2 and funnel["clicks"]["by_channel"]["whatsapp"] == 2
    assert (funnel["referred_orders"], funnel["referred_customers"], funnel["advocates"]) == (1, 1, 1)
    assert funnel["referred_revenue"] == {"USD": 80}
    assert report["rates"]["click_through"] == 2.0 and report["rates"]["referral_conversion"] == 0.5
    assert report["rates"]["review_rate"] is None  # no request was sent in this test
    assert report["series"][-1]["date"] == TODAY and report["series"][-1]["clicks"] == 2
    assert len(report["series"]) == 30
    assert report["score_model"]["half_life_days"] == 90


def test_leaderboard_ranks_by_score_with_stage(adv, table):
    roll_up_clicks(table)
    leaders = adv.shop.owner("GET", "/advocates").json["advocates"]
    top = leaders[0]
    assert top["customer"] == "c-1" and top["stage"] == "advocate"
    assert (top["reviews"], top["shares"], top["clicks"], top["referred_orders"]) == (1, 1, 2, 1)
    assert 0 < top["score"] < 100
    report = adv.shop.owner("GET", "/report").json
    assert report["top_advocates"][0]["customer"] == "c-1"


def test_click_rollup_raises_the_score_and_is_idempotent(adv, table):
    before = adv.shop.owner("GET", "/advocates").json["advocates"][0]["score"]
    roll_up_clicks(table)
    roll_up_clicks(table)
    after = adv.shop.owner("GET", "/advocates").json["advocates"][0]
    assert after["score"] > before and after["clicks"] == 2


def test_refund_lowers_the_advocates_score(adv, table):
    before = adv.shop.owner("GET", "/advocates").json["advocates"][0]["score"]
    adv.shop.deliver("order.refunded", "f-1", "friend-1", amount="80.00", total="80.00", created_at=NOW, timestamp=NOW)
    after = adv.shop.owner("GET", "/advocates").json["advocates"][0]
    assert after["score"] < before and after["stage"] != "advocate"
    assert adv.shop.owner("GET", "/report").json["funnel"]["advocates"] == 0


def test_csv_has_a_row_per_day_and_totals_matching_json(adv):
    response = adv.shop.owner("GET", f"/report.csv?from={TODAY}&to={TODAY}")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [r["date"] for r in rows] == [TODAY, "total"]
    assert rows[-1]["clicks"] == "2" and rows[-1]["referred_orders"] == "1" and rows[-1]["referred_revenue_USD"] == "80"


@pytest.mark.parametrize(
    "query", ["?from=2026-13-01", "?from=2026-11-10&to=2026-11-01", "?from=2020-01-01&to=2026-01-01", "?to=yesterday"]
)
def test_bad_periods_are_400(adv, query):
    response = adv.shop.owner("GET", f"/report{query}")
    assert response.status_code == 400


def test_another_shops_key_sees_nothing(adv, api):
    _, other = api.create_shop()
    for path in ("/report", "/report.csv", "/advocates"):
        assert api.request("GET", f"/shops/{adv.shop.shop_id}{path}", token=other).status_code == 403
