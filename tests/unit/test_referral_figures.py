"""The give-get program's figures through HTTP (issue 26, part 8): friends' claims, rewards issued, the value of
rewards issued by currency and the referred revenue per unit of reward value, the same exact numbers in the JSON
report, its CSV, the console's overview and the referral section; null where no reward value was issued in a
currency, each currency on its own, and an empty object for a period without events."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import urlencode

from tests.unit.sharing_support import Advocate
from tests.unit.test_console_overview import cookie_of, sign_in
from tests.unit.test_friend_claims import claim, fill, run_due
from tests.unit.test_rewards import HOLD_DAYS, friend_order, fulfil, later, start

HTML = {"Accept": "text/html"}
DASH = "\N{EN DASH}"  # what a page shows for a figure it has not got
FIGURES = ("friend_claims", "rewards_issued", "reward_value", "referred_revenue_per_reward_value")


def report(adv: Advocate, query: str = "") -> dict[str, Any]:
    answer = adv.shop.owner("GET", "/report" + query)
    assert answer.status_code == 200, answer.body
    return dict(answer.json)


def csv_totals(adv: Advocate, query: str = "") -> dict[str, str]:
    """The CSV report's totals row by column."""
    answer = adv.shop.owner("GET", "/report.csv" + query)
    assert answer.status_code == 200, answer.body
    rows = list(csv.reader(io.StringIO(answer.body.decode())))
    assert rows[-1][0] == "total"
    return dict(zip(rows[0], rows[-1], strict=True))


def page(adv: Advocate, section: str = "overview", query: str = "") -> str:
    cookie = cookie_of(sign_in(adv))
    answer = adv.api.request(
        "GET", f"/shops/{adv.shop.shop_id}/dashboard/{section}{query}", headers={**HTML, "Cookie": cookie}
    )
    assert answer.status_code == 200, answer.body
    return str(answer.body.decode())


def shown(html: str) -> dict[str, str] | None:
    """The program's figures as a console page shows them, the text of each (tags dropped), or None without them."""
    found = {}
    for name in FIGURES:
        match = re.search(rf'<dd data-figure="{name}">(.*?)</dd>', html, re.S)
        if match is None:
            return None
        found[name] = re.sub(r"<[^>]+>", "", match.group(1))
    return found


def claimed(adv: Advocate, address: str = "friend@example.com") -> None:
    fill(adv, "FRIEND-ONE")
    answer = claim(adv, address)
    assert answer.status_code == 200 and answer.json["status"] == "ready", answer.body


def issued(adv: Advocate, *orders: tuple[str, str, str, str]) -> None:
    """Each (order, customer, total, currency) a referred order, fulfilled; then the hold passes and the due work
    issues their rewards."""
    for order_id, customer, total, currency in orders:
        friend_order(adv, order_id, customer, total=total, currency=currency)
        fulfil(adv, order_id, customer, total=total, currency=currency)


def test_json_csv_overview_and_section_show_the_same_numbers(api, outbox):
    adv = start(Advocate(api, outbox))  # 10% of the friend's order for the advocate, after a 14-day hold
    claimed(adv)
    issued(adv, ("f-1", "friend-1", "80.00", "USD"))
    with later(HOLD_DAYS, hours=1):
        run_due(adv)
        answer = report(adv)
        totals = csv_totals(adv)
        overview = shown(page(adv))
        section = shown(page(adv, "referral"))
    funnel = answer["funnel"]
    assert funnel["friend_claims"] == 1 and funnel["rewards_issued"] == 1
    assert funnel["reward_value"] == {"USD": 8} and funnel["referred_revenue"] == {"USD": 80}
    assert answer["rates"]["referred_revenue_per_reward_value"] == {"USD": 10.0}
    assert totals["friend_claims"] == "1" and totals["rewards_issued"] == "1"
    assert totals["reward_value_USD"] == "8" and totals["referred_revenue_USD"] == "80"
    assert totals["referred_revenue_per_reward_value_USD"] == "10.0"
    expected = {
        "friend_claims": "1",
        "rewards_issued": "1",
        "reward_value": "8 USD",
        "referred_revenue_per_reward_value": "10.0 USD",
    }
    assert overview == expected and section == expected


def test_the_overview_card_links_to_the_referral_section(api, outbox):
    adv = start(Advocate(api, outbox))
    html = page(adv)
    card = html[html.index('id="program-title">Referral program<') :]
    card = card[: card.index("</section>")]
    assert re.search(rf'<a href="[^"]*/shops/{adv.shop.shop_id}/dashboard/referral">', card)


def test_no_reward_value_in_a_currency_is_null_never_a_division_by_zero(api, outbox):
    adv = start(Advocate(api, outbox), advocate_reward={"type": "none"})  # events only: no reward value at all
    friend_order(adv, "f-1", "friend-1", total="80.00")
    answer = report(adv)
    assert answer["funnel"]["referred_revenue"] == {"USD": 80} and answer["funnel"]["reward_value"] == {}
    assert answer["rates"]["referred_revenue_per_reward_value"] == {"USD": None}
    totals = csv_totals(adv)
    assert totals["referred_revenue_USD"] == "80" and totals["referred_revenue_per_reward_value_USD"] == ""
    overview = shown(page(adv))  # the program is on: the card is shown, even with no figures of its own
    assert overview == {
        "friend_claims": "0",
        "rewards_issued": "0",
        "reward_value": "0",
        "referred_revenue_per_reward_value": f"{DASH} USD (no reward value issued)",
    }


def test_each_currency_is_its_own_ratio(api, outbox):
    adv = start(Advocate(api, outbox))
    # Issued: 8 USD for 80 USD and 5 EUR for 50 EUR; a later USD order of 40 is referred, its reward still pending.
    issued(adv, ("f-1", "friend-1", "80.00", "USD"), ("f-2", "friend-2", "50.00", "EUR"))
    with later(HOLD_DAYS, hours=1):
        run_due(adv)
        friend_order(adv, "f-3", "friend-3", total="40.00")
        answer = report(adv)
        totals = csv_totals(adv)
        overview = shown(page(adv))
    assert answer["funnel"]["reward_value"] == {"EUR": 5, "USD": 8}
    assert answer["funnel"]["referred_revenue"] == {"EUR": 50, "USD": 120}
    assert answer["rates"]["referred_revenue_per_reward_value"] == {"EUR": 10.0, "USD": 15.0}
    assert answer["funnel"]["rewards_issued"] == 2
    assert totals["referred_revenue_per_reward_value_EUR"] == "10.0"
    assert totals["referred_revenue_per_reward_value_USD"] == "15.0"
    assert totals["reward_value_EUR"] == "5" and totals["reward_value_USD"] == "8"
    assert overview is not None
    assert overview["reward_value"] == "5 EUR, 8 USD"
    assert overview["referred_revenue_per_reward_value"] == "10.0 EUR, 15.0 USD"


def test_a_period_without_events_has_no_ratio_and_no_card_without_the_program(api, outbox):
    adv = Advocate(api, outbox)  # the program off, and nothing of it in the period
    quiet = "?" + urlencode({"from": "2020-01-01", "to": "2020-01-31"})
    answer = report(adv, quiet)
    assert answer["rates"]["referred_revenue_per_reward_value"] == {}
    assert answer["funnel"]["friend_claims"] == 0 and answer["funnel"]["rewards_issued"] == 0
    totals = csv_totals(adv, quiet)
    assert totals["friend_claims"] == "0" and totals["rewards_issued"] == "0"
    assert not any(column.startswith("referred_revenue_per_reward_value_") for column in totals)
    html = page(adv, query=quiet)
    assert shown(html) is None and 'id="program-title"' not in html


def test_with_the_program_on_a_quiet_period_shows_the_card_with_nothing_in_it(api, outbox):
    adv = start(Advocate(api, outbox))
    quiet = "?" + urlencode({"from": "2020-01-01", "to": "2020-01-31"})
    assert shown(page(adv, query=quiet)) == {
        "friend_claims": "0",
        "rewards_issued": "0",
        "reward_value": "0",
        "referred_revenue_per_reward_value": DASH,
    }
