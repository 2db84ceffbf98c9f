"""Uploads are decoded, not only sniffed: every hostile file is refused with its own code."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from pypdf import PdfWriter

from bot.decoding import MAX_PIXELS, MIN_SHORT_SIDE
from bot.documents import ERROR_CODES, DocumentError, check_document
from tests.e2e.files import PAGES, jpeg, pdf, pdf_document, png

MB = 1024 * 1024


def check(data: bytes, **kwargs: object) -> str:
    options: dict[str, object] = {"declared_mime": None, "file_name": None, "max_bytes": 10 * MB}
    options.update(kwargs)
    return check_document(data, **options)  # type: ignore[arg-type]


def refused(data: bytes, **kwargs: object) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        check(data, **kwargs)
    assert info.value.code in ERROR_CODES
    return info.value


def catalog(extra: bytes) -> bytes:
    return b"<</Type/Catalog/Pages 2 0 R" + extra + b">>"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


# --------------------------------------------------------------------------- images


def test_good_photos_are_accepted() -> None:
    assert check(png(1)) == "image/png"
    assert check(jpeg(1)) == "image/jpeg"
    assert check(jpeg(2, width=1280, height=MIN_SHORT_SIDE)) == "image/jpeg"


def test_a_png_with_a_zip_after_its_end_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.js", "alert(1)")
    error = refused(png(1) + archive.getvalue())
    assert (error.code, error.params) == ("document.undecodable", {"what": "image"})


def test_a_jpeg_with_data_after_its_end_is_refused() -> None:
    error = refused(jpeg(1) + b"<script>alert(1)</script>")
    assert error.code == "document.undecodable"


def test_padding_after_the_end_is_tolerated() -> None:
    assert check(jpeg(1) + b"\x00" * 16) == "image/jpeg"


def test_a_30000_pixel_square_png_is_refused_before_anything_is_allocated() -> None:
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + png_chunk(b"IEND", b"")
    )
    error = refused(bomb)
    assert error.code == "document.too_many_pixels"
    assert error.params == {"width": 30000, "height": 30000, "max_mp": MAX_PIXELS // 1_000_000}


def test_a_40_by_30_photo_is_too_small_to_read() -> None:
    error = refused(jpeg(3, width=40, height=30))
    assert error.code == "document.too_small"
    assert error.params == {"width": 40, "height": 30, "min": MIN_SHORT_SIDE}
    assert refused(png(3, size=599)).code == "document.too_small"


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_a_truncated_jpeg_is_refused(keep: float) -> None:
    data = jpeg(4)
    assert refused(data[: int(len(data) * keep)]).code == "document.undecodable"


def test_a_png_with_a_damaged_chunk_or_cut_short_is_refused() -> None:
    data = bytearray(png(5))
    data[40] ^= 0xFF  # inside IDAT: the CRC no longer matches
    assert refused(bytes(data)).code == "document.undecodable"
    assert refused(png(5)[:-20]).code == "document.undecodable"


# --------------------------------------------------------------------------- PDFs


def test_a_plain_pdf_and_one_with_a_web_link_are_accepted() -> None:
    assert check(pdf()) == "application/pdf"
    link = b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/URI/URI(https://example.com)>>>>"
    page = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Annots[4 0 R]>>"
    assert check(pdf_document([catalog(b""), PAGES[0], page, link])) == "application/pdf"


def test_a_pdf_that_runs_javascript_when_opened_is_refused() -> None:
    action = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"
    data = pdf_document([catalog(b"/OpenAction 4 0 R"), *PAGES, action])
    assert refused(data).code == "document.pdf_unsafe"


def test_a_pdf_with_javascript_written_with_escaped_names_is_refused() -> None:
    # /J#61vaScript is /JavaScript to a PDF reader, but not to a byte search.
    action = b"<</S/J#61vaScript/J#53(app.alert\\(1\\))>>"
    page = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/A#41<</O 4 0 R>>>>"
    data = pdf_document([catalog(b""), PAGES[0], page, action])
    assert refused(data).code == "document.pdf_unsafe"


def test_a_pdf_with_an_embedded_file_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).code == "document.pdf_unsafe"


def test_a_pdf_hiding_an_action_in_a_compressed_object_stream_is_refused() -> None:
    inner = b"<</S/Launch/F(cmd.exe)>>"
    stream = zlib.compress(b"4 0 " + inner)
    objstm = b"<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream" % (
        len(stream),
        stream,
    )
    data = pdf_document([catalog(b""), *PAGES, b"null", objstm])
    assert refused(data).code == "document.pdf_unsafe"


def test_an_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).code == "document.pdf_encrypted"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nnot really a pdf", pdf()[:60], b"%PDF-1.4\n" + bytes(range(256)) * 4],
)
def test_a_pdf_that_does_not_parse_is_refused(data: bytes) -> None:
    error = refused(data)
    assert (error.code, error.params) == ("document.undecodable", {"what": "pdf"})


def test_a_pdf_is_refused_where_only_a_photo_may_go() -> None:
    assert refused(pdf(), pdf_allowed=False).code == "document.photo_expected"
    assert check(png(7), pdf_allowed=False) == "image/png"
