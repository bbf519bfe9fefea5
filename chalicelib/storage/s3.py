"""The photo bucket: one lazily built S3 client, presigned POSTs that pin what may be uploaded, reads.

`PROOFLOOP_S3_ENDPOINT` (or `S3_ENDPOINT`) points it at any S3-compatible server (the loopback one of
`make run` and the tests); unset, it talks to S3 itself. `PROOFLOOP_MEDIA_BASE_URL` (a CloudFront
distribution in front of the bucket) makes public reads plain URLs; without it they are presigned GETs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from chalicelib import errors
from chalicelib.config import get_settings

UPLOAD_SECONDS = 900  # how long a presigned upload stays valid
READ_SECONDS = 7 * 86400  # a presigned GET's life: SigV4's longest
IMMUTABLE = "public, max-age=31536000, immutable"  # derived objects never change under their key


@dataclass(frozen=True)
class Upload:
    """Where and how the browser posts one file: the form's action and its hidden fields, in order."""

    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class StoredObject:
    """An object as HEAD tells of it."""

    size: int
    etag: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class Storage:
    client: Any
    bucket: str
    media_base_url: str = ""

    def presigned_post(
        self,
        key: str,
        content_type: str,
        max_bytes: int,
        seconds: int = UPLOAD_SECONDS,
        fields: dict[str, str] | None = None,
        conditions: list[Any] | None = None,
    ) -> Upload:
        """A POST that can store exactly `key`, with exactly this Content-Type, of 1 to `max_bytes` bytes.

        `fields` are more fixed fields (each pinned by an `eq` condition), `conditions` more conditions (a
        field the browser fills in, such as metadata chosen on the form)."""
        extra = dict(fields or {})
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type, **extra},
            Conditions=[
                {"bucket": self.bucket},
                ["eq", "$key", key],
                ["eq", "$Content-Type", content_type],
                ["content-length-range", 1, max_bytes],
                *(["eq", f"${name}", value] for name, value in extra.items()),
                *(conditions or []),
            ],
            ExpiresIn=seconds,
        )
        return Upload(url=post["url"], fields={k: str(v) for k, v in post["fields"].items()})

    def presigned_get(self, key: str, seconds: int = READ_SECONDS) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
        )
        return url

    def public_url(self, key: str) -> str:
        """Where a browser reads a published object: through the CDN when there is one, else presigned."""
        if self.media_base_url:
            return f"{self.media_base_url}/{key}"
        return self.presigned_get(key)

    def size_of(self, key: str) -> int | None:
        """The stored object's size in bytes; None when there is no such object."""
        found = self.head(key)
        return found.size if found else None

    def head(self, key: str) -> StoredObject | None:
        """What is stored under `key` (size, version tag, user metadata); None when there is no such object."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return None
            raise errors.RetryLater("the file store did not answer; try again") from exc
        return StoredObject(int(head["ContentLength"]), str(head.get("ETag", "")), dict(head.get("Metadata") or {}))

    def stream(
        self, key: str, start: int = 0, end: int | None = None, if_match: str = "", piece_bytes: int = 64 * 1024
    ) -> Iterator[bytes] | None:
        """The bytes `start` to `end` (inclusive; to the end when None) of an object, read piece by piece as they
        are used; None when there is no such object. With `if_match` (an ETag), an object written again since
        is refused (errors.Conflict, code object_changed) rather than read."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        if if_match:
            params["IfMatch"] = if_match
        try:
            body = self.client.get_object(**params)["Body"]
        except Exception as exc:
            if _missing(exc):
                return None
            if _error_code(exc) in ("412", "PreconditionFailed"):
                raise errors.Conflict("the file was replaced since it was read", code="object_changed") from exc
            raise errors.RetryLater("the file store did not answer; try again") from exc
        return _pieces(body, piece_bytes)

    def read(self, key: str) -> bytes | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _missing(exc):
                return None
            raise errors.RetryLater("the photo store did not answer; try again") from exc
        return body

    def put(self, key: str, body: bytes, content_type: str, cache_control: str = IMMUTABLE) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control
        )

    def put_file(self, key: str, file: IO[bytes], content_type: str) -> None:
        """Store a file of any size from where it is, in parts (multipart past 8 MB), never whole in memory."""
        self.client.upload_fileobj(
            file, self.bucket, key, ExtraArgs={"ContentType": content_type, "CacheControl": "private, no-store"}
        )

    def delete(self, object_keys: list[str]) -> None:
        """Delete objects (absent ones are fine), 1,000 a request as S3 takes them."""
        for start in range(0, len(object_keys), 1000):
            batch = object_keys[start : start + 1000]
            if batch:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_sources() -> tuple[str, str]:
    """What a page's Content-Security-Policy must allow for photos: (img-src, connect-src) origins.

    Computed from settings alone, no client: the loopback endpoint, the CDN, or the bucket's S3 hosts."""
    settings = get_settings()
    if settings.s3_endpoint:
        uploads = _origin(settings.s3_endpoint)
    else:
        bucket, region = settings.photo_bucket, settings.region
        uploads = f"https://{bucket}.s3.amazonaws.com https://{bucket}.s3.{region}.amazonaws.com"
    images = _origin(settings.media_base_url) if settings.media_base_url else uploads
    return images, uploads


def _pieces(body: Any, piece_bytes: int) -> Iterator[bytes]:
    """An object's body piece by piece; closed (its connection let go) when the reader stops, read or not."""
    try:
        yield from body.iter_chunks(piece_bytes)
    finally:
        body.close()


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _missing(exc: Exception) -> bool:
    return _error_code(exc) in ("404", "NoSuchKey", "NotFound")


@lru_cache(maxsize=1)
def get_s3_client() -> Any:
    """The S3 client, built once per process; SigV4 (presigned POSTs need it), path-style on an endpoint."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.s3_endpoint else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=10,
    )
    return boto3.client("s3", region_name=settings.region, endpoint_url=settings.s3_endpoint, config=config)


@lru_cache(maxsize=1)
def get_storage() -> Storage:
    settings = get_settings()
    return Storage(client=get_s3_client(), bucket=settings.photo_bucket, media_base_url=settings.media_base_url)


def reset_storage() -> None:
    """Drop the cached client (tests switch endpoints between cases)."""
    get_storage.cache_clear()
    get_s3_client.cache_clear()


def ensure_bucket(client: Any, bucket: str, origins: list[str]) -> None:
    """Create the bucket if needed, with the CORS rule that lets the review form post to it (local runs, tests)."""
    try:
        client.create_bucket(Bucket=bucket)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    client.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["POST", "GET"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
