"""Importing a large review export: rows per second and peak memory, at 1,000 and 10,000 rows.

Each size runs in a fresh interpreter, against DynamoDB Local (each review is a conditional write in a
transaction with its product's counters, which moto copies its whole table for), and reports its own
peak resident memory (VmHWM); the file is read line by line, so the peak should not grow with the rows.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for name, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
}.items():
    os.environ[name] = value


def _write(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "rating", "review_date", "curated", "reviewer_name", "product_id"])
        for n in range(rows):
            writer.writerow(
                [
                    f"Title {n}",
                    f"Review {n}: sturdy, light and comfortable on long days. " * 3,
                    n % 5 + 1,
                    "2025-06-01 10:00:00 UTC",
                    "ok",
                    f"Buyer {n}",
                    f"p-{n % 50}",
                ]
            )


def _run_one(rows: int, dry_run: bool) -> float:
    """In this process: import a file of `rows` rows into a fresh table on DYNAMODB_ENDPOINT; rows per second."""
    from chalicelib.config import get_settings
    from chalicelib.reviews.importing import import_reviews
    from chalicelib.shops.models import ShopCreate
    from chalicelib.shops.service import create_shop
    from chalicelib.store.schema import create_table
    from chalicelib.store.table import get_client, get_table

    # One fresh table per run: the figure never includes another run's data.
    create_table(get_client(), get_settings().table_name)
    shop, _ = create_shop(
        get_table(),
        ShopCreate(
            shop_id="import-bench",
            name="Bench",
            platform="generic",
            domains=["b.example.com"],
            webhook_secret="0123456789abcdef0123",
        ),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        _write(path, rows)
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as handle:
            report = import_reviews(get_table(), shop, handle, "judgeme", dry_run=dry_run)
        elapsed = time.perf_counter() - started
    assert report.imported == rows, report.as_dict()
    return rows / elapsed


def _peak_mib() -> float:
    """This process's own peak resident memory. Not wait4()'s ru_maxrss: Linux carries the parent's peak
    into a child across fork and exec, so a large parent (the other benches) would mask the figure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(sizes: tuple[int, ...] = (1000, 10000)) -> list[tuple[str, int, float, float]]:
    import subprocess

    from localdev.dynamodb import DynamoDBLocal

    figures = []
    database = DynamoDBLocal().start()
    try:
        for mode, rows in [(m, r) for m in ("dry-run", "import") for r in sizes]:
            env = {
                **os.environ,
                "DYNAMODB_ENDPOINT": database.endpoint,
                "PROOFLOOP_TABLE": f"proofloop-bench-{mode}-{rows}",
            }
            process = subprocess.Popen(
                [sys.executable, __file__, "--one", str(rows), mode], stdout=subprocess.PIPE, text=True, env=env
            )
            output = process.stdout.read() if process.stdout else ""
            if process.wait() != 0:
                raise RuntimeError(f"import bench failed for {rows} rows")
            rate, peak = output.split()
            figures.append((mode, rows, float(rate), float(peak)))
    finally:
        database.stop()
    return figures


def report(figures: list[tuple[str, int, float, float]]) -> list[str]:
    lines = ["Import of a Judge.me export (in-process, on DynamoDB Local)"]
    for mode, rows, rate, peak in figures:
        lines.append(f"  {mode:<8} {rows:>6} rows  {rate:8.0f} rows/s  peak {peak:6.1f} MiB resident")
    dry = [f for f in figures if f[0] == "dry-run"]
    if len(dry) > 1:
        lines.append(
            f"  dry-run peak at {dry[-1][1]} / {dry[0][1]} rows: {dry[-1][3] / dry[0][3]:.2f}x (the reader streams)"
        )
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(_run_one(int(sys.argv[2]), dry_run=sys.argv[3] == "dry-run"), _peak_mib())
    else:
        print("\n".join(report(measure())))
