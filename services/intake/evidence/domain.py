"""Evidence files: what a file is (by its content), and its metadata taken out. No I/O here.

A reporter's photo can carry the GPS position of their home and the serial number of their
phone; a document can carry their name as its author. Before a file is stored, intake finds its
type from its first bytes (never from its name or declared type), refuses types outside the
allow-list, and removes what metadata it can:

- JPEG and PNG are filtered while they stream: metadata segments and chunks are dropped, the
  image data passes through untouched.
- PDF and office documents (OOXML, ODF) need random access to rewrite, so they are processed
  whole, in memory, and are therefore held to a lower size limit (`max_document_bytes`).
- Audio, video and other image formats are stored as they are: their metadata is not removed,
  and the reporter is told so.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import filetype

# filetype reads signatures from at most this many leading bytes.
SNIFF_BYTES = 8192


class Handling(StrEnum):
    JPEG = "jpeg"  # streamed through the JPEG segment filter
    PNG = "png"  # streamed through the PNG chunk filter
    PDF = "pdf"  # rewritten whole
    ZIP_DOCUMENT = "zip_document"  # OOXML or ODF, rewritten whole
    AS_IS = "as_is"  # stored unchanged; the reporter is told metadata stays


@dataclass(frozen=True)
class EvidenceType:
    mime: str
    kind: str  # image, audio, video, document
    handling: Handling


# The allow-list, by the MIME type filetype reports for the content.
ALLOWED: dict[str, EvidenceType] = {
    t.mime: t
    for t in (
        EvidenceType("image/jpeg", "image", Handling.JPEG),
        EvidenceType("image/png", "image", Handling.PNG),
        EvidenceType("image/gif", "image", Handling.AS_IS),
        EvidenceType("image/webp", "image", Handling.AS_IS),
        EvidenceType("image/heic", "image", Handling.AS_IS),
        EvidenceType("audio/mpeg", "audio", Handling.AS_IS),
        EvidenceType("audio/mp4", "audio", Handling.AS_IS),
        EvidenceType("audio/aac", "audio", Handling.AS_IS),
        EvidenceType("audio/ogg", "audio", Handling.AS_IS),
        EvidenceType("audio/x-wav", "audio", Handling.AS_IS),
        EvidenceType("audio/x-flac", "audio", Handling.AS_IS),
        EvidenceType("audio/amr", "audio", Handling.AS_IS),
        EvidenceType("video/mp4", "video", Handling.AS_IS),
        EvidenceType("video/quicktime", "video", Handling.AS_IS),
        EvidenceType("video/webm", "video", Handling.AS_IS),
        EvidenceType("video/x-matroska", "video", Handling.AS_IS),
        EvidenceType("video/3gpp", "video", Handling.AS_IS),
        EvidenceType("video/x-m4v", "video", Handling.AS_IS),
        EvidenceType("application/pdf", "document", Handling.PDF),
        # Every ZIP is looked into by `zip_document_type`, whatever filetype guessed.
        EvidenceType("application/zip", "document", Handling.ZIP_DOCUMENT),
    )
}

OOXML_MAIN_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
ODF_TYPES = frozenset(
    {
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
ZIP_MIMES = frozenset({"application/zip", *OOXML_MAIN_PARTS.values(), *ODF_TYPES})
ALLOWED_NAMES = (
    "JPEG, PNG, GIF, WebP and HEIC images; MP3, M4A, AAC, Ogg, WAV, FLAC and AMR audio; "
    "MP4, MOV, WebM, MKV and 3GP video; PDF; Word, Excel and PowerPoint (.docx, .xlsx, "
    ".pptx) and OpenDocument files"
)


class EvidenceRefused(Exception):
    """The file cannot be accepted; `reason` is safe to show (it never quotes the content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(head: bytes) -> EvidenceType:
    """The file's type from its first bytes (up to SNIFF_BYTES), or EvidenceRefused."""
    if not head:
        raise EvidenceRefused("the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return ALLOWED["application/zip"]
    guess = filetype.guess(head[:SNIFF_BYTES])
    found = ALLOWED.get(guess.mime) if guess is not None else None
    if found is None:
        what = f"content of type {guess.mime}" if guess is not None else "content of unknown type"
        raise EvidenceRefused(f"this file holds {what}; accepted are {ALLOWED_NAMES}")
    return found


def declared_type_agrees(declared: str | None, detected: EvidenceType) -> bool:
    """A declared Content-Type must not contradict the content.

    Lenient within a kind (phones label a PNG screenshot image/jpeg, and audio and video share
    containers), strict across kinds: a "PDF" that is an image, or an "image" that is a
    program, is refused. The stored type is always the detected one."""
    if declared is None:
        return True
    mime = declared.split(";", 1)[0].strip().lower()
    if mime in ("", "application/octet-stream", "binary/octet-stream"):
        return True
    if detected.handling is Handling.ZIP_DOCUMENT:
        return mime in ZIP_MIMES or mime.startswith(("application/vnd.", "application/x-zip"))
    top = mime.split("/", 1)[0]
    media = ("audio", "video")
    return (
        mime == detected.mime or top == detected.kind or (top in media and detected.kind in media)
    )


@dataclass
class MetadataReport:
    """What was removed, and what could not be, told to the reporter in plain words."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def note_removed(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)

    def note(self) -> str:
        parts = []
        if self.removed:
            parts.append("We removed hidden information from this file: " + ", ".join(self.removed))
        else:
            parts.append("We found no hidden information to remove from this file")
        if self.kept:
            parts.append("We could not remove: " + "; ".join(self.kept))
        return ". ".join(parts) + "."


# -- JPEG ------------------------------------------------------------------------------------

# Segments kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform) and all
# non-APP segments needed to decode. Dropped: APP1 (EXIF, GPS, XMP), APP13 (IPTC/Photoshop),
# other APPn (maker notes, previews) and COM (comments).
_JPEG_KEPT_APP = {0xE0, 0xE2, 0xEE}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length field
_JPEG_SOS, _JPEG_EOI, _JPEG_COM = 0xDA, 0xD9, 0xFE
_JPEG_NAMES = {0xE1: "EXIF/XMP (camera, time, GPS position)", 0xED: "IPTC (author, caption)"}


class JpegFilter:
    """Drops metadata segments from a JPEG as it streams; holds at most one segment header.

    Feed it chunks; it returns what may be stored. After the scan data starts it passes bytes
    through, looking only for the next marker (a 0xFF not followed by 0x00 or RSTn)."""

    def __init__(self, report: MetadataReport) -> None:
        self.report = report
        self._buffer = b""
        self._state = "start"  # start, marker, skip, copy, scan, done
        self._remaining = 0  # bytes left to skip or copy in the current segment
        self._after_segment_is_scan = False

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while self._buffer:
            if self._state == "start":
                if len(self._buffer) < 2:
                    break
                if self._buffer[:2] != b"\xff\xd8":
                    raise EvidenceRefused("the JPEG image is damaged (no start marker)")
                out += self._buffer[:2]
                self._buffer = self._buffer[2:]
                self._state = "marker"
            elif self._state == "marker":
                if not self._marker(out):
                    break
            elif self._state in ("skip", "copy"):
                taken = self._buffer[: self._remaining]
                if self._state == "copy":
                    out += taken
                self._remaining -= len(taken)
                self._buffer = self._buffer[len(taken) :]
                if self._remaining == 0:
                    self._state = "scan" if self._after_segment_is_scan else "marker"
            elif self._state == "scan":
                self._scan(out)
                if self._state == "scan":
                    break
            else:  # done: anything after EOI is not image data (it can hide a whole file)
                self.report.note_removed("data appended after the end of the image")
                self._buffer = b""
        return bytes(out)

    def _marker(self, out: bytearray) -> bool:
        buffer = self._buffer
        # Fill bytes (0xFF repeated) may precede a marker.
        while buffer[:2] == b"\xff\xff":
            buffer = buffer[1:]
        self._buffer = buffer
        if len(buffer) < 2:
            return False
        if buffer[0] != 0xFF:
            raise EvidenceRefused("the JPEG image is damaged (a segment is malformed)")
        marker = buffer[1]
        if marker == _JPEG_EOI:
            out += buffer[:2]
            self._buffer = buffer[2:]
            self._state = "done"
            return True
        if marker in _JPEG_STANDALONE:
            out += buffer[:2]
            self._buffer = buffer[2:]
            return True
        if len(buffer) < 4:
            return False
        (length,) = struct.unpack(">H", buffer[2:4])
        if length < 2:
            raise EvidenceRefused("the JPEG image is damaged (a segment is malformed)")
        drop = marker == _JPEG_COM or (0xE0 <= marker <= 0xEF and marker not in _JPEG_KEPT_APP)
        if drop:
            self.report.note_removed(
                "comments" if marker == _JPEG_COM else _JPEG_NAMES.get(marker, "camera data")
            )
            self._state = "skip"
        else:
            out += buffer[:4]
            self._state = "copy"
        self._after_segment_is_scan = marker == _JPEG_SOS
        self._remaining = length - 2
        self._buffer = buffer[4:]
        return True

    def _scan(self, out: bytearray) -> None:
        buffer = self._buffer
        start = 0
        while True:
            i = buffer.find(b"\xff", start)
            if i < 0 or i + 1 >= len(buffer):
                end = len(buffer) if i < 0 else i
                out += buffer[:end]
                self._buffer = buffer[end:]
                return
            following = buffer[i + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                start = i + 1 if following == 0xFF else i + 2
                continue
            out += buffer[:i]
            self._buffer = buffer[i:]
            self._state = "marker"
            return

    def finish(self) -> bytes:
        if self._state != "done":
            raise EvidenceRefused("the JPEG image is incomplete (it has no end marker)")
        return b""


# -- PNG -------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = {
    b"tEXt": "text notes (author, software, comments)",
    b"zTXt": "text notes (author, software, comments)",
    b"iTXt": "text notes (author, software, comments)",
    b"eXIf": "EXIF (camera, time, GPS position)",
    b"tIME": "the time the image was last changed",
}


class PngFilter:
    """Drops text, EXIF and time chunks from a PNG as it streams; image chunks pass through
    without being buffered whole (an IDAT chunk can be large)."""

    def __init__(self, report: MetadataReport) -> None:
        self.report = report
        self._buffer = b""
        self._signature_seen = False
        self._remaining = 0  # bytes of the current chunk (data + CRC) still to pass or skip
        self._dropping = False
        self._ended = False

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while self._buffer:
            if not self._signature_seen:
                if len(self._buffer) < len(PNG_SIGNATURE):
                    break
                if not self._buffer.startswith(PNG_SIGNATURE):
                    raise EvidenceRefused("the PNG image is damaged (no signature)")
                out += PNG_SIGNATURE
                self._buffer = self._buffer[len(PNG_SIGNATURE) :]
                self._signature_seen = True
            elif self._remaining:
                taken = self._buffer[: self._remaining]
                if not self._dropping:
                    out += taken
                self._remaining -= len(taken)
                self._buffer = self._buffer[len(taken) :]
            elif self._ended:
                self.report.note_removed("data appended after the end of the image")
                self._buffer = b""
            else:
                if len(self._buffer) < 8:
                    break
                length, kind = struct.unpack(">I4s", self._buffer[:8])
                if length > 0x7FFFFFFF or not kind.isalpha():
                    raise EvidenceRefused("the PNG image is damaged (a chunk is malformed)")
                self._dropping = kind in _PNG_DROPPED
                if self._dropping:
                    self.report.note_removed(_PNG_DROPPED[kind])
                else:
                    out += self._buffer[:8]
                self._ended = kind == b"IEND"
                self._remaining = length + 4
                self._buffer = self._buffer[8:]
        return bytes(out)

    def finish(self) -> bytes:
        if not self._ended or self._remaining:
            raise EvidenceRefused("the PNG image is incomplete (it has no end chunk)")
        return b""


class PassThrough:
    def __init__(self, report: MetadataReport, evidence_type: EvidenceType) -> None:
        report.kept.append(
            f"{evidence_type.kind} files may still hold hidden information (such as the device, "
            "time or place of recording); we store them as they are"
        )

    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


# -- whole documents -------------------------------------------------------------------------


def strip_pdf(data: bytes, report: MetadataReport) -> bytes:
    """The PDF rewritten without its document information (author, title, producer, dates)
    and XMP metadata. Rewriting drops earlier revisions that an incremental save leaves in."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise EvidenceRefused(
                "password-protected PDF files cannot be accepted; remove the password first"
            )
        writer = PdfWriter(clone_from=reader)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise EvidenceRefused("the PDF file is damaged and cannot be read") from exc
    if reader.metadata:
        report.note_removed("document properties (author, title, software, dates)")
    writer.metadata = None
    if "/Metadata" in writer.root_object:
        report.note_removed("XMP metadata")
        writer.xmp_metadata = None
    for page in writer.pages:
        if "/Metadata" in page:
            report.note_removed("XMP metadata")
            del page["/Metadata"]
    report.kept.append(
        "names or notes inside the document's own text, comments and images stay as they are"
    )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


_EMPTY_PARTS = {
    "docProps/core.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        b'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
    ),
    "docProps/app.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'extended-properties"/>'
    ),
    "docProps/custom.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'custom-properties"/>'
    ),
    "meta.xml": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' office:version="1.2"><office:meta/></office:document-meta>'
    ),
}
_OFFICE_PROPERTIES = "document properties (author, company, dates, editing time)"
# Fixed entry times: the original ones say when the reporter last edited each part.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_document_type(archive: zipfile.ZipFile) -> str:
    """The OOXML or ODF type of a ZIP, or EvidenceRefused for any other archive."""
    names = set(archive.namelist())
    if "mimetype" in names:
        mime = archive.read("mimetype").decode("ascii", "replace").strip()
        if mime in ODF_TYPES:
            return mime
    if "[Content_Types].xml" in names:
        for part, mime in OOXML_MAIN_PARTS.items():
            if part in names:
                return mime
    raise EvidenceRefused(f"archives are not accepted; accepted are {ALLOWED_NAMES}")


def strip_zip_document(
    data: bytes, report: MetadataReport, max_unpacked_bytes: int
) -> tuple[bytes, str]:
    """The document with its property parts emptied, and its exact type.

    Every part is unpacked in memory to be written again, so the unpacked total is bounded
    (a small "zip bomb" would otherwise unpack to gigabytes)."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in source.infolist()) > max_unpacked_bytes:
            raise EvidenceRefused("the document unpacks to more than we can accept")
        mime = zip_document_type(source)
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as target:
            # Same order and compression as the original: ODF needs `mimetype` first, stored.
            for info in source.infolist():
                content = source.read(info)
                if info.filename in _EMPTY_PARTS and content.strip():
                    report.note_removed(
                        "document properties (author, company, dates, editing time)"
                    )
                    content = _EMPTY_PARTS[info.filename]
                entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
                entry.compress_type = info.compress_type
                entry.external_attr = info.external_attr
                target.writestr(entry, content)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, ValueError) as exc:
        raise EvidenceRefused("the document is damaged and cannot be read") from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise EvidenceRefused("the document uses a compression we cannot read") from exc
    report.kept.append(
        "names inside the document itself (comments, tracked changes, text) stay as they are"
    )
    return output.getvalue(), mime


# -- re-chunking for storage -----------------------------------------------------------------


class Rechunker:
    """Cuts a byte stream into fixed-size chunks, always holding the latest one back, so that
    the last chunk is known to be the last when it is sealed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pending = bytearray()

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._pending += data
        # Strictly more than one chunk pending: the full one is then certainly not the last.
        while len(self._pending) > self.size:
            yield bytes(self._pending[: self.size])
            del self._pending[: self.size]

    def rest(self) -> bytes:
        rest = bytes(self._pending)
        self._pending.clear()
        return rest
