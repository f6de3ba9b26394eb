"""Evidence files: type by content, and the metadata a reporter did not mean to send removed."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from services.intake.evidence.domain import (
    EvidenceRefused,
    Handling,
    JpegFilter,
    MetadataReport,
    PassThrough,
    PngFilter,
    Rechunker,
    declared_type_agrees,
    sniff,
    strip_pdf,
    strip_zip_document,
)

CANARY = "CANARY5XQ"


def jpeg_with_exif_and_gps(**options: object) -> bytes:
    image = Image.new("RGB", (48, 32), (200, 30, 30))
    for x in range(48):
        image.putpixel((x, x % 32), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = f"{CANARY}-maker"  # Make
    exif[0x013B] = f"{CANARY}-artist"  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (28.0, 11.0, 30.0)
    gps[3], gps[4] = "E", (112.0, 58.0, 12.0)
    buffer = io.BytesIO()
    image.save(
        buffer, "JPEG", exif=exif, comment=f"{CANARY}-comment".encode(), quality=90, **options
    )
    return buffer.getvalue()


def png_with_text() -> bytes:
    image = Image.new("RGBA", (20, 20), (0, 0, 255, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", f"{CANARY}-author")
    info.add_text("Comment", f"{CANARY}-zipped " * 20, zip=True)
    info.add_itxt("Description", f"{CANARY}-itxt 描述")
    exif = Image.Exif()
    exif[0x013B] = f"{CANARY}-exif"
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, exif=exif)
    return buffer.getvalue()


def pdf_with_author() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_blank_page(width=200, height=300)
    writer.add_metadata({"/Author": f"{CANARY}-author", "/Title": f"{CANARY}-title"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
    ),
    "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
    "word/document.xml": '<?xml version="1.0"?><w:document>村里的账目 ledger</w:document>',
    "docProps/core.xml": (
        '<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="y">'
        f"<dc:creator>{CANARY}-creator</dc:creator></cp:coreProperties>"
    ),
    "docProps/app.xml": f'<?xml version="1.0"?><Properties><Company>{CANARY}-co</Company>'
    "</Properties>",
    "docProps/custom.xml": f'<?xml version="1.0"?><Properties>{CANARY}-custom</Properties>',
}


def docx_with_creator() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in DOCX_PARTS.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def odt_with_creator() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            "<office:document-content>text</office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            "meta.xml",
            f"<office:document-meta><meta:initial-creator>{CANARY}-creator"
            "</meta:initial-creator></office:document-meta>",
            zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()


def stream_through(filter_: JpegFilter | PngFilter, data: bytes, piece: int) -> bytes:
    out = b"".join(filter_.feed(data[i : i + piece]) for i in range(0, len(data), piece))
    return out + filter_.finish()


# -- type by content ---------------------------------------------------------------------------


def test_types_are_found_from_the_content_not_the_name():
    assert sniff(jpeg_with_exif_and_gps()).handling is Handling.JPEG
    assert sniff(png_with_text()).handling is Handling.PNG
    assert sniff(pdf_with_author()).handling is Handling.PDF
    assert sniff(docx_with_creator()).handling is Handling.ZIP_DOCUMENT
    assert sniff(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 100).mime == "audio/mpeg"


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,  # a Windows program
        b"#!/bin/sh\nrm -rf /\n",  # a script
        "<html><body>看这里</body></html>".encode(),
        b"\x7fELF\x02\x01\x01" + b"\x00" * 200,
    ],
)
def test_programs_scripts_and_unknown_content_are_refused_with_the_accepted_list(content):
    with pytest.raises(EvidenceRefused) as refused:
        sniff(content)
    assert "accepted are" in refused.value.reason and "PDF" in refused.value.reason


def test_an_empty_file_is_refused():
    with pytest.raises(EvidenceRefused, match="empty"):
        sniff(b"")


def test_a_zip_that_is_not_an_office_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secrets.txt", "anything")
    with pytest.raises(EvidenceRefused, match="archives are not accepted"):
        strip_zip_document(buffer.getvalue(), MetadataReport(), 10**6)


def test_a_declared_type_may_be_generic_but_must_not_contradict_the_content():
    jpeg = sniff(jpeg_with_exif_and_gps())
    assert declared_type_agrees(None, jpeg)
    assert declared_type_agrees("application/octet-stream", jpeg)
    assert declared_type_agrees("image/jpg", jpeg)
    assert declared_type_agrees("image/jpeg; charset=binary", jpeg)
    assert declared_type_agrees("image/png", jpeg)  # mislabelled by a phone: same kind
    assert declared_type_agrees("audio/webm", sniff(b"\x1aE\xdf\xa3\x93B\x82\x84webm" + b"\0" * 64))
    assert not declared_type_agrees("application/pdf", jpeg)
    assert not declared_type_agrees("text/plain", jpeg)


# -- JPEG --------------------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 7, 4096, 10**9])
def test_jpeg_loses_exif_gps_and_comments_and_keeps_every_pixel(piece):
    original = jpeg_with_exif_and_gps()
    assert CANARY.encode() in original and Image.open(io.BytesIO(original)).getexif()
    report = MetadataReport()

    stripped = stream_through(JpegFilter(report), original, piece)

    assert CANARY.encode() not in stripped
    opened = Image.open(io.BytesIO(stripped))
    assert not opened.getexif() and "comment" not in opened.info
    assert opened.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert any("GPS" in item for item in report.removed)
    assert "GPS" in report.note()


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"restart_marker_blocks": 2}, {"progressive": True, "optimize": True}],
)
def test_progressive_and_restart_marker_jpegs_keep_every_pixel(options):
    original = jpeg_with_exif_and_gps(**options)
    stripped = stream_through(JpegFilter(MetadataReport()), original, 3)
    assert CANARY.encode() not in stripped
    assert stripped.count(b"\xff\xda") == original.count(b"\xff\xda")  # every scan kept
    assert Image.open(io.BytesIO(stripped)).tobytes() == (
        Image.open(io.BytesIO(original)).tobytes()
    )


def test_data_hidden_after_the_end_of_a_jpeg_is_dropped():
    original = jpeg_with_exif_and_gps()
    report = MetadataReport()
    stripped = stream_through(JpegFilter(report), original + f"{CANARY}-tail".encode(), 100)
    assert stripped.endswith(b"\xff\xd9") and CANARY.encode() not in stripped
    assert "data appended after the end of the image" in report.removed


def test_a_cut_off_jpeg_is_refused_rather_than_stored_as_if_whole():
    original = jpeg_with_exif_and_gps()
    with pytest.raises(EvidenceRefused, match="incomplete"):
        stream_through(JpegFilter(MetadataReport()), original[: len(original) // 2], 512)


# -- PNG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 5, 64, 10**9])
def test_png_loses_text_and_exif_chunks_and_keeps_every_pixel(piece):
    original = png_with_text()
    assert CANARY.encode() in original
    report = MetadataReport()

    stripped = stream_through(PngFilter(report), original, piece)

    opened = Image.open(io.BytesIO(stripped))
    opened.load()
    assert CANARY.encode() not in stripped
    assert not opened.text and not opened.getexif()
    assert opened.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert any("text notes" in item for item in report.removed)


def test_a_cut_off_png_is_refused():
    original = png_with_text()
    with pytest.raises(EvidenceRefused, match="incomplete"):
        stream_through(PngFilter(MetadataReport()), original[:-20], 64)


# -- documents ---------------------------------------------------------------------------------


def test_pdf_loses_its_author_and_title_and_keeps_its_pages():
    original = pdf_with_author()
    assert CANARY.encode() in original
    report = MetadataReport()

    stripped = strip_pdf(original, report)

    reader = PdfReader(io.BytesIO(stripped))
    assert len(reader.pages) == 2 and float(reader.pages[1].mediabox.height) == 300
    assert not (reader.metadata or {}).get("/Author")
    assert CANARY.encode() not in stripped
    assert any("author" in item for item in report.removed)
    assert report.kept  # the reporter is told what stays


def test_a_damaged_pdf_is_refused():
    with pytest.raises(EvidenceRefused, match="damaged"):
        strip_pdf(b"%PDF-1.7\n" + b"\x00" * 50, MetadataReport())


def test_docx_loses_creator_company_and_custom_properties_and_keeps_its_text():
    original = docx_with_creator()
    report = MetadataReport()

    stripped, mime = strip_zip_document(original, report, 10**6)

    assert mime.endswith("wordprocessingml.document")
    archive = zipfile.ZipFile(io.BytesIO(stripped))
    assert archive.testzip() is None
    assert archive.read("word/document.xml") == DOCX_PARTS["word/document.xml"].encode()
    for part in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        assert CANARY.encode() not in archive.read(part)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    assert report.removed


def test_odt_loses_its_creator_and_keeps_mimetype_first_and_stored():
    stripped, mime = strip_zip_document(odt_with_creator(), MetadataReport(), 10**6)

    assert mime == "application/vnd.oasis.opendocument.text"
    archive = zipfile.ZipFile(io.BytesIO(stripped))
    first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert CANARY.encode() not in archive.read("meta.xml")
    assert archive.read("content.xml").endswith(b"</office:document-content>")


def test_a_document_that_unpacks_too_large_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * 2_000_000)
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(EvidenceRefused, match="unpacks to more"):
        strip_zip_document(buffer.getvalue(), MetadataReport(), 1_000_000)


def test_audio_and_video_are_kept_as_they_are_and_the_reporter_is_told():
    report = MetadataReport()
    mp3 = sniff(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 100)
    passing = PassThrough(report, mp3)
    assert passing.feed(b"abc") == b"abc"
    assert "could not remove" in report.note() and "audio" in report.note()


# -- storage chunks ----------------------------------------------------------------------------


def test_chunks_are_full_size_and_the_last_is_held_back_until_the_end():
    rechunker = Rechunker(4)
    chunks = [*rechunker.feed(b"abcdef"), *rechunker.feed(b"gh")]
    assert chunks == [b"abcd"]  # "efgh" might be the last: held back
    assert [*rechunker.feed(b"i")] == [b"efgh"]
    assert rechunker.rest() == b"i"
