"""The import CLI streams a large export to the API in chunks, on DynamoDB Local."""

from __future__ import annotations

import csv

from localdev import import_reviews


def test_cli_imports_a_large_file_in_chunks_and_reports_rejections(live, new_shop, tmp_path, capsys):
    shop, key = new_shop()
    path = tmp_path / "judgeme.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "rating", "review_date", "curated", "reviewer_name", "product_id"])
        for n in range(3000):
            rating = "9" if n == 1234 else str(n % 5 + 1)
            writer.writerow(
                [
                    f"Title {n}",
                    f"Body of review {n} " + "x" * 60,
                    rating,
                    "2025-06-01 10:00:00 UTC",
                    "ok",
                    f"Buyer {n}",
                    f"p-{n % 7}",
                ]
            )
    assert (
        import_reviews.main(
            [str(path), "--url", live.url, "--shop", shop["shop_id"], "--key", key, "--format", "judgeme"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "3000 rows: imported 2999, 0 already there, 1 rejected" in out
    assert "row 1236: rating 9 is not between 1 and 5" in out
    summary = live.request("GET", f"/shops/{shop['shop_id']}/ratings?products=" + ",".join(f"p-{n}" for n in range(7)))
    assert sum(p["count"] for p in summary.json()["products"].values()) == 2999
