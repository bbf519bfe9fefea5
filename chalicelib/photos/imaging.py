"""Checking an uploaded photo by its content and re-encoding it. The one module, with cards.py, that loads Pillow.

A photo is read by what its bytes are, never by its name or the type it was sent as: the format must be
JPEG, PNG or WebP and the one it was declared as (the presigned POST pinned that Content-Type), its
pixel count bounded before a pixel is decoded, every pixel decoded (a truncated file fails here).
Re-encoding keeps only the pixels: EXIF (GPS position included), ICC, comments and any payload appended
after the image are gone. The EXIF orientation is applied first, so the photo stands as it was taken.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

# What each accepted Content-Type must be, by content.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF", "BMP": "BMP", "TIFF": "TIFF"}
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone's photo, far below what would exhaust the function's memory
DISPLAY_SIDE = 1600
THUMBNAIL_SIDE = 320
QUALITY = 82

# Pillow's own guard (a warning at MAX_IMAGE_PIXELS, an error at twice it) stays on, at our bound.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PhotoRefused(Exception):
    """The upload is not a photo we take; `code` and `message` are shown to the buyer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    display: Rendition
    thumbnail: Rendition


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=tuple(FORMATS.values()))
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:
        raise PhotoRefused(
            "not_an_image", "this file is not a JPEG, PNG or WebP image; choose a photo and try again"
        ) from exc


def _too_many_pixels(width: int = 0, height: int = 0) -> PhotoRefused:
    size = f" ({width} x {height} pixels)" if width and height else ""
    return PhotoRefused(
        "too_many_pixels", f"this image is too large{size}; the largest we take is {MAX_PIXELS // 1_000_000} megapixels"
    )


def check(data: bytes, declared_type: str) -> Image.Image:
    """The decoded image, or PhotoRefused with the reason."""
    expected = FORMATS.get(declared_type)
    if expected is None:
        raise PhotoRefused("unsupported_type", "photos must be JPEG, PNG or WebP images")
    probe = _open(data)
    found = probe.format or ""
    if found != expected:
        raise PhotoRefused(
            "type_mismatch",
            f"this file is a {FORMAT_NAMES.get(found, found)} image but was sent as "
            f"{FORMAT_NAMES.get(expected, expected)}; rename it to match what it is, or save it again",
        )
    width, height = probe.size
    if width * height > MAX_PIXELS or width <= 0 or height <= 0:
        raise _too_many_pixels(width, height)
    try:
        probe.verify()  # the file's structure (chunks, checksums), before any pixel is decoded
        image = Image.open(io.BytesIO(data), formats=(expected,))
        image.load()  # every pixel: a truncated file stops here
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(width, height) from exc
    except Exception as exc:
        raise PhotoRefused("damaged", "this image is damaged or incomplete; choose the file again") from exc
    return image


def _rgb(image: Image.Image) -> Image.Image:
    """Pixels only, on white where the image was transparent."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Image.Image, side: int) -> Rendition:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)  # no exif= : nothing carried over
    return Rendition(out.getvalue(), copy.width, copy.height)


def process(data: bytes, declared_type: str) -> ProcessedPhoto:
    """Checked, turned upright, re-encoded as a display JPEG and a thumbnail; PhotoRefused otherwise."""
    image = check(data, declared_type)
    upright = _rgb(ImageOps.exif_transpose(image) or image)
    return ProcessedPhoto(display=_encode(upright, DISPLAY_SIDE), thumbnail=_encode(upright, THUMBNAIL_SIDE))


def reencoded_picture(data: bytes) -> bytes | None:
    """Any JPEG, PNG or WebP (a product's picture from the shop's site), checked and re-encoded as a display
    JPEG like a buyer's photo; None when it is not one we take."""
    try:
        found = _open(data).format or ""
    except PhotoRefused:
        return None
    declared = next((kind for kind, name in FORMATS.items() if name == found), None)
    if declared is None:
        return None
    try:
        return process(data, declared).display.data
    except PhotoRefused:
        return None
