"""CopyStream hands COPY the chunks' bytes in order, whatever size it reads, and reports progress."""

import pytest

from pcc_dashboard.copystream import CopyStream


@pytest.mark.parametrize("size", [1, 3, 7, 1 << 20, -1])
def test_reads_every_byte_in_order_at_any_read_size(size):
    chunks = [(2, b"ab\ncd\n"), (0, b""), (1, b"\xc3\xa9\n"), (3, b"x\ny\nz\n")]
    seen: list[int] = []
    stream = CopyStream(iter(chunks), seen.append)
    out = b""
    while data := stream.read(size):
        out += data
    assert out == b"".join(text for _, text in chunks)
    assert seen == [2, 0, 1, 3]


def test_nothing_to_read_is_an_empty_stream():
    assert CopyStream(iter([])).read(10) == b""
