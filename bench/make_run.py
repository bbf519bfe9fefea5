"""`make run` on a laptop: resident memory and a clean stop, against DynamoDB Local alone in the same run.

The server is started as `make run` starts it (`localdev.live.LiveServer`: its own DynamoDB Local keeping its
tables in a folder) and has played the demo store's month; the baseline is the same DynamoDB Local, started
the same way on another folder, with the table created. Resident memory is VmRSS summed over the process and
every process it started. A clean stop is SIGTERM (as Ctrl-C or a service manager sends it) until the server
and each process it started have ended.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localdev.live import alive, descendants

README_BOUND_MIB = 700  # README: `make run` stays under 700 MB resident
SEED_TIMEOUT_S = 900
HANG_GUARD_S = 120  # a stop that takes longer is reported as a failure, not waited for


def stop_seconds(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then the time until the process and every process it had started have ended."""
    pids = [process.pid, *descendants(process.pid)]
    started = time.perf_counter()
    os.kill(process.pid, signal.SIGTERM)
    while time.perf_counter() - started < HANG_GUARD_S:
        process.poll()
        if not any(alive(pid) for pid in pids):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"not stopped within {HANG_GUARD_S} s: {[pid for pid in pids if alive(pid)]}")


def measure() -> dict[str, float]:
    import boto3

    from chalicelib.store.schema import create_table
    from localdev.dynamodb import DynamoDBLocal
    from localdev.live import LiveServer, resident_mib

    scratch = Path(tempfile.mkdtemp(prefix="proofloop-bench-make-run-"))
    database = DynamoDBLocal(data_dir=scratch / "alone").start()
    try:
        client = boto3.client(
            "dynamodb",
            endpoint_url=database.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        create_table(client, "proofloop-dev")
        assert database._process is not None
        baseline_mib = resident_mib(database._process.pid)
        baseline_stop = stop_seconds(database._process)
    finally:
        database.stop()

    # As `make run` starts: the demo month played in (slow on a busy machine, so waited for longer than tests do)
    server = LiveServer(None, seed=True, data_dir=scratch / "run", ready_timeout=SEED_TIMEOUT_S)
    try:
        server_mib = server.resident_mib()
        server_stop = stop_seconds(server.process)
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "baseline_mib": baseline_mib,
        "baseline_stop_s": baseline_stop,
        "server_mib": server_mib,
        "server_stop_s": server_stop,
    }


def report(figures: dict[str, float]) -> list[str]:
    mib, base = figures["server_mib"], figures["baseline_mib"]
    stop, base_stop = figures["server_stop_s"], figures["baseline_stop_s"]
    within = "ok" if mib < README_BOUND_MIB else "OVER"
    return [
        "make run (the server and its DynamoDB Local, after the demo month) against DynamoDB Local alone",
        f"  resident memory {mib:5.0f} MiB, {mib / base:.2f}x DynamoDB Local alone ({base:.0f} MiB); "
        f"README: under {README_BOUND_MIB} MB {within}",
        f"  clean stop (SIGTERM, every process ended) {stop:5.2f} s, {stop / base_stop:.2f}x DynamoDB Local's own "
        f"({base_stop:.2f} s)",
    ]


if __name__ == "__main__":
    from bench import ddb_calls

    ddb_calls.use_environment()
    print("\n".join(report(measure())))
