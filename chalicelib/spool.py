"""Getting a document of any size to the reader: inline while it fits a Lambda response, else through storage.

The Google feed and every CSV download (`chalicelib/exports.py`) are written here as they are made, into a
spooled temporary file (memory up to SPOOL_IN_MEMORY, then the function's /tmp), so nothing holds a large
document in memory. One that fits INLINE_LIMIT is the answer itself; a larger one (Lambda answers at most
6 MB) is uploaded to the bucket under the key its caller names (under a prefix the bucket's lifecycle rules
expire) and the answer is a redirect to a short-lived presigned read of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO

from chalicelib.http import HttpResponse

SPOOL_IN_MEMORY = 1024 * 1024
INLINE_LIMIT = 5 * 1024 * 1024  # Lambda's response limit is 6 MB, headers and encoding included
LINK_SECONDS = 3600  # the presigned read a large document redirects to


def spool(pieces: Iterable[str]) -> tuple[IO[bytes], int]:
    """The pieces written out as UTF-8 into a spooled file, rewound, and its size."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    size = 0
    for piece in pieces:
        data = piece.encode("utf-8")
        out.write(data)
        size += len(data)
    out.seek(0)
    return out, size


def deliver(pieces: Iterable[str], content_type: str, storage_key: str, headers: dict[str, str]) -> HttpResponse:
    """The document as the answer, or (over INLINE_LIMIT) stored at `storage_key` and redirected to (303)."""
    out, size = spool(pieces)
    with out:
        if size <= INLINE_LIMIT:
            return HttpResponse(
                status=200,
                body=out.read().decode("utf-8"),
                headers={"Content-Type": content_type, **headers},
            )
        from chalicelib.storage.s3 import get_storage

        storage = get_storage()
        storage.put_file(storage_key, out, content_type)
        location = storage.presigned_get(storage_key, seconds=LINK_SECONDS)
    return HttpResponse(status=303, headers={"Location": location, "Cache-Control": "no-store"})
