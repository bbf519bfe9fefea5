"""Import a Judge.me, Yotpo or proofloop CSV export of any size into a running proofloop, in chunks, with progress.

    python -m localdev.import_reviews --url https://<api> --shop <shop id> --key <owner key> \\
        --format judgeme [--dry-run] reviews.csv
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import requests

CHUNK_BYTES = 200 * 1024  # under the API's 256 KiB body limit
# The rows are written again as read. The csv module quotes a field only for its line terminator's characters:
# with \r\n, a cell holding a lone carriage return (a proofloop export's neutralised '\r=...) stays quoted.
LINE_END = "\r\n"


def chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The header plus as many whole rows as fit, and how many bytes of the file each chunk covered."""
    import csv
    import io

    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=LINE_END)
        writer.writerow(header)
        start = buffer.tell()
        consumed = 0
        for row in reader:
            before = buffer.tell()
            writer.writerow(row)
            consumed += buffer.tell() - before
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode(), consumed
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator=LINE_END)
                writer.writerow(header)
                consumed = 0
        if buffer.tell() > start:
            yield buffer.getvalue().encode(), consumed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--shop", required=True)
    parser.add_argument("--key", required=True, help="the shop's owner API key")
    parser.add_argument("--format", required=True, choices=["judgeme", "yotpo", "proofloop"])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    total = max(args.file.stat().st_size, 1)
    done = 0
    totals = {"rows": 0, "imported": 0, "duplicates": 0}
    rejected: list[dict[str, object]] = []
    session = requests.Session()
    row_offset = 0
    for body, size in chunks(args.file):
        response = session.post(
            f"{args.url.rstrip('/')}/shops/{args.shop}/reviews/import",
            params={"format": args.format, "dry_run": str(args.dry_run).lower()},
            data=body,
            timeout=120,
            headers={"Content-Type": "text/csv", "Authorization": f"Bearer {args.key}"},
        )
        if response.status_code != 200:
            print(f"\nimport stopped: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        report = response.json()
        for name in totals:
            totals[name] += report[name]
        rejected += [{"row": r["row"] + row_offset, "reason": r["reason"]} for r in report["rejected"]]
        row_offset += report["rows"]
        done += size
        filled = int(30 * done / total)
        sys.stdout.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {min(done, total) * 100 // total:3d}%  {totals['rows']} rows"
        )
        sys.stdout.flush()
    print()
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{totals['rows']} rows: {verb} {totals['imported']}, {totals['duplicates']} already there, "
        f"{len(rejected)} rejected"
    )
    for rejection in rejected:
        print(f"  row {rejection['row']}: {rejection['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
