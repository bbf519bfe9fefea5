"""Answering reviews measured: exact reply rates and median reply times in the report, counted once per review as
replies arrive; the owner's daily digest of unhappy reviews waiting; the public badge, only when the owner shows it.

Every moment is relative to a day three weeks back, so nothing depends on today's date."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from chalicelib.reviews.tokens import review_token
from chalicelib.store.table import get_client
from tests.conftest import ADMIN_TOKEN
from tests.unit.review_support import ReviewShop, html_part, text_part
from tests.unit.webhook_support import calls

# 10:00 UTC three weeks ago: day A; day B is the next day.
BASE = (datetime.now(UTC) - timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
DAY_A = BASE.date().isoformat()
DAY_B = (BASE + timedelta(days=1)).date().isoformat()
OWNER = "owner@shop-owner.example.com"


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


class Shop(ReviewShop):
    def review(self, n: int, rating: int, when: datetime, title: str = "") -> str:
        """Order o-<n> reviewed at `when` with `rating`; its review id."""
        with at(when - timedelta(hours=1)):
            self.deliver("order.created", f"o-{n}", f"c-{n}")
        with at(when):
            token = review_token(self.shop_id, f"o-{n}", ["p-mug"])
            body = {"token": token, "product_id": "p-mug", "rating": rating, "title": title, "body": f"Review {n}."}
            response = self.api.request("POST", "/reviews", body)
        assert response.status_code == 201, response.body
        return response.json["review_id"]

    def reply(self, review_id: str, when: datetime, body: str = "Thank you for telling us.") -> None:
        with at(when):
            response = self.owner("POST", f"/reviews/{review_id}/reply", {"body": body})
        assert response.status_code == 200, response.body
        assert response.json["reply"]["body"] == body

    def report(self, first: str, last: str) -> dict[str, Any]:
        response = self.owner("GET", f"/report?from={first}&to={last}")
        assert response.status_code == 200, response.body
        return response.json

    def run_due(self, now: datetime) -> dict[str, int]:  # type: ignore[override]
        with at(now):
            response = self.api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
        assert response.status_code == 200, response.body
        return response.json["ran"]

    def digests(self) -> list[Any]:
        return [m for m in self.emails() if m["X-Proofloop-Digest"]]


@pytest.fixture
def shop(api, outbox):
    return Shop(api, outbox, owner_email=OWNER)


@pytest.fixture
def workload(shop):
    """Seven reviews on two days (three unhappy: below the happy threshold 4), five answered once each at known
    delays; one answered twice and one edited, which must count nothing again."""
    h = timedelta(hours=1)
    ids = {
        "r1": shop.review(1, 5, BASE),
        "r2": shop.review(2, 2, BASE + 2 * h),
        "r3": shop.review(3, 5, BASE + 4 * h),
        "r4": shop.review(4, 1, BASE + 24 * h),
        "r5": shop.review(5, 4, BASE + 25 * h),
        "r6": shop.review(6, 3, BASE + 26 * h),
        "r7": shop.review(7, 5, BASE + 27 * h),
    }
    shop.reply(ids["r1"], BASE + 0.5 * h)  # 0.5 h: bucket 1
    shop.reply(ids["r2"], BASE + 5 * h)  # 3 h: bucket 4 (unhappy)
    shop.reply(ids["r2"], BASE + 7 * h, "A second reply")  # counts nothing
    shop.reply(ids["r4"], BASE + 54 * h)  # 30 h: bucket 36 (unhappy)
    shop.reply(ids["r5"], BASE + 35 * h)  # 10 h: bucket 12
    shop.reply(ids["r5"], BASE + 75 * h, "Edited: thank you!")  # an edit: counts nothing
    shop.reply(ids["r7"], BASE + 127 * h)  # 100 h: bucket 168, four days after its review, on day B still
    return ids


def test_the_report_has_exact_reply_rates_and_medians(shop, workload):
    report = shop.report(DAY_A, DAY_B)
    funnel, rates = report["funnel"], report["rates"]
    assert (funnel["reviews"], funnel["unhappy_reviews"]) == (7, 3)
    assert (funnel["answered_reviews"], funnel["answered_unhappy_reviews"]) == (5, 2)
    assert rates["reply_rate"] == round(5 / 7, 4) and rates["unhappy_reply_rate"] == round(2 / 3, 4)
    # delays 0.5, 3, 10, 30, 100 hours: the third is in the bucket up to 12 hours
    assert report["reply_hours_median"] == 12
    # unhappy: 3 and 30 hours, the lower median is in the bucket up to 4 hours
    assert report["unhappy_reply_hours_median"] == 4


def test_a_reply_counts_on_its_reviews_day(shop, workload):
    day_a = shop.report(DAY_A, DAY_A)
    assert (day_a["funnel"]["reviews"], day_a["funnel"]["answered_reviews"]) == (3, 2)
    assert day_a["rates"]["reply_rate"] == round(2 / 3, 4) and day_a["rates"]["unhappy_reply_rate"] == 1.0
    assert (day_a["reply_hours_median"], day_a["unhappy_reply_hours_median"]) == (1, 4)
    day_b = shop.report(DAY_B, DAY_B)
    assert (day_b["funnel"]["reviews"], day_b["funnel"]["answered_reviews"]) == (4, 3)
    assert day_b["rates"]["unhappy_reply_rate"] == 0.5
    assert (day_b["reply_hours_median"], day_b["unhappy_reply_hours_median"]) == (36, 36)


def test_a_reply_given_before_replies_were_counted_is_never_counted(shop, table):
    from chalicelib.store import keys

    rid = shop.review(1, 5, BASE)
    # A review answered before this count existed: its reply has no first_reply_at
    table.update(
        keys.review_key(shop.shop_id, rid),
        "SET reply = :r",
        values={":r": {"body": "Old", "at": "2026-01-01T00:00:00Z"}},
    )
    shop.reply(rid, BASE + timedelta(hours=2), "Edited later")
    report = shop.report(DAY_A, DAY_A)
    assert report["funnel"]["answered_reviews"] == 0 and report["reply_hours_median"] is None


def test_rates_are_null_without_reviews(shop, workload):
    quiet = (BASE - timedelta(days=5)).date().isoformat()
    report = shop.report(quiet, quiet)
    assert report["rates"]["reply_rate"] is None and report["rates"]["unhappy_reply_rate"] is None
    assert report["reply_hours_median"] is None and report["unhappy_reply_hours_median"] is None


def test_reviews_without_replies_have_a_zero_rate_and_no_median(shop):
    shop.review(1, 5, BASE)
    report = shop.report(DAY_A, DAY_A)
    assert report["rates"]["reply_rate"] == 0.0 and report["rates"]["unhappy_reply_rate"] is None
    assert report["reply_hours_median"] is None


def test_the_csv_carries_the_same_figures(shop, workload):
    response = shop.owner("GET", f"/report.csv?from={DAY_A}&to={DAY_B}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    total = rows[-1]
    assert total["date"] == "total"
    assert (total["answered_reviews"], total["answered_unhappy_reviews"], total["unhappy_reviews"]) == ("5", "2", "3")
    assert float(total["reply_rate"]) == round(5 / 7, 4) and total["reply_hours_median"] == "12"
    day_a = next(r for r in rows if r["date"] == DAY_A)
    assert day_a["reply_hours_median"] == "1" and day_a["unhappy_reply_rate"] == "1.0"


def test_the_report_costs_the_same_calls_however_many_replies(shop):
    shop.review(1, 2, BASE)
    with calls(get_client()) as before:
        shop.report(DAY_A, DAY_B)
    for n in range(2, 12):
        rid = shop.review(n, 1 + n % 5, BASE + timedelta(hours=n))
        shop.reply(rid, BASE + timedelta(hours=2 * n))
    with calls(get_client()) as after:
        report = shop.report(DAY_A, DAY_B)
    assert report["funnel"]["answered_reviews"] == 10
    assert after == before


def test_the_overview_shows_the_figures(shop, workload):
    from urllib.parse import urlencode

    signed = shop.api.request(
        "POST",
        f"/shops/{shop.shop_id}/dashboard/session",
        raw=urlencode({"api_key": shop.api_key}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    header = signed.headers.get("Set-Cookie", "")
    cookie = (header[0] if isinstance(header, list) else header).split(";")[0]
    response = shop.api.request(
        "GET", f"/shops/{shop.shop_id}/dashboard?from={DAY_A}&to={DAY_B}", headers={"Cookie": cookie}
    )
    html = response.body.decode()
    assert response.status_code == 200
    assert 'id="reply-rate">71.4% (5 of 7)' in html
    assert 'id="unhappy-reply-rate">66.7% (2 of 3)' in html
    assert 'id="reply-hours">within 12 hours' in html and 'id="unhappy-reply-hours">within 4 hours' in html


# --- the owner's digest ---------------------------------------------------------------------------------------------


def test_the_digest_lists_every_unhappy_review_waiting_once_a_day(shop):
    h = timedelta(hours=1)
    waiting = shop.review(1, 1, BASE, title="Broke <b>at once</b>")
    answered = shop.review(2, 2, BASE + h)
    younger = shop.review(3, 2, BASE + 5 * h)
    shop.review(4, 5, BASE + 2 * h)  # happy: never in a digest
    shop.reply(answered, BASE + 3 * h)

    shop.run_due(BASE + 23 * h)
    assert shop.digests() == []  # nothing has waited 24 hours yet

    shop.run_due(BASE + 25 * h)
    (digest,) = shop.digests()
    assert digest["To"] == OWNER and "\n" not in digest["Subject"]
    assert digest["Subject"].startswith("1 unhappy review waits for your answer")
    text = text_part(digest)
    assert waiting in text and answered not in text and younger not in text
    assert f"/shops/{shop.shop_id}/dashboard/reviews?from={DAY_A}&to={DAY_A}#reply-{waiting}" in text
    assert "Broke &lt;b&gt;at once&lt;/b&gt;" in html_part(digest) and "<b>at once" not in html_part(digest)

    shop.run_due(BASE + 26 * h)
    shop.run_due(BASE + 31 * h)  # the younger one has waited 26 hours now, but today's digest went out
    shop.run_due(BASE + 37 * h)  # 23:00 UTC, the shop's day still
    assert len(shop.digests()) == 1

    # The next day (UTC, the shop's zone): both still wait, oldest first
    shop.run_due(BASE + 49 * h)
    assert len(shop.digests()) == 2
    text = text_part(shop.digests()[-1])
    assert text.index(waiting) < text.index(younger)
    assert shop.digests()[-1]["Subject"].startswith("2 unhappy reviews wait")

    # Answered: the day after, nobody hears of them
    shop.reply(waiting, BASE + 50 * h)
    shop.reply(younger, BASE + 51 * h)
    shop.run_due(BASE + 73 * h)
    shop.run_due(BASE + 97 * h)
    assert len(shop.digests()) == 2


def test_the_digest_caps_its_list(shop):
    from chalicelib.reviews.answering import DIGEST_LISTED

    for n in range(DIGEST_LISTED + 3):
        shop.review(n, 1, BASE + timedelta(minutes=n))
    shop.run_due(BASE + timedelta(hours=30))
    (digest,) = shop.digests()
    assert "and 3 more" in text_part(digest)
    assert digest["Subject"].startswith(f"{DIGEST_LISTED + 3} unhappy reviews wait")


def test_markers_that_outlived_their_review_make_room_for_the_next_ones(shop, table):
    from chalicelib.reviews.answering import DIGEST_LISTED
    from chalicelib.store import keys

    ids = [shop.review(n, 1, BASE + timedelta(minutes=n)) for n in range(DIGEST_LISTED + 2)]
    for stale in ids[:DIGEST_LISTED]:  # answered, but their markers left behind (as by an older version)
        table.update(keys.review_key(shop.shop_id, stale), "SET first_reply_at = :t", values={":t": "2020-01-01"})
    shop.run_due(BASE + timedelta(hours=30))
    (digest,) = shop.digests()
    text = text_part(digest)
    assert ids[DIGEST_LISTED] in text and ids[DIGEST_LISTED + 1] in text and ids[0] not in text
    assert digest["Subject"].startswith("2 unhappy reviews wait")  # and no "and N more": none is left out


def test_a_rejected_unhappy_review_waits_for_no_answer(shop):
    rejected = shop.review(1, 1, BASE)
    kept = shop.review(2, 2, BASE + timedelta(minutes=5))
    with at(BASE + timedelta(hours=2)):
        assert shop.owner("POST", f"/reviews/{rejected}/reject").status_code == 200
    shop.run_due(BASE + timedelta(hours=30))
    (digest,) = shop.digests()
    assert kept in text_part(digest) and rejected not in text_part(digest)


def test_no_owner_email_no_digest(api, outbox):
    shop = Shop(api, outbox)
    shop.review(1, 1, BASE)
    shop.run_due(BASE + timedelta(hours=30))
    assert shop.digests() == []


def test_a_failed_digest_is_tried_again_later_and_other_shops_still_hear(api, outbox, monkeypatch):
    from chalicelib.mail import outbox as outbox_mailer

    first, second = Shop(api, outbox, owner_email=OWNER), Shop(api, outbox, owner_email="two@other-owner.example.com")
    first.review(1, 1, BASE)
    second.review(1, 1, BASE)
    real_send = outbox_mailer.OutboxMailer.send

    def failing(self, message, to):
        if to == OWNER:
            raise OSError("the mail service is down")
        return real_send(self, message, to)

    monkeypatch.setattr(outbox_mailer.OutboxMailer, "send", failing)
    with at(BASE + timedelta(hours=25)):
        response = api.request("POST", "/admin/run-due", token=ADMIN_TOKEN)
    assert response.status_code in (200, 503)
    assert [m["To"] for m in first.digests()] == ["two@other-owner.example.com"]
    monkeypatch.setattr(outbox_mailer.OutboxMailer, "send", real_send)
    first.run_due(BASE + timedelta(hours=25, minutes=5))  # put off: not yet
    assert [m["To"] for m in first.digests()] == ["two@other-owner.example.com"]
    first.run_due(BASE + timedelta(hours=26))
    assert sorted(m["To"] for m in first.digests()) == [OWNER, "two@other-owner.example.com"]


# --- the public badge -----------------------------------------------------------------------------------------------


def listing(shop: Shop) -> dict[str, Any]:
    response = shop.api.request("GET", f"/shops/{shop.shop_id}/products/p-mug/reviews")
    assert response.status_code == 200, response.body
    return response.json


def test_the_badge_shows_only_when_the_owner_turns_it_on(shop, workload):
    shop.run_due(datetime.now(UTC))
    assert "shop_answers" not in listing(shop)
    response = shop.owner("PATCH", "", {"settings": {"show_answer_rate": True}})
    assert response.status_code == 200, response.body
    answer = listing(shop)
    assert answer["shop_answers"] == {"rate": round(5 / 7, 4), "median_hours": 12, "days": 90}
    block = json.dumps(answer["json_ld"]).lower()
    assert "shop_answers" not in block and "answer" not in block and "median" not in block


def test_the_badge_costs_no_call_more(shop, workload):
    shop.run_due(datetime.now(UTC))
    with calls(get_client()) as off:
        listing(shop)
    shop.owner("PATCH", "", {"settings": {"show_answer_rate": True}})
    with calls(get_client()) as on:
        assert "shop_answers" in listing(shop)
    assert on == off


def test_no_badge_without_reviews_in_90_days(api, outbox):
    shop = Shop(api, outbox, show_answer_rate=True)
    old = datetime.now(UTC) - timedelta(days=120)
    rid = shop.review(1, 5, old)
    shop.reply(rid, old + timedelta(hours=2))
    assert "shop_answers" not in listing(shop)  # the figures kept at the reply: its review is no longer in 90 days
    shop.run_due(datetime.now(UTC))
    assert "shop_answers" not in listing(shop)


def test_the_badge_follows_new_reviews_after_the_due_work(shop, workload):
    shop.owner("PATCH", "", {"settings": {"show_answer_rate": True}})
    shop.run_due(datetime.now(UTC))
    assert listing(shop)["shop_answers"]["rate"] == round(5 / 7, 4)
    shop.review(20, 5, datetime.now(UTC) - timedelta(hours=1))
    shop.run_due(datetime.now(UTC))
    assert listing(shop)["shop_answers"]["rate"] == round(5 / 8, 4)


@pytest.mark.parametrize(
    ("answers", "line"),
    [
        ({"rate": 0.9583, "median_hours": 12}, "Answers 96% of reviews, usually within a day"),
        ({"rate": 1.0, "median_hours": 1}, "Answers 100% of reviews, usually within an hour"),
        ({"rate": 0.5, "median_hours": 72}, "Answers 50% of reviews, usually within 3 days"),
        ({"rate": 0.5, "median_hours": 36}, "Answers 50% of reviews, usually within 2 days"),
        ({"rate": 0.0, "median_hours": None}, "Answers 0% of reviews"),
    ],
)
def test_the_widget_words_the_line(answers, line):
    """The widget's own function, run by Node on the API's answer."""
    import json
    import re
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = (Path(__file__).resolve().parents[2] / "chalicelib/web/static/widget.js").read_text()
    function = re.search(r"  function answersLine\(answers\) \{.*?\n  \}\n", script, re.S)
    assert function, "the widget has no answersLine"
    program = function.group(0) + f"process.stdout.write(answersLine({json.dumps(answers)}));"
    assert subprocess.run([node, "-e", program], capture_output=True, text=True, check=True).stdout == line


def test_the_widget_shows_the_line_only_with_the_badge():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "chalicelib/web/static/widget.js").read_text()
    assert "if (data.shop_answers) { region.appendChild(" in script


def test_figures_that_fail_are_put_off_and_other_shops_still_get_theirs(api, outbox, table, monkeypatch):
    from chalicelib.reviews import answering
    from chalicelib.store import keys

    broken, fine = Shop(api, outbox, show_answer_rate=True), Shop(api, outbox, show_answer_rate=True)
    now = datetime.now(UTC)
    for shop in (broken, fine):
        shop.review(1, 5, now - timedelta(hours=3))
    real = answering.badge_figures

    def failing(table, shop):
        if shop.shop_id == broken.shop_id:
            raise OSError("the database is slow")
        return real(table, shop)

    monkeypatch.setattr(answering, "badge_figures", failing)
    fine.run_due(now)
    assert listing(fine)["shop_answers"] == {"rate": 0.0, "median_hours": None, "days": 90}
    assert "shop_answers" not in listing(broken)
    kept = table.get(keys.answers_key(broken.shop_id))
    assert kept["failures"] == 1 and kept[keys.GSI1SK] > clock_iso(now + timedelta(minutes=9))
    monkeypatch.setattr(answering, "badge_figures", real)
    broken.run_due(now + timedelta(minutes=11))
    assert listing(broken)["shop_answers"]["rate"] == 0.0


def clock_iso(moment: datetime) -> str:
    from chalicelib import clock

    return clock.iso(moment)


# --- the badge's due mark: a review that arrives while the figures are computed is not lost -------------------------

# Noon (UTC, the shops' zone below) yesterday: minutes either side stay on one local day, whatever the time now.
NOON = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
HOUR = timedelta(hours=1)


def due_shops(table: Any, moment: datetime) -> list[str]:
    """The shops whose badge figures a due run at `moment` computes again."""
    from chalicelib.store import answers

    return [entry["shop_id"] for entry in answers.figures_due(table, clock_iso(moment))]


def during_the_refresh(monkeypatch: Any, shop: Shop, happen: Any) -> list[bool]:
    """`happen()` runs once, right after the next refresh of the shop's figures has read its day counters (before it
    saves them). The list returned is empty once it ran."""
    from chalicelib.store import aggregates

    real = aggregates.read_days
    pending = [True]

    def reading(table: Any, shop_id: str, *args: Any, **kwargs: Any) -> Any:
        days = real(table, shop_id, *args, **kwargs)
        if pending and shop_id == shop.shop_id:
            pending.clear()
            happen()
        return days

    monkeypatch.setattr(aggregates, "read_days", reading)
    return pending


def test_a_review_that_arrives_while_the_due_work_computes_is_counted_by_the_next_run(api, outbox, table, monkeypatch):
    shop = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    first = shop.review(1, 5, NOON - 3 * HOUR)
    shop.reply(first, NOON - 2 * HOUR)  # rate 1.0, not due again before tomorrow
    shop.review(3, 5, NOON - HOUR)  # due again
    pending = during_the_refresh(monkeypatch, shop, lambda: shop.review(2, 5, NOON))
    shop.run_due(NOON + timedelta(minutes=1))
    assert pending == []
    # what it computed (reviews 1 and 3, one answered) is shown; the review that came meanwhile keeps it due
    assert listing(shop)["shop_answers"]["rate"] == 0.5
    assert shop.shop_id in due_shops(table, NOON + timedelta(minutes=2))
    shop.run_due(NOON + timedelta(minutes=2))
    assert listing(shop)["shop_answers"]["rate"] == round(1 / 3, 4)
    assert shop.shop_id not in due_shops(table, NOON + timedelta(minutes=3))


def test_a_reply_racing_a_review_leaves_the_badge_due(api, outbox, table, monkeypatch):
    shop = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    first = shop.review(1, 5, NOON - 3 * HOUR)
    shop.run_due(NOON - 2 * HOUR)
    assert shop.shop_id not in due_shops(table, NOON)  # computed: due again tomorrow
    pending = during_the_refresh(monkeypatch, shop, lambda: shop.review(2, 5, NOON - HOUR))
    shop.reply(first, NOON - HOUR)  # its refresh reads the counters, then the second review arrives
    assert pending == []
    assert listing(shop)["shop_answers"]["rate"] == 1.0  # the reply's figures, without the review
    assert shop.shop_id in due_shops(table, NOON)
    shop.run_due(NOON)
    assert listing(shop)["shop_answers"]["rate"] == 0.5
    assert shop.shop_id not in due_shops(table, NOON + timedelta(minutes=1))


def test_figures_of_a_later_review_are_not_overwritten_by_a_refresh_that_missed_it(api, outbox, table, monkeypatch):
    shop = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    shop.review(1, 5, NOON - 3 * HOUR)

    def a_review_and_its_reply() -> None:  # the reply's own refresh counts both, and is saved first
        second = shop.review(2, 5, NOON)
        shop.reply(second, NOON + timedelta(minutes=1))

    pending = during_the_refresh(monkeypatch, shop, a_review_and_its_reply)
    shop.run_due(NOON + timedelta(minutes=2))  # read the counters with one review, unanswered (rate 0.0)
    assert pending == []
    assert listing(shop)["shop_answers"]["rate"] == 0.5
    assert shop.shop_id not in due_shops(table, NOON + timedelta(minutes=3))


def test_a_refresh_moves_the_badge_to_the_shops_next_day_or_off_the_due_index(api, outbox, table):
    from chalicelib.store import keys

    recent = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    recent.review(1, 5, NOON - 3 * HOUR)
    old = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    old.review(1, 5, NOON - timedelta(days=120))
    assert {recent.shop_id, old.shop_id} <= set(due_shops(table, NOON))
    recent.run_due(NOON)
    tomorrow = datetime.combine(NOON.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert recent.shop_id not in due_shops(table, tomorrow - timedelta(seconds=1))
    assert recent.shop_id in due_shops(table, tomorrow)
    assert listing(recent)["shop_answers"]["rate"] == 0.0
    # no review in its 90 days: off the due index until one arrives
    assert old.shop_id not in due_shops(table, NOON + timedelta(days=3650))
    kept = table.get(keys.answers_key(old.shop_id))
    assert kept["reviews"] == 0 and keys.GSI1PK not in kept and keys.GSI1SK not in kept
    assert "shop_answers" not in listing(old)


def test_a_reply_while_the_due_work_computes_is_not_overwritten_by_it(api, outbox, table, monkeypatch):
    shop = Shop(api, outbox, show_answer_rate=True, timezone="UTC")
    first = shop.review(1, 5, NOON - 3 * HOUR)  # due
    # The due run reads the counters without the reply; the reply and its own refresh are saved before it.
    pending = during_the_refresh(monkeypatch, shop, lambda: shop.reply(first, NOON))
    shop.run_due(NOON + timedelta(minutes=1))
    assert pending == []
    assert listing(shop)["shop_answers"]["rate"] == 1.0
    assert shop.shop_id not in due_shops(table, NOON + timedelta(minutes=2))  # the reply's refresh counted it
