"""The console's experiments section in Debian's Chromium, checked by axe-core: a shop with one running subject
experiment whose requests went out (units) and some of whose buyers reviewed (conversions), none of their outcome
windows closed yet, and one promoted intro experiment; the list and the running experiment's result (no unit closed,
every one counted so far beside), on a desktop and a phone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token
from tests import signers
from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_console import DESKTOP, PHONE, sign_in
from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body

SUBJECT_B = "<b>How</b> is your new mug?"
ORDERS = 12


def _deliver(live: Any, shop: dict[str, Any], kind: str, order_id: str, customer: str) -> None:
    raw = json.dumps(signers.generic_event(kind, order_id, customer)).encode()
    headers = signers.standard_headers(shop["webhook_secret"], raw)
    answer = live.request("POST", f"/webhooks/generic/{shop['shop_id']}", data=raw, headers=headers)
    assert answer.status_code == 200, answer.text


def _owner(live: Any, shop: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    return live.request(method, f"/shops/{shop['shop_id']}{path}", body, token=shop["api_key"])


@pytest.fixture(scope="module")
def experimenting(live) -> dict[str, Any]:
    """A running subject experiment with its requests sent and a third of its buyers reviewed (counted so far: their
    outcome windows are still open), and a promoted intro experiment."""
    shop = shop_body()
    created = live.request("POST", "/shops", shop, token=ADMIN_TOKEN)
    assert created.status_code == 201, created.text
    shop["api_key"] = created.json()["api_key"]
    assert _owner(live, shop, "PATCH", "", {"settings": {"review_delay_days": 1}}).status_code == 200
    variants = [{"key": "a", "value": ""}, {"key": "b", "value": "Thanks for your order: a word on it?"}]
    intro = _owner(
        live,
        shop,
        "POST",
        "/experiments",
        {"name": "Intro", "lever": "request_intro", "language": "en", "variants": variants},
    )
    assert intro.status_code == 201, intro.text
    promoted = _owner(live, shop, "POST", f"/experiments/{intro.json()['experiment_id']}/promote", {"variant": "b"})
    assert promoted.status_code == 200, promoted.text
    subject = {
        "name": "Subject <test>",
        "lever": "request_subject",
        "language": "en",
        "variants": [{"key": "a", "value": ""}, {"key": "b", "value": SUBJECT_B}],
    }
    started = _owner(live, shop, "POST", "/experiments", subject)
    assert started.status_code == 201, started.text
    shop["experiment_id"] = started.json()["experiment_id"]
    for n in range(ORDERS):
        _deliver(live, shop, "order.created", f"o-{n}", f"c-{n}")
        _deliver(live, shop, "order.fulfilled", f"o-{n}", f"c-{n}")
    assert live.request("POST", "/admin/run-due", token=ADMIN_TOKEN).status_code == 200
    for n in range(0, ORDERS, 3):
        review = {
            "token": review_token(shop["shop_id"], f"o-{n}", ["p-100"]),
            "product_id": "p-100",
            "rating": 5,
            "title": "Good",
            "body": "Does the job well.",
        }
        assert live.request("POST", "/reviews", review).status_code == 201
    answer = _owner(live, shop, "GET", f"/experiments/{shop['experiment_id']}").json()
    assert sum(v["so_far"]["units"] for v in answer["variants"]) == ORDERS, answer
    assert sum(v["so_far"]["conversions"] for v in answer["variants"]) == ORDERS // 3, answer
    assert [(v["units"], v["conversions"]) for v in answer["variants"]] == [(0, 0), (0, 0)], answer
    shop["answer"] = answer
    return shop


def _checked(page: Any, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    screenshot(page, name)
    assert accessibility_violations(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_experiments_section_has_no_accessibility_violations(page, live, experimenting, width):
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    sign_in(page, live.url, experimenting["shop_id"], experimenting["api_key"], "experiments")
    rows = page.locator("table.experiments tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(2).inner_text() == "Running"
    assert rows.nth(1).locator("td").nth(2).inner_text() == "Promoted: variant B"
    levers = page.locator("#lever option").all_inner_texts()
    assert "The share prompt's words" in levers and "The friend's offer" in levers and "The advocate's reward" in levers
    assert page.get_by_label("Type").first.is_visible() and page.locator("#offer_value_b").is_visible()
    _checked(page, f"console-experiments-{width}")

    page.get_by_role("link", name="Subject <test>").click()
    page.wait_for_url(f"**/dashboard/experiments/{experimenting['experiment_id']}")
    answer = experimenting["answer"]
    assert page.locator("#sentence").inner_text() == answer["sentence"]
    values = page.locator("td.variant-value").all_inner_texts()
    assert values == ["(our own words)", SUBJECT_B]  # the owner's markup is text
    rows = page.locator("table.variants tbody tr")
    assert [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in (0, 1)] == [0, 0]  # none closed yet
    # What has come so far, beside each variant, in the metric's words.
    so_far = [v["so_far"] for v in answer["variants"]]
    texts = [
        f"{n['units']} {'order asked' if n['units'] == 1 else 'orders asked'}, {n['conversions']} reviewed"
        for n in so_far
    ]
    assert page.locator("td.so-far").all_inner_texts() == texts
    assert page.locator("td.so-far").first.is_visible()
    assert page.locator("table.variants thead th").all_inner_texts()[-1] == "Counted so far"
    window = page.locator("#variants-window")
    assert window.is_visible()
    assert window.inner_text().startswith("The result reads only the orders asked whose outcome window (")
    assert page.get_by_role("img", name="Difference against the current setting").is_visible()
    assert page.locator("table.variants thead th").all_inner_texts()[3] == "Reviewed"
    _checked(page, f"console-experiment-{width}")
