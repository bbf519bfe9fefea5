"""Test photos made with Pillow: good ones (one carrying EXIF GPS), and each kind of file that must be refused."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(width: int = 800, height: int = 600, color: tuple[int, int, int] = (200, 60, 40), gps: bool = False) -> bytes:
    """A JPEG; with `gps`, EXIF holding a GPS position and an orientation (rotate 90 degrees to stand up)."""
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    if gps:
        exif = Image.Exif()
        exif[ORIENTATION] = 6
        exif.get_ifd(GPS_IFD)[1] = "N"
        exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 29.6)
        exif.get_ifd(GPS_IFD)[3] = "E"
        exif.get_ifd(GPS_IFD)[4] = (2.0, 17.0, 40.2)
        image.save(out, "JPEG", exif=exif.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims width x height pixels, in a few dozen bytes: decoding it would take 1.2 GB."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def truncated_jpeg() -> bytes:
    whole = jpeg(1200, 900)
    return whole[: len(whole) // 2]


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def format_of(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        return str(image.format)
