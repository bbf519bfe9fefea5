"""`make bench`: every figure, measured in one run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    cold_start,
    cost,
    ddb_calls,
    experiments,
    feed_memory,
    handler_time,
    hot_link,
    import_csv,
    make_run,
    package_size,
    photos,
)
from localdev import load


def main() -> int:
    started = time.monotonic()
    ddb_calls.use_environment()  # every figure below runs in it, the fresh interpreters of cold_start included
    print("\n".join(cold_start.report(cold_start.measure())))
    print("\n".join(cold_start.report_deployed(cold_start.measure_deployed())))
    print("\n".join(package_size.report(package_size.measure())))
    print()
    results = ddb_calls.run()
    print("\n".join(ddb_calls.report(results)))
    print()
    print("\n".join(handler_time.report(handler_time.measure(results))))
    print()
    print("\n".join(cost.report(cost.estimate(results))))
    print()
    print("\n".join(cost.curve(results)))
    print()
    print("\n".join(import_csv.report(import_csv.measure())))
    print()
    print("\n".join(hot_link.report(hot_link.measure())))
    print()
    print("\n".join(make_run.report(make_run.measure())))
    print()
    print("\n".join(feed_memory.report(feed_memory.measure())))
    print()
    print("\n".join(photos.report(photos.measure())))
    print()
    print("\n".join(experiments.report(experiments.measure())))
    print()
    print("\n".join(load.report(load.measure(customers=300, clients=16))))
    print()
    print("With 10% of the database calls failing (throttling, server errors, answers lost after the write):")
    print("\n".join(load.report(load.measure(customers=100, clients=8, faults=0.1))))
    print()
    print(f"make bench took {(time.monotonic() - started) / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
