"""A queue that moves past a bad item: a failing item is put off, then parked for its owner; the rest goes on.

Times are the clock's own plus an offset (the jobs' `now=`), never a date of the calendar.
"""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.backoff import PHOTOS, REVIEW_REQUESTS
from chalicelib.mail.errors import MailRefused, MailSetupRefused
from chalicelib.mail.outbox import OutboxMailer
from chalicelib.parked import PARKED_METRIC, parked_items
from chalicelib.store import keys
from tests.unit.review_support import ReviewShop
from tests.unit.webhook_support import order_item, totals

REFUSAL = "Email address is not verified. The following identities failed the check in region EU-WEST-1: {}"


@pytest.fixture
def metrics():
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def due_time() -> datetime:
    """A moment every request of these tests is due by (they are due a week after their fulfilment)."""
    return clock.now() + timedelta(days=30)


def mailer_failing(monkeypatch: pytest.MonkeyPatch, failures: dict[str, Exception]) -> None:
    """The outbox mailer, but each address of `failures` raises its exception instead of being written."""
    real = OutboxMailer.send

    def send(self: OutboxMailer, message: Any, to: str) -> str:
        failure = failures.get(to)
        if failure is not None:
            raise failure
        return real(self, message, to)

    monkeypatch.setattr(OutboxMailer, "send", send)


def buyers(shop: ReviewShop, table: Any, count: int) -> None:
    """`count` fulfilled orders due for their request, o-<n> of buyer c-<n>: the first through the webhooks, the
    others its copies, written at once (moto's transactions copy the table: a hundred webhooks take a minute)."""
    shop.fulfilled_order("o-0", customer_id="c-0")
    first = order_item(table, shop.shop_id, "o-0")
    assert first is not None and first["request_status"] == "scheduled"
    copies = []
    for n in range(1, count):
        order_id, customer_id = f"o-{n}", f"c-{n}"
        copies.append(
            {
                **first,
                **keys.order_key(shop.shop_id, order_id),
                **keys.due_keys(shop.shop_id, order_id, first["request_due_at"]),
                "order_id": order_id,
                "customer_id": customer_id,
                "email": f"{customer_id}@example.com",
            }
        )
    table.put_many(copies)


def addressees(shop: ReviewShop) -> list[str]:
    return sorted(str(m["To"]) for m in shop.emails())


def on_due_index(item: dict[str, Any]) -> bool:
    return str(item.get(keys.GSI1PK, "")).startswith(keys.due_partition(0)[:-1])


# --- review requests ----------------------------------------------------------------------------------------------
def test_fifty_due_requests_with_one_refused_address_send_49_and_park_the_one(api, outbox, table, monkeypatch, metrics):
    # Given fifty buyers due for their review request, one of whose addresses the mail service refuses
    shop = ReviewShop(api, outbox)
    buyers(shop, table, 50)
    mailer_failing(monkeypatch, {"c-17@example.com": MailRefused(REFUSAL.format("c-17@example.com"))})
    moment = due_time()
    # When the due work runs
    assert shop.run_due(now=moment) == 49
    # Then the 49 others were sent in that one run, each once, and the refused one is parked with its reason
    assert addressees(shop) == sorted(f"c-{n}@example.com" for n in range(50) if n != 17)
    [parked] = parked_items(table, shop.shop_id)
    assert parked["which"] == "Review request for order o-17"
    assert "refused the buyer's address" in parked["reason"] and "c-17" not in parked["reason"]
    assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
    order = order_item(table, shop.shop_id, "o-17")
    assert order["request_status"] == "scheduled" and "sent_at" not in order and not on_due_index(order)
    # And the funnel counts the 49 requests that went, not the claimed-then-refused one
    assert totals(table, shop.shop_id)["review_requests"] == 49
    # And a later run sends nothing twice (the refused one is not tried again by itself)
    assert shop.run_due(now=moment + timedelta(hours=1)) == 0
    assert len(shop.emails()) == 49
    assert totals(table, shop.shop_id)["review_requests"] == 49


def test_a_request_that_keeps_failing_is_put_off_with_growing_waits_then_parked(api, outbox, table, monkeypatch):
    # Given three buyers due, the mail service failing for one of them (not a refusal: it errs every time)
    shop = ReviewShop(api, outbox, reminder_after_days=0)
    for n in range(3):
        shop.fulfilled_order(f"o-{n}", customer_id=f"c-{n}")
    mailer_failing(monkeypatch, {"c-1@example.com": TimeoutError("the mail service did not answer")})
    moment = due_time()
    # When the due work runs
    assert shop.run_due(now=moment) == 2
    # Then the others are sent, and the failing one is put off: due later, its failure counted, not counted sent
    order = order_item(table, shop.shop_id, "o-1")
    assert on_due_index(order) and order["request_status"] == "scheduled" and "sent_at" not in order
    assert int(order["due_attempts"]) == 1 and "TimeoutError" in order["due_reason"]
    waits = [clock.parse(order["request_due_at"]) - moment]
    assert shop.run_due(now=moment) == 0  # not due again yet
    # And each later failure waits longer, until the last attempt parks it
    for attempt in range(2, REVIEW_REQUESTS.attempts + 1):
        assert parked_items(table, shop.shop_id) == []
        moment = clock.parse(order["request_due_at"])
        assert shop.run_due(now=moment) == 0
        order = order_item(table, shop.shop_id, "o-1")
        assert int(order["due_attempts"]) == attempt
        if attempt < REVIEW_REQUESTS.attempts:
            waits.append(clock.parse(order["request_due_at"]) - moment)
    assert waits == sorted(waits) and waits[0] < waits[-1]
    [parked] = parked_items(table, shop.shop_id)
    assert parked["attempts"] == REVIEW_REQUESTS.attempts and not on_due_index(order)
    assert shop.run_due(now=moment + timedelta(days=2)) == 0
    assert addressees(shop) == ["c-0@example.com", "c-2@example.com"]
    assert totals(table, shop.shop_id)["review_requests"] == 2


def test_a_mail_service_refusing_every_message_parks_nothing_counts_once_and_keeps_the_requests_due(
    api, outbox, table, monkeypatch, metrics
):
    # Given three buyers due, and a mail service that refuses our sender (not verified) whoever the mail is to
    shop = ReviewShop(api, outbox)
    for n in range(3):
        shop.fulfilled_order(f"o-{n}", customer_id=f"c-{n}")
    setup = MailSetupRefused("MessageRejected: Email address is not verified: reviews@proofloop.example")
    failures: dict[str, Exception] = {f"c-{n}@example.com": setup for n in range(3)}
    mailer_failing(monkeypatch, failures)
    before = {n: order_item(table, shop.shop_id, f"o-{n}") for n in range(3)}
    moment = due_time()
    # When the due work runs
    assert shop.run_due(now=moment) == 0
    # Then nothing is parked, one metric says so (not one per buyer), and every request is still due as it was
    assert parked_items(table, shop.shop_id) == []
    assert metrics.metric_set["MailSendingRefused"]["Value"] == [1.0]
    assert PARKED_METRIC not in metrics.metric_set
    for n in range(3):
        order = order_item(table, shop.shop_id, f"o-{n}")
        assert order["request_status"] == "scheduled" and "sent_at" not in order
        assert order[keys.GSI1SK] == before[n][keys.GSI1SK] and "due_attempts" not in order
    assert totals(table, shop.shop_id).get("review_requests", 0) == 0
    # And once the sender is put right, the next run sends them all
    failures.clear()
    assert shop.run_due(now=moment + timedelta(minutes=10)) == 3
    assert totals(table, shop.shop_id)["review_requests"] == 3


@pytest.mark.parametrize(
    ("code", "message", "setup"),
    [
        ("MessageRejected", REFUSAL.format("buyer@mail.example"), False),  # the sandbox's unverified recipient
        ("MessageRejected", REFUSAL.format("reviews@proofloop.example, buyer@mail.example"), True),
        ("MessageRejected", REFUSAL.format("proofloop.example"), True),  # the sender's domain
        ("MessageRejected", "Did not have authority to send from email reviews@proofloop.example", True),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain not verified", True),
        ("ConfigurationSetDoesNotExist", "Configuration set <x> does not exist.", True),
        ("AccessDenied", "User is not authorized to perform ses:SendRawEmail", True),
    ],
)
def test_ses_tells_a_refused_recipient_from_a_refused_account(code, message, setup):
    from email.message import EmailMessage

    from botocore.exceptions import ClientError

    from chalicelib.mail.ses import SesMailer

    class Refusing:
        def send_raw_email(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": code, "Message": message}}, "SendRawEmail")

    mailer = SesMailer("eu-west-1")
    mailer._client = Refusing()
    outgoing = EmailMessage()
    outgoing["From"], outgoing["To"] = "Trail & Summit <reviews@proofloop.example>", "buyer@mail.example.com"
    with pytest.raises(MailRefused) as refused:
        mailer.send(outgoing, to="buyer@mail.example.com")
    assert isinstance(refused.value, MailSetupRefused) == setup


def test_another_failure_of_ses_is_not_taken_for_a_refusal():
    from email.message import EmailMessage

    from botocore.exceptions import ClientError

    from chalicelib.mail.ses import SesMailer

    class Throttled:
        def send_raw_email(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "Send")

    mailer = SesMailer("eu-west-1")
    mailer._client = Throttled()
    with pytest.raises(ClientError):
        mailer.send(EmailMessage(), to="buyer@mail.example.com")


# --- outbound events ----------------------------------------------------------------------------------------------
def test_an_outbound_endpoint_that_keeps_failing_is_parked_and_the_other_shops_events_go_on(
    api, outbox, table, metrics
):
    from chalicelib.outbound import MAX_ATTEMPTS, deliver_due
    from chalicelib.reviews.tokens import review_token
    from tests.receiver import Receiver

    # Given two shops' published reviews, one shop's endpoint answering 500 every time, the other's taking them
    failing, taking = Receiver(statuses=[500] * 100), Receiver()
    try:
        shops = []
        for receiver in (failing, taking):
            shop = ReviewShop(api, outbox)
            answer = shop.owner("PUT", "/webhook-endpoint", {"url": receiver.url, "events": ["review.published"]})
            assert answer.status_code == 200, answer.body
            shop.fulfilled_order()
            body = {"token": review_token(shop.shop_id, "o-1", ["p-mug"]), "product_id": "p-mug", "rating": 5}
            assert api.request("POST", "/reviews", {**body, "title": "", "body": "Lovely."}).status_code == 201
            shops.append(shop)
        moment = clock.now()
        # When the due work runs as often as the failing event has attempts, each run once it is due again
        delivered = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert parked_items(table, shops[0].shop_id) == []
            delivered += deliver_due(table, now=moment)
            event = next(iter(events(table, shops[0].shop_id)))
            assert int(event["attempts"]) == attempt
            if attempt < MAX_ATTEMPTS:
                assert clock.parse(event["next_attempt_at"]) > moment
                moment = clock.parse(event["next_attempt_at"])
        # Then the other shop's event went in the first run, once, and the failing one is parked with its reason
        assert delivered == 1 and len(taking.received) == 1
        assert len(failing.received) == MAX_ATTEMPTS
        [parked] = parked_items(table, shops[0].shop_id)
        assert parked["name"] == "Outbound event" and parked["reason"] == "the endpoint answered 500"
        assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
        assert deliver_due(table, now=moment + timedelta(days=1)) == 0
        assert len(failing.received) == MAX_ATTEMPTS
        # And once the endpoint takes events again, the owner's retry delivers it on the next run
        failing.statuses = []
        from chalicelib.parked import retry

        assert retry(table, shops[0].shop_id, parked["entry"], now=moment)
        assert parked_items(table, shops[0].shop_id) == []
        assert deliver_due(table, now=moment + timedelta(seconds=1)) == 1
        assert len(failing.received) == MAX_ATTEMPTS + 1 and len(taking.received) == 1
    finally:
        failing.close()
        taking.close()


def events(table: Any, shop_id: str) -> list[dict[str, Any]]:
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.outbound_event_key(shop_id, "")[keys.SK])
    return items


# --- photos -------------------------------------------------------------------------------------------------------
def test_a_photo_that_fails_to_process_is_put_off_then_parked_and_the_others_are_processed(
    api, outbox, table, monkeypatch, metrics
):
    from chalicelib.photos import service
    from chalicelib.reviews.tokens import review_token
    from chalicelib.storage.s3 import get_storage
    from tests import photo_files
    from tests.unit.test_photos import upload

    # Given two uploads, the first of which fails to process every time
    storage = get_storage()
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    token = review_token(shop.shop_id, "o-1", ["p-mug", "p-cap"])
    broken = upload(api, storage, token, photo_files.jpeg())
    fine = upload(api, storage, token, photo_files.jpeg(), product_id="p-cap")
    real = service.process_photo

    def failing_for_one(table: Any, store: Any, item: dict[str, Any], now: str) -> str:
        if item["photo_id"] == broken:
            raise ValueError("the decoder choked")
        return real(table, store, item, now)

    monkeypatch.setattr(service, "process_photo", failing_for_one)
    monkeypatch.setattr(service, "DUE_PAGE", 1)  # one photo a run: the failing one must not hold the front
    moment = clock.now() + timedelta(seconds=5)
    # When the due work runs, each time once the failing photo is due again
    # (whichever of the two is first: the failing one is put off, so the other is processed by the second run)
    assert service.process_due_photos(table, now=moment) + service.process_due_photos(table, now=moment) == 1
    key = keys.photo_key(shop.shop_id, keys.review_id(shop.shop_id, "o-1", "p-mug"), broken)
    for attempt in range(2, PHOTOS.attempts + 1):
        assert parked_items(table, shop.shop_id) == []
        photo = table.get(key)
        assert int(photo["due_attempts"]) == attempt - 1
        moment = clock.parse(photo[keys.GSI1SK].split("#")[0])
        assert service.process_due_photos(table, now=moment) == 0
    # Then it is parked with its reason, the other one is ready, and nothing of it is due any more
    [parked] = parked_items(table, shop.shop_id)
    assert parked["name"] == "Buyer's photo" and "ValueError" in parked["reason"]
    assert parked["attempts"] == PHOTOS.attempts
    assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
    photos = {p["photo_id"]: p for p in api.request("GET", f"/r/{token}/photos").json["photos"]}
    assert photos[fine]["status"] == "ready"
    assert service.process_due_photos(table, now=moment + timedelta(days=1)) == 0


# --- the owner's view ---------------------------------------------------------------------------------------------
def test_the_overview_lists_a_parked_request_and_its_retry_sends_it_on_the_next_run(api, outbox, table, monkeypatch):
    from chalicelib.auth.csrf import csrf_token
    from chalicelib.reviews.requests import send_due
    from tests import signers
    from tests.unit.test_console import Owner, body

    # Given a signed-in owner whose buyer's address the mail service refused: the request is parked
    owner = Owner(api)
    for kind in ("order.created", "order.fulfilled"):
        owner.deliver(signers.generic_event(kind, "o-9", "c-9", timestamp=signers.days_ago(1, "10:00:00")))
    failures: dict[str, Exception] = {"c-9@example.com": MailRefused(REFUSAL.format("c-9@example.com"))}
    mailer_failing(monkeypatch, failures)
    moment = due_time()
    assert send_due(table, now=moment) == 0
    # When the owner opens the overview
    page = body(owner.get("overview"))
    # Then it lists the parked request with its reason and a retry form for it
    assert "Work that could not be done (1)" in page
    assert "Review request for order o-9" in page and "refused the buyer&#39;s address" in page
    [entry] = [p["entry"] for p in parked_items(table, owner.shop_id)]
    assert f'name="entry" value="{entry}"' in page
    # And a retry with a stale CSRF token changes nothing
    assert owner.post("retry", {"entry": entry}, csrf=csrf_token("old" + owner.session)).status_code == 403
    assert len(parked_items(table, owner.shop_id)) == 1
    # When the owner has put the address right and retries it
    failures.clear()
    answer = owner.post("retry", {"entry": entry})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/dashboard?retried=1")
    # Then it is off the list and due now, and the next run sends it, once, counted once
    assert parked_items(table, owner.shop_id) == []
    order = order_item(table, owner.shop_id, "o-9")
    assert on_due_index(order) and int(order["due_attempts"]) == 0 and "due_state" not in order
    assert send_due(table, now=moment + timedelta(minutes=10)) == 1
    assert send_due(table, now=moment + timedelta(minutes=20)) == 0
    sent = [email.message_from_bytes(path.read_bytes())["To"] for path in outbox.glob("*.eml")]
    assert sent == ["c-9@example.com"]
    assert totals(table, owner.shop_id)["review_requests"] == 1
    # And retrying it again finds nothing parked
    again = owner.post("retry", {"entry": entry})
    assert again.status_code == 303 and again.headers["Location"].endswith("/dashboard?retried=0")
    assert "no longer waiting here" in body(owner.get("overview?retried=0"))


def test_another_shops_parked_item_cannot_be_retried(api, outbox, table, monkeypatch):
    from chalicelib.parked import retry

    # Given a parked request of one shop
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    mailer_failing(monkeypatch, {"c-1@example.com": MailRefused("refused")})
    assert shop.run_due(now=due_time()) == 0
    [parked] = parked_items(table, shop.shop_id)
    # When another shop's owner names it
    other = ReviewShop(api, outbox)
    # Then nothing moves
    assert not retry(table, other.shop_id, parked["entry"])
    assert parked_items(table, shop.shop_id) == [parked]


# --- share cards --------------------------------------------------------------------------------------------------
def test_a_share_card_failing_its_last_attempt_is_parked_and_its_retry_builds_it(api, outbox, table, monkeypatch):
    from chalicelib.backoff import SHARE_CARDS
    from chalicelib.parked import retry
    from chalicelib.photos import cards
    from chalicelib.reviews.tokens import review_token
    from tests.unit.test_photos import submit

    # Given a happy review whose card has failed every attempt but its last
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    code = submit(api, review_token(shop.shop_id, "o-1", ["p-mug"]), []).json["share"]["code"]
    table.update(keys.code_key(code), "SET card_failures = :n", values={":n": SHARE_CARDS.attempts - 1})
    real = cards.build_card
    monkeypatch.setattr(cards, "build_card", lambda *_: (_ for _ in ()).throw(OSError("storage refused")))
    # When its last attempt fails too
    assert cards.build_due_cards(table) == 0
    # Then it is parked, off the due index, with its reason
    [parked] = parked_items(table, shop.shop_id)
    assert parked["name"] == "Share card" and "OSError" in parked["reason"]
    assert parked["attempts"] == SHARE_CARDS.attempts
    monkeypatch.setattr(cards, "build_card", real)
    assert cards.build_due_cards(table) == 0
    # And once retried it is built by the next run
    assert retry(table, shop.shop_id, parked["entry"])
    assert cards.build_due_cards(table) == 1
    built = table.get(keys.code_key(code))
    assert "card_key" in built and "card_failures" not in built and keys.GSI1PK not in built


# --- imports ------------------------------------------------------------------------------------------------------
def test_an_import_whose_steps_keep_failing_is_put_off_then_parked_and_the_others_go_on(
    api, table, monkeypatch, metrics
):
    from chalicelib.backoff import IMPORTS
    from chalicelib.imports import job as import_job
    from chalicelib.imports.runner import advance_due_imports
    from chalicelib.storage.s3 import get_storage
    from tests.unit.test_console import Owner
    from tests.unit.test_console_import import generated, stored_job, upload, view

    # Given two imports left checking, and a step of the first that fails every time
    storage = get_storage()
    owner = Owner(api)
    monkeypatch.setattr(import_job, "CHUNK_ROWS", 2)
    monkeypatch.setattr(import_job, "STEP_SECONDS", 0.0)
    broken = upload(owner, storage, generated(5).encode())
    assert view(owner, broken)["status"] == "checking"
    fine = upload(owner, storage, generated(5).encode())
    assert view(owner, fine)["status"] == "checking"
    real = import_job._step

    def failing_for_one(table: Any, storage: Any, shop: Any, job: dict[str, Any]) -> dict[str, Any]:
        if job["job_id"] == broken:
            raise OSError("storage did not answer")
        return real(table, storage, shop, job)

    monkeypatch.setattr(import_job, "_step", failing_for_one)
    # When the due work runs: the other import moves on, the failing one is put off
    assert advance_due_imports(table) == 1
    assert stored_job(table, owner, fine)["status"] == "checked"
    try:
        for attempt in range(1, IMPORTS.attempts):
            job = stored_job(table, owner, broken)
            assert int(job["due_attempts"]) == attempt and parked_items(table, owner.shop_id) == []
            due_at = clock.parse(job[keys.GSI1SK].split("#")[0])
            assert due_at > clock.now()
            clock.run_from(due_at)
            assert advance_due_imports(table) == 0
    finally:
        clock.run_from(None)
    # Then at its last attempt it is parked, with its reason, and no run takes it up again by itself
    [parked] = parked_items(table, owner.shop_id)
    assert parked["name"] == "Import" and parked["which"] == f"import {broken}" and "OSError" in parked["reason"]
    assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
    assert advance_due_imports(table) == 0


# --- erasure ------------------------------------------------------------------------------------------------------
def test_a_customer_whose_erasure_keeps_failing_is_put_off_then_parked_and_the_others_are_erased(
    api, outbox, table, monkeypatch, metrics
):
    from chalicelib import privacy
    from chalicelib.backoff import ERASURES
    from chalicelib.store.shop_records import get_shop

    # Given a shop asking to be erased, with three customers, the erasure of one of whom fails every time
    shop = ReviewShop(api, outbox)
    for n in range(3):
        shop.fulfilled_order(f"o-{n}", customer_id=f"c-{n}")
    privacy.request_shop_redaction(table, get_shop(table, shop.shop_id))
    real = privacy.redact_customer

    def failing_for_one(table: Any, shop_id: str, customer_id: str, *args: Any, **kw: Any) -> int:
        if customer_id == "c-1":
            raise OSError("storage did not answer")
        return real(table, shop_id, customer_id, *args, **kw)

    monkeypatch.setattr(privacy, "redact_customer", failing_for_one)
    # When the due work runs: the others are erased, the failing one is put off (and counts as erased already)
    assert privacy.run_shop_redactions(table) == 2
    for n in (0, 2):
        assert "email" not in order_item(table, shop.shop_id, f"o-{n}")
    customer = table.get(keys.customer_key(shop.shop_id, "c-1"))
    assert customer["redacted"] and int(customer["due_attempts"]) == 1
    assert privacy.run_shop_redactions(table) == 0  # not due again yet
    try:
        for attempt in range(2, ERASURES.attempts + 1):
            assert parked_items(table, shop.shop_id) == []
            clock.run_from(clock.parse(customer["due_not_before"]))
            assert privacy.run_shop_redactions(table) == 0
            customer = table.get(keys.customer_key(shop.shop_id, "c-1"))
            assert int(customer["due_attempts"]) == attempt
    finally:
        clock.run_from(None)
    # Then it is parked for the operator's alarm, and off the erasure index
    [parked] = parked_items(table, shop.shop_id)
    assert parked["name"] == "Customer erasure" and "OSError" in parked["reason"]
    assert metrics.metric_set[PARKED_METRIC]["Value"] == [1.0]
    assert customer[keys.GSI1PK] == keys.parked_partition(shop.shop_id)
    # And once retried with the fault gone, the next run erases it
    from chalicelib.parked import retry

    monkeypatch.setattr(privacy, "redact_customer", real)
    assert retry(table, shop.shop_id, parked["entry"])
    assert privacy.run_shop_redactions(table) == 1
    assert "email" not in order_item(table, shop.shop_id, "o-1")
    assert keys.GSI1PK not in table.get(keys.customer_key(shop.shop_id, "c-1"))


# --- jobs without an item to park ---------------------------------------------------------------------------------
def test_a_code_whose_roll_up_fails_is_skipped_and_keeps_its_day_open_until_a_pass_rolls_it(
    api, outbox, table, monkeypatch
):
    from chalicelib import rollup
    from tests.unit.test_click_rollup import TODAY_NOON, Advocates

    # Given three codes clicked on a day that is over everywhere, one of whose roll-up fails
    advocates = Advocates(api, outbox, monkeypatch)
    for n in range(3):
        advocates.add(f"c-{n}")
        advocates.click(f"c-{n}")
    _, failing, _ = advocates.by_code()
    real = rollup._roll_up_one

    def failing_for_one(table: Any, shop_id: str, customer_id: str, code: str) -> None:
        if customer_id == failing:
            raise OSError("the database did not answer")
        real(table, shop_id, customer_id, code)

    monkeypatch.setattr(rollup, "_roll_up_one", failing_for_one)
    over = TODAY_NOON.replace(hour=0, minute=10) + timedelta(days=2)
    # When a pass walks the day: the two others are rolled, in the same run
    assert rollup.roll_up_clicks(table, now=over) == 2
    assert advocates.rolled_clicks(table) == {**advocates.clicks, failing: 0}
    # Then the pass that skipped one does not close the day: the next pass rolls it, and then the day is closed
    monkeypatch.setattr(rollup, "_roll_up_one", real)
    assert rollup.roll_up_clicks(table, now=over + timedelta(minutes=10)) == 3
    assert advocates.rolled_clicks(table) == advocates.clicks
    assert rollup.roll_up_clicks(table, now=over + timedelta(minutes=20)) == 0


def test_a_customer_whose_indexing_fails_is_skipped_and_the_shops_other_customers_are_indexed(
    api, outbox, table, monkeypatch
):
    from chalicelib import customer_index

    # Given a shop's three customers from before the search index, one of whom cannot be indexed
    shop = ReviewShop(api, outbox)
    for n in range(3):
        shop.fulfilled_order(f"o-{n}", customer_id=f"c-{n}")
        table.update(keys.customer_key(shop.shop_id, f"c-{n}"), "REMOVE find_tokens, find_indexed")
    customer_index.index_status(table, shop.shop_id)  # the owner's first look lists the shop for the due work
    real = customer_index.index_customer

    def failing_for_one(table: Any, shop_id: str, customer: dict[str, Any]) -> bool:
        if customer["customer_id"] == "c-1":
            raise OSError("the database did not answer")
        return real(table, shop_id, customer)

    monkeypatch.setattr(customer_index, "index_customer", failing_for_one)
    # When the due work indexes them
    assert customer_index.index_older_customers(table) == 3
    # Then the others are indexed and the shop's pass ends (the skipped one is indexed by their next order)
    indexed = {n: bool(table.get(keys.customer_key(shop.shop_id, f"c-{n}")).get("find_indexed")) for n in range(3)}
    assert indexed == {0: True, 1: False, 2: True}
    assert keys.GSI1PK not in table.get(keys.customer_index_cursor_key(shop.shop_id))


def test_a_parked_request_is_not_moved_on_by_the_buyers_not_arrived_yet(api, outbox, table, monkeypatch):
    from chalicelib.reviews.requests import postpone

    # Given a request parked after the mail service refused its address
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    mailer_failing(monkeypatch, {"c-1@example.com": MailRefused("refused")})
    assert shop.run_due(now=due_time()) == 0
    # When the buyer's "not arrived yet" is posted
    answer = postpone(table, shop.shop_id, "o-1")
    # Then nothing is planned for them: it stays parked, for the owner's retry
    assert answer.state == "nothing"
    assert len(parked_items(table, shop.shop_id)) == 1


def test_the_owner_api_lists_parked_items_and_retries_one(api, outbox, table, monkeypatch):
    # Given a shop with a parked request
    shop = ReviewShop(api, outbox)
    shop.fulfilled_order()
    failures: dict[str, Exception] = {"c-1@example.com": MailRefused("refused")}
    mailer_failing(monkeypatch, failures)
    moment = due_time()
    assert shop.run_due(now=moment) == 0
    # When its owner lists the parked items
    listed = shop.owner("GET", "/parked")
    # Then the item is there with its reason; another shop's key is refused
    assert listed.status_code == 200 and listed.json["cursor"] is None
    [item] = listed.json["parked"]
    assert item["job"] == "review_requests" and "refused" in item["reason"] and item["attempts"] == 1
    other = ReviewShop(api, outbox)
    assert api.request("GET", f"/shops/{shop.shop_id}/parked", token=other.api_key).status_code == 403
    # And a retry puts it back (once), and the next run sends it
    failures.clear()
    assert shop.owner("POST", "/parked/retry", {"entry": item["entry"]}).json == {"retried": True}
    again = shop.owner("POST", "/parked/retry", {"entry": item["entry"]})
    assert again.status_code == 404 and again.json["error"]["code"] == "not_parked"
    assert shop.owner("GET", "/parked").json["parked"] == []
    assert shop.run_due(now=moment + timedelta(minutes=10)) == 1


def test_a_refused_reminder_is_parked_uncounted_and_the_request_before_it_stays_counted(
    api, outbox, table, monkeypatch
):
    # Given a buyer asked once, whose address the mail service refuses by the time of the reminder
    shop = ReviewShop(api, outbox, reminder_after_days=7)
    shop.fulfilled_order()
    moment = due_time()
    assert shop.run_due(now=moment) == 1
    mailer_failing(monkeypatch, {"c-1@example.com": MailRefused("refused")})
    # When the reminder is due
    assert shop.run_due(now=moment + timedelta(days=8)) == 0
    # Then the reminder is parked as a reminder, not counted, and the request sent before still counts once
    [parked] = parked_items(table, shop.shop_id)
    assert parked["which"] == "Reminder for order o-1"
    order = order_item(table, shop.shop_id, "o-1")
    assert order["request_status"] == "sent" and order["sent_at"] and "reminded_at" not in order
    assert totals(table, shop.shop_id)["review_requests"] == 1
    assert totals(table, shop.shop_id).get("reminders", 0) == 0
    assert len(shop.emails()) == 1
