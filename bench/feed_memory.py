"""Google's product review feed at 1,000 and 100,000 reviews: peak memory while it is written, and speed.

The feed code runs as it does in the function (`chalicelib.feeds.google.feed` spooled by
`chalicelib.spool.spool`); the table it reads is a stand-in that makes each page of reviews as it
is asked for, the way DynamoDB hands out pages, so the figures are the feed's own and not a database's.
Peak memory is Python's traced allocations (tracemalloc) while the whole feed is made; it should not grow
with the reviews. The ratio is 100,000 against 1,000 in the same run.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRODUCTS = 500
GOAL_PEAK_RATIO = 1.25  # 100x the reviews may cost a quarter more at most: what grows goes to the spooled file


class PagedReviews:
    """Answers the two calls the feed makes: a page of a shop's reviews, and a batch of products."""

    def __init__(self, shop_id: str, reviews: int) -> None:
        self.shop_id = shop_id
        self.reviews = reviews

    def query(self, pk_value: str, *, sk_prefix: str | None = None, limit: int = 50, cursor: Any = None, **_: Any):
        from chalicelib.store import keys

        if sk_prefix != keys.REVIEW_PREFIX:
            return [], None
        start = int(cursor["n"]) if cursor else 0
        end = min(start + limit, self.reviews)
        items = [self._review(n) for n in range(start, end)]
        return items, ({"n": end} if end < self.reviews else None)

    def query_all(self, pk_value: str, **kwargs: Any) -> Any:
        from chalicelib.store.table import Table

        return Table.query_all(self, pk_value, **kwargs)  # type: ignore[arg-type]  # pages through query() above

    def get_many(self, key_list: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        found = []
        for key in key_list:
            pid = key["SK"].split("#", 1)[1]
            found.append(
                {
                    "product_id": pid,
                    "title": f"Alpine Trail Backpack {pid}",
                    "url": f"https://{self.shop_id}.example.com/products/{pid}",
                    "skus": [f"ATB-{pid}-SLT", f"ATB-{pid}-RED"],
                    "gtins": ["4006381333931"],
                    "mpns": [],
                    "brand": "Trail & Summit",
                }
            )
        return found

    def _review(self, n: int) -> dict[str, Any]:
        return {
            "review_id": f"rv_{n:024d}",
            "product_id": f"p-{n % PRODUCTS}",
            "order_id": f"{1000000 + n}",
            "author": f"Buyer {n % 997}",
            "rating": n % 5 + 1,
            "title": "Sturdy and light",
            "body": f"Review {n}: sturdy, light and comfortable on long days above the tree line. " * 3,
            "status": "published",
            "created_at": "2026-11-01T10:00:00Z",
        }


def bench_shop() -> Any:
    """The shop whose feed is measured (and whose paging the unit tier checks): nothing of it is read from a table."""
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.shop_settings import ShopSettings

    return Shop(
        shop_id="bench-shop",
        name="Trail & Summit Outfitters",
        platform="generic",
        domains=["bench-shop.example.com"],
        webhook_secret="unused",
        settings=ShopSettings.from_map(None),
        api_key_hash="unused",
        created_at="2026-11-01T00:00:00Z",
    )


def measure_one(reviews: int) -> dict[str, float]:
    from chalicelib.feeds.google import feed
    from chalicelib.spool import spool

    shop = bench_shop()
    table: Any = PagedReviews(shop.shop_id, reviews)
    started = time.perf_counter()
    out, size = spool(feed(table, shop))
    seconds = time.perf_counter() - started  # untraced: tracing slows allocation-heavy code down
    out.close()
    tracemalloc.start()
    out, _ = spool(feed(table, shop))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out.close()
    return {"reviews": reviews, "seconds": seconds, "peak_bytes": peak, "feed_bytes": size}


def measure(small: int = 1_000, large: int = 100_000) -> list[dict[str, float]]:
    measure_one(200)  # imports and first-call costs out of the way
    return [measure_one(small), measure_one(large)]


def report(results: list[dict[str, float]]) -> list[str]:
    small, large = results
    lines = ["Google product review feed (written through a spooled file; memory is traced Python allocations):"]
    for r in results:
        lines.append(
            f"  {int(r['reviews']):>7,} reviews: {r['feed_bytes'] / 1e6:7.1f} MB of XML in {r['seconds']:5.2f} s "
            f"({r['reviews'] / r['seconds']:,.0f} reviews/s), peak memory {r['peak_bytes'] / 1e6:5.2f} MB"
        )
    ratio = large["peak_bytes"] / small["peak_bytes"]
    lines.append(
        f"  peak memory {int(large['reviews']):,} vs {int(small['reviews']):,} reviews: "
        f"{ratio:.2f}x (goal <= {GOAL_PEAK_RATIO}x, flat is 1x; the feed is "
        f"{large['feed_bytes'] / small['feed_bytes']:.0f}x larger) {'ok' if ratio <= GOAL_PEAK_RATIO else 'OVER'}"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
