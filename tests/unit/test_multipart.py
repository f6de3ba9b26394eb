"""The streaming multipart reader: parts in order, file bytes exactly as sent, whatever sizes
the network cuts the body into, and a cut-off body never read as a whole file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from services.intake.evidence.multipart import MalformedForm, MultipartStream, boundary_of

BOUNDARY = b"----TiplineBoundary7MA4YWxkTrZu0gW"


def form_body(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    body = b""
    for name, filename, content in parts:
        body += b"--" + BOUNDARY + b"\r\n"
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
            body += disposition.encode() + b"\r\nContent-Type: image/jpeg\r\n\r\n"
        else:
            body += disposition.encode() + b"\r\n\r\n"
        body += content + b"\r\n"
    if close:
        body += b"--" + BOUNDARY + b"--\r\n"
    return body


async def in_pieces(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def read_all(stream: MultipartStream) -> list[tuple[str, str | None, bytes]]:
    seen = []
    async for part in stream.parts():
        content = b""
        async for piece in stream.chunks():
            content += piece
        seen.append((part.name, part.filename, content))
    return seen


# A file that holds the boundary's first bytes and CRLFs, to tempt the parser.
TRICKY = os.urandom(5000) + b"\r\n--" + BOUNDARY[:10] + b"\r\n" + os.urandom(3000)


@pytest.mark.parametrize("piece_size", [1, 2, 3, 7, 64, 65536])
async def test_parts_come_out_whole_and_in_order_whatever_the_piece_size(piece_size: int):
    body = form_body(
        ("lang", None, b"zh"),
        ("code", None, b"K7Q-M3X-W9T"),
        ("files", "账本.jpg", TRICKY),
        ("files", "second.jpg", b"\xff\xd8\xff" + b"x" * 100),
    )
    stream = MultipartStream(in_pieces(body, piece_size), BOUNDARY)

    seen = await read_all(stream)

    assert seen == [
        ("lang", None, b"zh"),
        ("code", None, b"K7Q-M3X-W9T"),
        ("files", "账本.jpg", TRICKY),
        ("files", "second.jpg", b"\xff\xd8\xff" + b"x" * 100),
    ]


async def test_a_file_streams_in_pieces_no_larger_than_what_the_network_gave():
    content = os.urandom(300_000)
    body = form_body(("code", None, b"X"), ("files", "big.jpg", content))
    stream = MultipartStream(in_pieces(body, 4096), BOUNDARY)
    sizes = []
    async for part in stream.parts():
        if part.is_file:
            async for piece in stream.chunks():
                sizes.append(len(piece))
    assert sum(sizes) == len(content) and max(sizes) <= 4096 and len(sizes) > 70


async def test_the_next_body_piece_is_read_only_when_the_consumer_asks():
    """Backpressure: the reader pulls from the network as the store takes bytes, no sooner."""
    body = form_body(("code", None, b"X"), ("files", "f.jpg", os.urandom(50_000)))
    pulled = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal pulled
        async for piece in in_pieces(body, 1000):
            pulled += 1
            yield piece

    stream = MultipartStream(counted(), BOUNDARY)
    async for part in stream.parts():
        if part.is_file:
            chunks = stream.chunks()
            await anext(chunks)
            assert pulled <= 3  # the code's piece and the file's first: not the whole body
            await chunks.aclose()
            break


async def test_a_body_cut_off_inside_a_file_raises_from_the_files_bytes():
    body = form_body(("code", None, b"X"), ("files", "f.jpg", os.urandom(20_000)))
    cut = body[: len(body) // 2]
    stream = MultipartStream(in_pieces(cut, 500), BOUNDARY)
    with pytest.raises(MalformedForm, match="cut off"):
        await read_all(stream)


async def test_a_body_without_its_closing_boundary_is_cut_off_too():
    body = form_body(("code", None, b"X"), ("files", "f.jpg", b"abc"), close=False)
    stream = MultipartStream(in_pieces(body, 3), BOUNDARY)
    with pytest.raises(MalformedForm):
        await read_all(stream)


async def test_a_field_longer_than_a_code_is_refused_without_reading_on():
    body = form_body(("code", None, b"A" * 5000))
    stream = MultipartStream(in_pieces(body, 100), BOUNDARY)
    with pytest.raises(MalformedForm, match="at most"):
        async for _part in stream.parts():
            await stream.text()


async def test_parts_left_unread_are_skipped_and_too_many_parts_are_refused():
    body = form_body(*[("other", None, b"x")] * 5, ("code", None, b"C"))
    stream = MultipartStream(in_pieces(body, 9), BOUNDARY)
    names = [part.name async for part in stream.parts()]
    assert names == ["other"] * 5 + ["code"]
    stream = MultipartStream(in_pieces(body, 9), BOUNDARY, max_parts=3)
    with pytest.raises(MalformedForm, match="at most 3 parts"):
        async for _part in stream.parts():
            pass


async def test_garbage_is_not_a_form():
    stream = MultipartStream(in_pieces(b"hello world, not multipart at all", 4), BOUNDARY)
    with pytest.raises(MalformedForm):
        await read_all(stream)


def test_the_boundary_comes_from_a_multipart_content_type_only():
    assert boundary_of(f"multipart/form-data; boundary={BOUNDARY.decode()}") == BOUNDARY
    for wrong in (None, "application/x-www-form-urlencoded", "multipart/form-data"):
        with pytest.raises(MalformedForm):
            boundary_of(wrong)
