"""The review loop end to end over HTTP on DynamoDB Local: order, fulfilment, due job, email, review."""

from __future__ import annotations

import email
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from tests.conftest import ADMIN_TOKEN
from tests.integration.support import deliver


def emails_to(live, address):
    found = []
    for path in sorted(live.outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == address:
            found.append(message)
    return found


def text_of(message):
    return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()


def test_order_to_verified_review(live, new_shop):
    shop, _ = new_shop(settings={"review_delay_days": 0})
    just_now = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deliver(live, shop, "order.created", "loop-1", customer_id="loop-buyer")
    deliver(live, shop, "order.fulfilled", "loop-1", customer_id="loop-buyer", timestamp=just_now)

    # Overlapping runs of the due job send the request once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: live.request("POST", "/admin/run-due", token=ADMIN_TOKEN), range(4)))
    assert {r.status_code for r in runs} == {200}
    assert sum(r.json()["ran"]["review_emails"] for r in runs) >= 1
    [message] = emails_to(live, "loop-buyer@example.com")

    link = re.search(r"(http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_.-]+)", text_of(message)).group(1)
    form = live.session.get(link, headers={"Accept": "text/html"}, timeout=10)
    assert form.status_code == 200 and "Trail Mug" in form.text
    token = link.rsplit("/", 1)[1]
    created = live.request(
        "POST",
        "/reviews",
        {
            "token": token,
            "product_id": "p-100",
            "rating": 5,
            "title": "Love it",
            "body": "Keeps my tea warm on the trail.",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "published"
    again = live.request(
        "POST", "/reviews", {"token": token, "product_id": "p-100", "rating": 4, "title": "", "body": "second try"}
    )
    assert again.status_code == 409
    # The page now shows the item as reviewed.
    assert "you reviewed this" in live.session.get(link, headers={"Accept": "text/html"}, timeout=10).text


def test_forged_token_stores_nothing(live):
    response = live.request(
        "POST", "/reviews", {"token": "eyJvIjoiMSJ9.Zm9yZ2Vk", "product_id": "p", "rating": 5, "title": "", "body": "x"}
    )
    assert response.status_code == 403
