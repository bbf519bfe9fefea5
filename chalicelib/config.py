"""Every setting proofloop reads, from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from chalicelib import errors

# Public, so a local run works out of the box; a deployed function never uses (or accepts) them.
DEV_ADMIN_TOKEN = "dev-admin-token-change-me"  # noqa: S105 - local-run default only
DEV_SIGNING_SECRET = "dev-signing-secret-change-me"  # noqa: S105 - local-run default only


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment; read lazily, cached, resettable in tests."""

    stage: str
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    admin_token: str  # "" when not configured: admin routes answer 503 not_configured
    signing_secret: str  # "" when not configured: nothing is signed or verified (503 not_configured)
    base_url: str
    outbox: str
    mail_sender: str
    mail_backend: str
    trusted_proxies: tuple[str, ...]
    ddb_max_attempts: int
    photo_bucket: str = "proofloop-photos"
    s3_endpoint: str | None = None  # None: real S3
    media_base_url: str = ""  # a CDN (CloudFront) in front of the bucket; "": presigned URLs
    deployed: bool = False  # running as a deployed function (Lambda), whatever the stage

    @property
    def is_dev(self) -> bool:
        """A local run (`chalice local`, the dev server, the tests): never a deployed function."""
        return not self.deployed

    def require_signing_secret(self) -> str:
        if not self.signing_secret:
            raise errors.NotConfigured(
                "this service has no signing secret (PROOFLOOP_SIGNING_SECRET); it cannot sign links"
            )
        return self.signing_secret

    def require_admin_token(self) -> str:
        if not self.admin_token:
            raise errors.NotConfigured(
                "this service has no admin token (PROOFLOOP_ADMIN_TOKEN); admin routes are closed"
            )
        return self.admin_token


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def running_deployed() -> bool:
    """A deployed function, told by what Lambda itself sets: never by `chalice local`, the dev server or tests."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return True
    # Chalice writes AWS_EXECUTION_ENV itself when the app is created, as "AWS_Lambda aws-chalice/<v>" where
    # none was set (so in every local run too): only a runtime Chalice did not make up counts
    # (Lambda's "AWS_Lambda_python3.11").
    runtime = os.environ.get("AWS_EXECUTION_ENV", "").split(" aws-chalice/", 1)[0].strip()
    return runtime not in ("", "AWS_Lambda")


def _secret(name: str, dev_default: str, *, local_dev: bool) -> str:
    value = _env(name, dev_default if local_dev else "")
    # A deployed function given the published development value has, in effect, no secret.
    return "" if not local_dev and value == dev_default else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = _env("PROOFLOOP_STAGE", "dev")
    deployed = running_deployed()
    local_dev = not deployed and stage != "prod"
    port = _env("PORT", "8000")
    endpoint = os.environ.get("DYNAMODB_ENDPOINT", "").strip() or None
    proxies = tuple(p.strip() for p in _env("PROOFLOOP_TRUSTED_PROXIES", "").split(",") if p.strip())
    return Settings(
        stage=stage,
        table_name=_env("PROOFLOOP_TABLE", "proofloop"),
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1")),
        dynamodb_endpoint=endpoint,
        admin_token=_secret("PROOFLOOP_ADMIN_TOKEN", DEV_ADMIN_TOKEN, local_dev=local_dev),
        signing_secret=_secret("PROOFLOOP_SIGNING_SECRET", DEV_SIGNING_SECRET, local_dev=local_dev),
        base_url=_env("PROOFLOOP_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        outbox=_env("PROOFLOOP_OUTBOX", "./outbox"),
        mail_sender=_env("PROOFLOOP_MAIL_FROM", "reviews@proofloop.local"),
        mail_backend=_env("PROOFLOOP_MAIL_BACKEND", "outbox"),
        trusted_proxies=proxies,
        ddb_max_attempts=int(_env("PROOFLOOP_DDB_MAX_ATTEMPTS", "3")),
        photo_bucket=_env("PROOFLOOP_PHOTO_BUCKET", "proofloop-photos"),
        s3_endpoint=_env("PROOFLOOP_S3_ENDPOINT", _env("S3_ENDPOINT", "")) or None,
        media_base_url=_env("PROOFLOOP_MEDIA_BASE_URL", "").rstrip("/"),
        deployed=deployed,
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
