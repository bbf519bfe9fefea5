"""Every setting proofloop reads, from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

DEV_ADMIN_TOKEN = "dev-admin-token-change-me"  # noqa: S105 - dev default, refused in prod
DEV_SIGNING_SECRET = "dev-signing-secret-change-me"  # noqa: S105 - dev default, refused in prod


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment; read lazily, cached, resettable in tests."""

    stage: str
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    admin_token: str
    signing_secret: str
    base_url: str
    outbox: str
    mail_sender: str
    mail_backend: str
    trusted_proxies: tuple[str, ...]
    ddb_max_attempts: int

    @property
    def is_dev(self) -> bool:
        return self.stage in ("dev", "local", "test")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = _env("PROOFLOOP_STAGE", "dev")
    port = _env("PORT", "8000")
    endpoint = os.environ.get("DYNAMODB_ENDPOINT", "").strip() or None
    proxies = tuple(p.strip() for p in _env("PROOFLOOP_TRUSTED_PROXIES", "").split(",") if p.strip())
    admin_token = _env("PROOFLOOP_ADMIN_TOKEN", DEV_ADMIN_TOKEN if stage != "prod" else "")
    signing_secret = _env("PROOFLOOP_SIGNING_SECRET", DEV_SIGNING_SECRET if stage != "prod" else "")
    return Settings(
        stage=stage,
        table_name=_env("PROOFLOOP_TABLE", "proofloop"),
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1")),
        dynamodb_endpoint=endpoint,
        admin_token=admin_token,
        signing_secret=signing_secret,
        base_url=_env("PROOFLOOP_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        outbox=_env("PROOFLOOP_OUTBOX", "./outbox"),
        mail_sender=_env("PROOFLOOP_MAIL_FROM", "reviews@proofloop.local"),
        mail_backend=_env("PROOFLOOP_MAIL_BACKEND", "outbox"),
        trusted_proxies=proxies,
        ddb_max_attempts=int(_env("PROOFLOOP_DDB_MAX_ATTEMPTS", "3")),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
