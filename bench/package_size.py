"""The Lambda deployment package `make package` builds: zipped and unzipped size (limits: 50 MB / 250 MB)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(stage: str = "prod") -> tuple[float, float]:
    package = ROOT / "dist" / stage / "deployment.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--stage", stage],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(package) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return package.stat().st_size / 2**20, unzipped / 2**20


def report(figures: tuple[float, float]) -> list[str]:
    zipped, unzipped = figures
    return [
        f"Deployment package: {zipped:.1f} MiB zipped, {unzipped:.1f} MiB unzipped "
        f"(Lambda limits 50 MB zipped upload, 250 MB unzipped)"
    ]


if __name__ == "__main__":
    print("\n".join(report(measure())))
