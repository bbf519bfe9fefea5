"""Importing Judge.me and Yotpo exports (dry run first), and exporting every review as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.store import keys
from tests.signers import FIXTURES

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def shop(api):
    body, key = api.create_shop()
    return body["shop_id"], key


def upload(api, shop, name, fmt, dry_run=False):
    shop_id, key = shop
    raw = (FIXTURES / name).read_bytes()
    return api.request(
        "POST",
        f"/shops/{shop_id}/reviews/import?format={fmt}&dry_run={str(dry_run).lower()}",
        raw=raw,
        headers=CSV,
        token=key,
    )


def test_dry_run_reports_every_rejected_row_and_writes_nothing(api, shop, table):
    response = upload(api, shop, "judgeme_export.csv", "judgeme", dry_run=True)
    assert response.status_code == 200, response.body
    report = response.json
    assert report["rows"] == 6 and report["imported"] == 4 and report["dry_run"] is True
    assert report["rejected"] == [
        {"row": 5, "reason": "rating '' is not a number"},
        {"row": 6, "reason": "unreadable date 'last tuesday'"},
    ]
    items, _ = table.query(f"SHOP#{shop[0]}", sk_prefix="REVIEW#")
    assert items == []


def test_judgeme_import_keeps_dates_replies_and_hides_spam(api, shop, table):
    report = upload(api, shop, "judgeme_export.csv", "judgeme").json
    assert report["imported"] == 4 and len(report["rejected"]) == 2
    listing = api.request("GET", f"/shops/{shop[0]}/products/8123456700416/reviews").json
    assert [r["author"] for r in listing["reviews"]] == ["Marco", "Rachel P."]  # newest first, spam not shown
    rachel = listing["reviews"][1]
    assert rachel["published_at"].startswith("2025-08-14") and rachel["verified"] is False
    assert rachel["source"] == "judgeme" and rachel["reply"]["body"] == "Thanks Rachel, happy trails!"
    assert listing["aggregate"]["count"] == 2 and listing["aggregate"]["average"] == 4.0


def test_importing_the_same_file_twice_stores_it_once(api, shop, table):
    upload(api, shop, "judgeme_export.csv", "judgeme")
    again = upload(api, shop, "judgeme_export.csv", "judgeme").json
    assert again["imported"] == 0 and again["duplicates"] == 4
    stats = table.get(keys.product_stats_key(shop[0], "8123456700416"))
    assert stats["review_count"] == 2


def test_yotpo_layout(api, shop):
    report = upload(api, shop, "yotpo_export.csv", "yotpo").json
    assert report["imported"] == 2 and report["rejected"] == [{"row": 4, "reason": "rating 6 is not between 1 and 5"}]
    listing = api.request("GET", f"/shops/{shop[0]}/products/p-bottle/reviews").json
    assert [r["title"] for r in listing["reviews"]] == ["Great bottle"]  # the unpublished one stays hidden


def test_wrong_layout_or_format_is_a_clear_4xx(api, shop):
    assert upload(api, shop, "yotpo_export.csv", "judgeme").status_code == 422
    assert upload(api, shop, "yotpo_export.csv", "trustpilot").status_code == 400
    shop_id, key = shop
    response = api.request(
        "POST", f"/shops/{shop_id}/reviews/import?format=yotpo", raw=b"\xff\xfe", headers=CSV, token=key
    )
    assert response.status_code == 400
    response = api.request(
        "POST",
        f"/shops/{shop_id}/reviews/import?format=yotpo",
        raw=b"{}",
        headers={"Content-Type": "application/json"},
        token=key,
    )
    assert response.status_code == 415


def test_export_has_every_review(api, shop):
    upload(api, shop, "judgeme_export.csv", "judgeme")
    shop_id, key = shop
    response = api.request("GET", f"/shops/{shop_id}/reviews/export.csv", token=key)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert len(rows) == 4 and {r["source"] for r in rows} == {"judgeme"}
    assert {r["status"] for r in rows} == {"published", "rejected"}


def test_import_needs_the_owner_key(api, shop):
    _, other = api.create_shop()
    response = api.request(
        "POST",
        f"/shops/{shop[0]}/reviews/import?format=yotpo",
        raw=(FIXTURES / "yotpo_export.csv").read_bytes(),
        headers=CSV,
        token=other,
    )
    assert response.status_code == 403
