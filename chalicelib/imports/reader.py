"""The stored upload read as text lines by byte range, so a 20 MB file is never held in memory whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.storage.s3 import Storage


class FileRefused(Exception):
    """The stored file cannot be imported at all (not UTF-8, not a CSV, no known layout); the reason says why."""


class Lines:
    """The lines of a stream of bytes as text, counting the bytes handed out: after the csv module returns a
    row, `consumed` is the offset where the next row starts (it reads no line ahead). One pass: the header's
    reader and the rows' reader take turns on the same lines."""

    def __init__(self, pieces: Iterable[bytes], start: int) -> None:
        self.consumed = start
        self._file_start = start == 0
        self._pieces = pieces
        self._lines = self._split(pieces)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def __enter__(self) -> Lines:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading: the stream (an open connection to storage) is let go now, not when collected."""
        self._lines.close()
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    def _split(self, pieces: Iterable[bytes]) -> Generator[str]:
        buffer = bytearray()
        for piece in pieces:
            buffer += piece
            begin = 0
            while (newline := buffer.find(b"\n", begin)) >= 0:
                yield self._text(bytes(buffer[begin : newline + 1]))
                begin = newline + 1
            del buffer[:begin]
        if buffer:
            yield self._text(bytes(buffer))

    def _text(self, raw: bytes) -> str:
        at = self.consumed
        self.consumed += len(raw)
        if self._file_start:
            self._file_start = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte order mark spreadsheets write
        nul = raw.find(0)
        if nul >= 0:  # text never holds NUL bytes; a binary file or UTF-16 text does
            raise FileRefused(
                f"the file is not UTF-8 text (a NUL byte at byte {at + nul + 1}): save it from your "
                "spreadsheet as “CSV UTF-8” and upload it again"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRefused(
                f"the file is not UTF-8 text (byte {at + exc.start + 1}): save it from your spreadsheet as "
                "“CSV UTF-8” and upload it again"
            ) from None


def header_line(header: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(header)
    return out.getvalue()


def open_range(storage: Storage, job: dict[str, Any], start: int, end: int | None = None) -> Lines:
    """The job's file from byte `start` (to `end`, exclusive), as it was when the job began."""
    if start >= int(job["size"]) or (end is not None and end <= start):
        return Lines([], start)
    pieces = storage.stream(job["key"], start, None if end is None else end - 1, if_match=job.get("etag", ""))
    if pieces is None:
        raise FileRefused("the uploaded file is gone (uploads are kept for a day): upload it again")
    return Lines(pieces, start)
