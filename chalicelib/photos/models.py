"""What the photo routes take and answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.model_base import Strict

MAX_PHOTO_BYTES = 10 * 1024 * 1024


class PhotoUploadRequest(Strict):
    product_id: str = Field(min_length=1, max_length=64)
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=MAX_PHOTO_BYTES, description="the file's size in bytes (at most 10 MB)")


class PresignedPost(BaseModel):
    """Post the file as the form field `file`, after these fields, to `url` (multipart/form-data)."""

    url: str
    fields: dict[str, str]


class PhotoUpload(BaseModel):
    photo_id: str
    status: str
    upload: PresignedPost
    max_bytes: int


class PhotoState(BaseModel):
    photo_id: str
    product_id: str
    status: Literal["processing", "ready", "refused"]
    reason: str | None = None
    reason_code: str | None = None
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None
    hidden: bool | None = None
    url: str | None = None


class PhotoStates(BaseModel):
    photos: list[PhotoState]


class PublicPhoto(BaseModel):
    url: str
    thumbnail_url: str
    width: int
    height: int


class _Lenient(BaseModel):
    """An AWS notification: only the fields read are typed; AWS adds others over time."""

    model_config = ConfigDict(extra="ignore")


class S3Object(_Lenient):
    key: str = Field(min_length=1, max_length=1024)
    size: int | None = None


class S3Entity(_Lenient):
    object: S3Object


class S3Record(_Lenient):
    eventName: str  # S3's own field name
    s3: S3Entity


class S3Notification(_Lenient):
    """What S3 sends to the uploads queue when an object is created (a configuration test has no Records)."""

    Records: list[S3Record] = []  # S3's own field name
