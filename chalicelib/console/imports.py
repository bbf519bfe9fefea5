"""The console's view of the import jobs: where each stands and its counts, for the import pages and their JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.imports.job import CHECKING, IMPORTING, STATUS_LABELS
from chalicelib.store import keys

if TYPE_CHECKING:
    from chalicelib.store.table import Table

RECENT = 10
FORMAT_NAMES = {"judgeme": "Judge.me", "yotpo": "Yotpo", "proofloop": "proofloop"}


def recent_jobs(table: Table, shop_id: str) -> list[dict[str, Any]]:
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.IMPORT_PREFIX, limit=RECENT, newest_first=True)
    return [job_view(i) for i in items]


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the import's page and its JSON show: where it stands and its counts."""
    status = job["status"]
    if status == CHECKING:
        done, total = int(job.get("position", 0)), max(int(job.get("size", 0)), 1)
    elif status == IMPORTING:
        done, total = int(job.get("rows_done", 0)), max(int(job.get("rows", 0)), 1)
    else:
        done = total = 1
    return {
        "job_id": job["job_id"],
        "status": status,
        "status_label": STATUS_LABELS[status],
        "format": job.get("format") or job.get("format_asked", "auto"),
        "format_name": FORMAT_NAMES.get(job.get("format") or "", "not known yet"),
        "size": int(job.get("size", 0)),
        "created_at": job["created_at"],
        "updated_at": job.get("updated_at", job["created_at"]),
        "progress": {"done": min(done, total), "total": total, "percent": round(100 * min(done, total) / total)},
        "rows": int(job.get("rows", 0)),
        "accepted": int(job.get("accepted", 0)),
        "rejected": int(job.get("rejected", 0)),
        "already_stored": int(job.get("already_stored", 0)),
        "rows_done": int(job.get("rows_done", 0)),
        "imported": int(job.get("imported", 0)),
        "duplicates": int(job.get("duplicates", 0)),
        "refusal": job.get("refusal"),
        "rejections": [{"row": int(r["row"]), "reason": r["reason"]} for r in job.get("rejections", [])],
    }
