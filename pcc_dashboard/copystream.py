"""A file-like object PostgreSQL's COPY reads from, fed chunk by chunk so the whole text never exists."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator


class CopyStream:
    """Reads from an iterator of (rows, bytes) chunks; `progress(rows)` as each chunk is taken."""

    def __init__(self, chunks: Iterator[tuple[int, bytes]], progress: Callable[[int], None] | None = None) -> None:
        self.chunks = chunks
        self.progress = progress
        self.current = io.BytesIO()

    def read(self, size: int = -1) -> bytes:
        while True:
            data = self.current.read(size)
            if data:
                return data
            item = next(self.chunks, None)
            if item is None:
                return b""
            rows, text = item
            self.current = io.BytesIO(text)
            if self.progress:
                self.progress(rows)

    readline = read
