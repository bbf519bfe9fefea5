"""`make run`: DynamoDB Local (data kept in .data/), an S3 endpoint on loopback with the photo bucket, the
table, a demo store, `chalice local`, the due work."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _load_stage(stage: str) -> Any:
    """The stage's Chalice config; loading it imports app.py under the stage's environment."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(project_dir=str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    config.chalice_app  # noqa: B018 - loading the app applies the stage's environment variables now
    return config


def _serve(config: Any, host: str, port: int) -> Any:
    """chalice local's server, built as `chalice local` builds it, with our gateway answers."""
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    from localdev.gateway import ProofloopRequestHandler

    app_obj = config.chalice_app
    CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
    app_obj.__class__ = CustomLocalChalice
    try:
        return LocalDevServer(app_obj, config, host, port, handler_cls=ProofloopRequestHandler)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to a free port") from None


def _due_loop(stop: threading.Event, interval: float) -> None:
    """chalice local never fires scheduled handlers, so run the due work on their schedule here."""
    from chalicelib.jobs import run_due_work
    from chalicelib.observability import logger

    while not stop.wait(interval):
        try:
            run = run_due_work()
            if any(run.ran.values()):
                logger.info("ran due work", extra={"ran": run.ran, "more": run.more})
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            logger.exception("due work failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo store")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("PROOFLOOP_DATA_DIR") or ROOT / ".data"),
        help="where the embedded DynamoDB Local keeps its data between runs (default .data/)",
    )
    parser.add_argument("--in-memory", action="store_true", help="keep nothing: the embedded database lives in memory")
    parser.add_argument("--reset", action="store_true", help="delete the kept data first and start empty")
    parser.add_argument("--due-interval", type=float, default=float(os.environ.get("PROOFLOOP_DUE_INTERVAL", "60")))
    args = parser.parse_args(argv)

    from chalicelib.config import DEV_ADMIN_TOKEN
    from localdev.dynamodb import DynamoDBLocal, use_local_credentials

    os.environ["PORT"] = str(args.port)
    embedded: DynamoDBLocal | None = None
    if not os.environ.get("DYNAMODB_ENDPOINT"):
        use_local_credentials()
        data_dir = None if args.in_memory else args.data_dir
        if data_dir is not None and args.reset and data_dir.exists():
            shutil.rmtree(data_dir)
        where = f"data in {data_dir}" if data_dir else "in memory"
        print(f"Starting DynamoDB Local ({where})...", flush=True)
        # Never the API's own port, picked by our caller.
        embedded = DynamoDBLocal(data_dir=data_dir, avoid=args.port).start()
        os.environ["DYNAMODB_ENDPOINT"] = embedded.endpoint
    os.environ.setdefault("PROOFLOOP_ADMIN_TOKEN", DEV_ADMIN_TOKEN)
    local_s3 = None
    if not (os.environ.get("PROOFLOOP_S3_ENDPOINT") or os.environ.get("S3_ENDPOINT")):
        from localdev.s3 import LocalS3

        local_s3 = LocalS3(avoid=args.port).start()  # photos: presigned uploads and reads on loopback
        os.environ["PROOFLOOP_S3_ENDPOINT"] = local_s3.endpoint

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # a clean stop from the first moment: every process started ends
    try:
        return _serve_until_stopped(args, embedded)
    except KeyboardInterrupt:
        return 0
    finally:
        if embedded:
            embedded.stop()
        if local_s3:
            local_s3.stop()
        print("proofloop stopped.", flush=True)


def _serve_until_stopped(args: argparse.Namespace, embedded: Any) -> int:
    config = _load_stage(args.stage)

    from chalicelib.config import get_settings
    from chalicelib.store.schema import create_table
    from chalicelib.store.table import get_client
    from localdev import seed

    settings = get_settings()
    create_table(get_client(), settings.table_name)
    _create_bucket(settings, f"http://{args.host}:{args.port}")
    demo, fresh = (None, False) if args.no_seed else seed.create_demo_shop()
    server = _serve(config, args.host, args.port)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    stop = threading.Event()
    try:
        base = f"http://{args.host}:{args.port}"
        if demo and fresh:
            print("Playing the demo store's last 30 days through the API, each event on its own day...", flush=True)
            differences, figures = seed.play_demo_month(base, demo)
            print("  " + ", ".join(f"{n.replace('_', ' ')} {v}" for n, v in figures.items()), flush=True)
            if differences:
                print("demo data differs from its plan:\n  " + "\n  ".join(differences), flush=True)
            seed.start_demo_referrals()
        worker = threading.Thread(target=_due_loop, args=(stop, args.due_interval), daemon=True)
        worker.start()
        _print_welcome(base, settings, embedded, demo)
        while serving.is_alive():
            serving.join(timeout=0.5)
        return 0
    finally:
        stop.set()
        server.shutdown()
        server.server.server_close()


def _create_bucket(settings: Any, origin: str) -> None:
    """The photo bucket on the S3 endpoint, with CORS for the pages' own origin (and the base URL's)."""
    from chalicelib.storage.s3 import ensure_bucket, get_s3_client

    origins = sorted({origin, settings.base_url, origin.replace("127.0.0.1", "localhost")})
    ensure_bucket(get_s3_client(), settings.photo_bucket, origins)


def _print_welcome(base: str, settings: Any, embedded: Any, demo: dict[str, Any] | None) -> None:
    print(f"\nproofloop is running on {base}", flush=True)
    print(f"  health        {base}/health")
    print(f"  API document  {base}/openapi.json")
    print(f"  DynamoDB      {settings.dynamodb_endpoint}  (table {settings.table_name})")
    print(f"  S3 (photos)   {settings.s3_endpoint}  (bucket {settings.photo_bucket})")
    if embedded and embedded.data_dir:
        print(f"  data kept in  {embedded.data_dir}  (`make run RESET=1` starts empty)")
    print(f"  admin token   {settings.admin_token}  (set PROOFLOOP_ADMIN_TOKEN to change)")
    print(f"  outbox        {Path(settings.outbox).resolve()}")
    if demo:
        shop = demo["shop_id"]
        print(f"  demo shop     {shop}  owner API key {demo['api_key']}")
        print(f"  report        curl -H 'Authorization: Bearer {demo['api_key']}' {base}/shops/{shop}/report")
        print(f"  dashboard     {base}/shops/{shop}/dashboard  (sign in with the owner API key)")
        print(
            f"  referrals     on: a share link of a happy review opens the friend's page; codes and settings in "
            f"{base}/shops/{shop}/dashboard/referral"
        )
    print("Press Ctrl-C to stop.\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
