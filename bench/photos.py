"""Photo processing: time and peak memory per photo size, and what 1,000 photos cost on AWS.

Each size is processed in a fresh interpreter that has already imported Pillow and read the upload, so
the peak it reports is what processing itself adds (decoding, turning upright, two re-encodings). The
photos are made to compress like camera photos (gradients and fine noise), not flat colour.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRICES = json.loads((Path(__file__).parent / "prices.json").read_text())
SIZES = {"1 MP": (1152, 864), "4 MP": (2304, 1728), "12 MP": (4000, 3000)}
RUNS = 3
DUE_WORK_MEMORY_GB = 1.0  # scripts/package.py DUE_WORK_MEMORY_MB
VIEWS_PER_PHOTO = 0  # reads by shoppers are priced separately (per 1,000 views below)

CHILD = """
import json, sys, time
from chalicelib.photos.imaging import process
from chalicelib.photos.cards import render_card


def high_water_kib():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (it survives fork and exec).
    status = open("/proc/self/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


data = open(sys.argv[1], "rb").read()
before = high_water_kib()
start = time.perf_counter()
photo = process(data, "image/jpeg")
elapsed = time.perf_counter() - start
peak = high_water_kib()
start = time.perf_counter()
card = render_card(5, "Keeps my tea warm on the trail, and it looks great on the desk too.", "Trail & Co",
                   photo.display.data)
card_s = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_mib": (peak - before) / 1024, "total_mib": peak / 1024,
                  "display_bytes": len(photo.display.data), "thumb_bytes": len(photo.thumbnail.data),
                  "card_seconds": card_s, "card_bytes": len(card)}))
"""


def camera_like_jpeg(width: int, height: int) -> bytes:
    from PIL import Image, ImageFilter

    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    picture = Image.blend(base, noise, 0.35)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def measure(runs: int = RUNS) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (width, height) in SIZES.items():
            path = Path(tmp) / f"{width}x{height}.jpg"
            path.write_bytes(camera_like_jpeg(width, height))
            samples = []
            for _ in range(runs):
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
                )
                samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
            figures[name] = {
                "upload_bytes": path.stat().st_size,
                **{k: statistics.median(s[k] for s in samples) for k in samples[0]},
            }
    return figures


def cost_per_thousand(figures: dict[str, dict[str, Any]], size: str = "12 MP") -> dict[str, float]:
    """1,000 photos of one size, uploaded, processed and kept a month; a share card for each."""
    f = figures[size]
    kept_gb = 1000 * (f["display_bytes"] + f["thumb_bytes"] + f["card_bytes"]) / 1e9
    # Per photo: the upload (POST), display + thumbnail + card (PUT); HEAD + GET of the upload, GET of the
    # display for the card. Deletes are free.
    puts, gets = 1 + 3, 3
    requests = 1000 * (puts * PRICES["s3_put_post_per_thousand"] + gets * PRICES["s3_get_head_per_thousand"]) / 1000
    compute_s = 1000 * (f["seconds"] + f["card_seconds"] + 0.1)  # + storage round trips
    return {
        "storage_month": kept_gb * PRICES["s3_standard_per_gb_month"],
        "requests": requests,
        "lambda": compute_s * DUE_WORK_MEMORY_GB * PRICES["lambda_per_gb_second"],
        "views_per_thousand": PRICES["s3_get_head_per_thousand"] * 2,  # a thumbnail and a display per view
    }


def report(figures: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["Photo processing (check, upright, display 1600 px + thumbnail 320 px, EXIF dropped; one fresh process)"]
    for name, f in figures.items():
        lines.append(
            f"  {name:>6}: {f['seconds'] * 1000:7.0f} ms, peak +{f['peak_mib']:6.1f} MiB (process {f['total_mib']:.0f}"
            f" MiB); upload {f['upload_bytes'] / 1e6:.1f} MB -> display {f['display_bytes'] / 1e3:.0f} KB +"
            f" thumbnail {f['thumb_bytes'] / 1e3:.0f} KB; share card {f['card_seconds'] * 1000:.0f} ms,"
            f" {f['card_bytes'] / 1e3:.0f} KB"
        )
    c = cost_per_thousand(figures)
    total = c["storage_month"] + c["requests"] + c["lambda"]
    lines.append(
        f"Cost of 1,000 12 MP photos (AWS list prices): storage ${c['storage_month']:.4f}/month, S3 requests"
        f" ${c['requests']:.4f}, processing (Lambda at {DUE_WORK_MEMORY_GB:.0f} GB) ${c['lambda']:.4f};"
        f" ${total:.4f} in all, then ${c['views_per_thousand']:.4f} per 1,000 views of a photo"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
