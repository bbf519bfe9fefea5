"""`make bench`: every figure, measured in one run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cold_start, ddb_calls


def main() -> int:
    print("\n".join(cold_start.report(cold_start.measure())))
    print()
    print("\n".join(ddb_calls.report(ddb_calls.run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
