"""A multipart/form-data body read part by part as it streams, never spooled.

Starlette's `request.form()` writes any file over 1 MB to a temporary file: plaintext on disk.
Here python-multipart's push parser is fed one piece of the body at a time, and its callbacks
only collect what that piece held; the next piece is read from the network only after the
consumer has taken everything the previous one produced. That pull is the backpressure: at most
one network piece (plus the parser's few bytes of look-behind for the boundary) is in memory,
however large the file, and a slow store slows the upload instead of filling a buffer.

A part's data is an async iterator (`FilePart.chunks()`), so it plugs straight into
`EvidenceStore.attach`. It ends only at the part's closing boundary: a body that stops early
raises `MalformedForm` from inside the iterator, so a cut-off file is never taken as whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 1024  # a tracking code or a language tag; anything longer is not ours
MAX_PARTS = 64
MAX_HEADER_BYTES = 4096


class MalformedForm(Exception):
    """The body is not a well-formed multipart form within our bounds; `reason` is safe to
    show (it never quotes the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def boundary_of(content_type: str | None) -> bytes:
    """The boundary from a `multipart/form-data` Content-Type, or MalformedForm."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise MalformedForm("the form must be sent as multipart/form-data")
    return boundary


@dataclass
class Part:
    """One part's headers: its field name, and for a file its name and declared type."""

    name: str
    filename: str | None  # None for a plain field; "" for a file input left empty
    content_type: str | None

    @property
    def is_file(self) -> bool:
        return self.filename is not None


class MultipartStream:
    """Parts of a multipart body, in order. Each part must be read (`text()` or `chunks()`)
    or skipped (`skip()`) before the next one is asked for; `parts()` skips what was left."""

    def __init__(
        self, body: AsyncIterator[bytes], boundary: bytes, *, max_parts: int = MAX_PARTS
    ) -> None:
        self._body = body
        self._max_parts = max_parts
        self._events: list[tuple[str, Any]] = []
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._ended = False
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": lambda: self._events.append(("begin", None)),
                "on_part_data": self._on_data,
                "on_part_end": lambda: self._events.append(("end", None)),
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": lambda: self._events.append(("headers", None)),
                "on_end": self._on_end,
            },
            max_header_count=8,
            max_header_size=MAX_HEADER_BYTES,
        )
        self._stream = self._event_stream()
        self._headers: dict[bytes, bytes] = {}
        self._in_part = False  # inside a part whose data has not been read to its end
        self.bytes_read = 0

    # -- parser callbacks: they only collect; copies, because the parser reuses its buffer --

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._events.append(
            ("header", (bytes(self._header_field).lower(), bytes(self._header_value)))
        )
        self._header_field.clear()
        self._header_value.clear()

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(("done", None))

    async def _event_stream(self) -> AsyncIterator[tuple[str, Any]]:
        async for piece in self._body:
            self.bytes_read += len(piece)
            try:
                self._parser.write(piece)
            except MultipartParseError as exc:
                raise MalformedForm("the form is not well-formed multipart data") from exc
            events, self._events = self._events, []
            for event in events:
                yield event
            if self._ended:
                return
        if not self._ended:
            raise MalformedForm("the form was cut off before its end")

    async def _next(self) -> tuple[str, Any]:
        try:
            return await anext(self._stream)
        except StopAsyncIteration:
            return ("done", None)

    # -- the consumer's side -----------------------------------------------------------------

    async def parts(self) -> AsyncIterator[Part]:
        count = 0
        while True:
            if self._in_part:
                await self.skip()
            kind, value = await self._next()
            while kind == "header" or kind == "begin":
                if kind == "begin":
                    self._headers = {}
                else:
                    self._headers[value[0]] = value[1]
                kind, value = await self._next()
            if kind == "done":
                return
            if kind != "headers":
                raise MalformedForm("the form is not well-formed multipart data")
            count += 1
            if count > self._max_parts:
                raise MalformedForm(f"a form can have at most {self._max_parts} parts")
            self._in_part = True
            yield self._part()

    def _part(self) -> Part:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise MalformedForm("each part of the form must be a named form-data field")
        filename = options.get(b"filename")
        declared = self._headers.get(b"content-type")
        return Part(
            name=options[b"name"].decode("utf-8", errors="replace"),
            filename=None if filename is None else filename.decode("utf-8", errors="replace"),
            content_type=declared.decode("latin-1") if declared else None,
        )

    async def chunks(self) -> AsyncIterator[bytes]:
        """The current part's bytes as they arrive; ends at its closing boundary only."""
        while self._in_part:
            kind, value = await self._next()
            if kind == "data":
                yield value
            elif kind == "end":
                self._in_part = False
            else:
                raise MalformedForm("the form was cut off before its end")

    async def text(self, limit: int = MAX_FIELD_BYTES) -> str:
        """The current part as a short UTF-8 value (a field, not a file)."""
        value = bytearray()
        async for piece in self.chunks():
            value += piece
            if len(value) > limit:
                raise MalformedForm(f"a form field can be at most {limit} bytes")
        return value.decode("utf-8", errors="replace")

    async def skip(self) -> None:
        async for _ in self.chunks():
            pass

    async def drain(self, limit: int) -> bool:
        """Reads and drops the rest of the body, up to `limit` bytes, so that a browser still
        sending gets to read the answer; False if there was more (or the client went away)."""
        dropped = 0
        try:
            async for piece in self._body:
                dropped += len(piece)
                if dropped > limit:
                    return False
        except Exception:  # the client went away: nobody is left to read the answer
            return False
        return True
