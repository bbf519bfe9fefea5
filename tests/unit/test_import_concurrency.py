"""Two imports of the same file at once store each review, and count it, exactly once.

moto is not safe to drive from two threads at full speed (its transactions are not atomic against each
other), so the runs are interleaved deterministically: each run's table pauses at its first read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.reviews.importing import TRANSACTION_ACTIONS, ImportReport, _transaction_groups, import_reviews
from chalicelib.store import keys
from chalicelib.store.table import Table
from tests.signers import FIXTURES

WAIT = 10  # seconds; a run that waits longer means the interleaving broke
CHUNK = 25  # rows per chunk: small files still cross chunks (moto copies the table for every write of a
# transaction, so large files are slow here)


@pytest.fixture
def shops(api, table) -> Callable[[], Any]:
    from chalicelib.store.shop_records import Shop

    def make() -> Any:
        body, _ = api.create_shop()
        return Shop.from_item(table.get(keys.shop_key(body["shop_id"])))

    return make


def judgeme_lines() -> list[str]:
    return (FIXTURES / "judgeme_export.csv").read_text().splitlines(keepends=True)


def generated_lines(rows: int = 80) -> list[str]:
    """A larger export: three products, every rating, some hidden; several chunks."""
    lines = ["title,body,rating,review_date,curated,reviewer_name,product_id\n"]
    for n in range(rows):
        curated = "spam" if n % 11 == 0 else "ok"
        lines.append(f"T{n},Review number {n},{n % 5 + 1},2025-06-01 10:00:00 UTC,{curated},Buyer {n},p-{n % 3}\n")
    return lines


def run_import(table: Table, shop: Any, lines: list[str]) -> ImportReport:
    return import_reviews(table, shop, lines, "judgeme", dry_run=False, chunk=CHUNK)


def pausing_table(table: Table, after_first_read: Callable[[], None]) -> Table:
    """The same table, whose first read of stored reviews is followed by `after_first_read`."""
    paused = Table(client=table.client, name=table.name)
    real = paused.get_many
    calls = []

    def get_many(key_list: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        found = real(key_list, consistent)
        calls.append(1)
        if len(calls) == 1:
            after_first_read()
        return found

    paused.get_many = get_many  # type: ignore[method-assign]
    return paused


def stats_of(table: Table, shop_id: str, product_ids: set[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for product_id in sorted(product_ids):
        item = table.get(keys.product_stats_key(shop_id, product_id)) or {}
        found[product_id] = {k: v for k, v in item.items() if k == "review_count" or k.startswith("rating_")}
    return found


def reviews_of(table: Table, shop_id: str) -> list[dict[str, Any]]:
    reviews, cursor = [], None
    while True:
        items, cursor = table.query(f"SHOP#{shop_id}", sk_prefix="REVIEW#", limit=500, cursor=cursor)
        reviews.extend(items)
        if cursor is None:
            return reviews


def one_import(table: Table, shop: Any, lines: list[str]) -> tuple[ImportReport, dict[str, Any], int]:
    """What importing the file once, alone, leaves: the report, the products' aggregates, the reviews."""
    report = run_import(table, shop, lines)
    products = {r["product_id"] for r in reviews_of(table, shop.shop_id)}
    return report, stats_of(table, shop.shop_id, products), len(reviews_of(table, shop.shop_id))


def assert_as_one_import(table, shop, lines, first: ImportReport, second: ImportReport, alone) -> None:
    report, stats, count = alone
    products = {r["product_id"] for r in reviews_of(table, shop.shop_id)}
    assert stats_of(table, shop.shop_id, products) == stats
    assert len(reviews_of(table, shop.shop_id)) == count
    assert first.imported + second.imported == report.imported
    for run in (first, second):
        assert run.rows == report.rows and run.rejected == report.rejected
        assert run.imported + run.duplicates == report.imported + report.duplicates


@pytest.mark.parametrize("lines", [judgeme_lines(), generated_lines()], ids=["judgeme", "80-rows"])
def test_an_import_run_entirely_between_anothers_read_and_write_counts_once(table, shops, lines):
    # Given the file imported once, alone, on another shop (what one import leaves)
    alone = one_import(table, shops(), lines)
    shop = shops()
    second: list[ImportReport] = []

    # When run B imports the whole file after run A read which reviews exist, and before A writes
    def run_b() -> None:
        second.append(run_import(table, shop, lines))

    first = run_import(pausing_table(table, run_b), shop, lines)
    # Then reviews, aggregates and the two reports add up to one import
    assert_as_one_import(table, shop, lines, first, second[0], alone)
    assert second[0].imported == alone[0].imported and first.imported == 0


@pytest.mark.parametrize("lines", [judgeme_lines(), generated_lines()], ids=["judgeme", "80-rows"])
def test_two_imports_that_both_read_before_either_writes_count_once(table, shops, lines):
    # Given the file imported once, alone, on another shop
    alone = one_import(table, shops(), lines)
    shop = shops()
    a_read, b_read, a_done = threading.Event(), threading.Event(), threading.Event()
    reports: dict[str, ImportReport] = {}
    failures: list[BaseException] = []

    def a_pause() -> None:  # A has read: let B read, then write first
        a_read.set()
        assert b_read.wait(WAIT)

    def b_pause() -> None:  # B has read (after A): write once A has finished
        b_read.set()
        assert a_done.wait(WAIT)

    def run(name: str, store: Table, done: threading.Event | None) -> None:
        try:
            reports[name] = run_import(store, shop, lines)
        except BaseException as exc:
            failures.append(exc)
        finally:
            if done:
                done.set()

    # When both runs read before either writes, then write one after the other
    runner_a = threading.Thread(target=run, args=("a", pausing_table(table, a_pause), a_done))
    runner_b = threading.Thread(target=run, args=("b", _reading_after(table, a_read, b_pause), None))
    runner_b.start()
    runner_a.start()
    runner_a.join(WAIT * 3)
    runner_b.join(WAIT * 3)
    # Then everything adds up to one import
    assert failures == [] and set(reports) == {"a", "b"}
    assert_as_one_import(table, shop, lines, reports["a"], reports["b"], alone)
    assert reports["a"].imported == alone[0].imported and reports["b"].imported == 0


def _reading_after(table: Table, other_read: threading.Event, after_first_read: Callable[[], None]) -> Table:
    """A pausing table whose first read also waits for the other run's first read."""
    store = pausing_table(table, after_first_read)
    inner = store.get_many
    started = []

    def get_many(key_list: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        if not started:
            started.append(1)
            assert other_read.wait(WAIT)
        return inner(key_list, consistent)

    store.get_many = get_many  # type: ignore[method-assign]
    return store


def test_rows_stored_meanwhile_by_another_import_are_skipped_and_the_rest_written(table, shops):
    # Given run B imports the first half of the file between run A's read and A's write
    lines = generated_lines(60)
    alone = one_import(table, shops(), lines)
    shop = shops()
    half: list[ImportReport] = []

    def run_b() -> None:
        half.append(run_import(table, shop, lines[:31]))

    # When A writes
    first = run_import(pausing_table(table, run_b), shop, lines)
    # Then A stores only the other half, and reviews and aggregates are those of one import
    assert first.imported == alone[0].imported - half[0].imported and first.imported > 0
    assert first.duplicates == half[0].imported
    products = {r["product_id"] for r in reviews_of(table, shop.shop_id)}
    assert stats_of(table, shop.shop_id, products) == alone[1]
    assert len(reviews_of(table, shop.shop_id)) == alone[2]


def test_a_transaction_never_touches_a_product_twice_nor_exceeds_the_limit():
    from chalicelib.reviews.importing import _item, parse

    parsed = [review for _, review in parse(generated_lines(230), "judgeme") if not isinstance(review, str)]
    fresh = [(_item("s", "judgeme", review), review) for review in parsed]
    groups = _transaction_groups(fresh)
    assert sorted(item["review_id"] for group in groups for item, _ in group) == sorted(
        item["review_id"] for item, _ in fresh
    )
    for group in groups:
        counters = {(r["product_id"], r["rating"]) for _, r in group if r["published"]}
        products = [product for product, _ in counters]
        assert len(products) == len(set(products))  # one rating per product per transaction
        assert len(group) + len(counters) <= TRANSACTION_ACTIONS
