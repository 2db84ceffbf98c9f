"""Uploads are decoded, not only sniffed: images through Pillow within a pixel limit, PDFs
through pypdf with no scripts, actions or attached files. No user-facing text lives here.

Magic bytes (bot.documents.sniff_mime) say what a file claims to be; this module checks that
it is only that. An image is walked chunk by chunk (PNG) or segment by segment (JPEG) to its
end marker before Pillow sees it, so its size is known before anything is allocated and
bytes hidden after the end (a PNG+ZIP polyglot) are found; then it is decoded in full.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zlib
from collections.abc import Iterator

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from bot.application.validation import FieldError

log = logging.getLogger(__name__)

# Decompression bombs: an image may claim any size in a few bytes. 40 MP is a 50 MP phone's
# photo cropped a little; Telegram's own photos are at most 2560 px on the long side.
MAX_PIXELS = 40_000_000
# Below this on the short side a licence or an ID card cannot be read by a reviewer.
MIN_SHORT_SIDE = 600
# Bytes after the end marker that are only padding (some encoders add a few).
_PADDING = b"\x00\r\n\t \xff"

# PDF names that run code, act on opening, leave the document or carry other files.
_UNSAFE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/XFA",
        "/RichMedia",
        "/GoToE",
        "/GoToR",
    }
)
# Action types (/S) refused; /URI and /GoTo (a link, a page) are harmless.
_UNSAFE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR"}
    | {"/RichMediaExecute"}
)
# The same names as raw bytes: found even in objects no cross-reference table points to.
_UNSAFE_RAW = re.compile(
    rb"/(?:JS|JavaScript|OpenAction|AA|Launch|SubmitForm|ImportData|EmbeddedFiles?|XFA"
    rb"|RichMedia|GoToE|GoToR)(?=[\s/<>\[\]()%{}]|$)"
)
_MAX_DEPTH = 32


def _undecodable(what: str) -> FieldError:
    return FieldError("document.undecodable", {"what": what})


# --------------------------------------------------------------------------- images


def check_image(data: bytes, mime: str) -> tuple[int, int]:
    """Return (width, height) of a JPEG or PNG that decodes in full and is readable; raise
    FieldError (document.undecodable, .too_many_pixels, .too_small) otherwise."""
    layout = _png_layout if mime == "image/png" else _jpeg_layout
    try:
        width, height, end = layout(data)
    except (IndexError, ValueError, struct.error):  # ran off the end: truncated
        raise _undecodable("image") from None
    if data[end:].strip(_PADDING):
        log.info("image with %d bytes after its end marker refused", len(data) - end)
        raise _undecodable("image")
    if width * height > MAX_PIXELS:
        raise FieldError(
            "document.too_many_pixels",
            {"width": width, "height": height, "max_mp": MAX_PIXELS // 1_000_000},
        )
    if min(width, height) < MIN_SHORT_SIDE:
        raise FieldError(
            "document.too_small", {"width": width, "height": height, "min": MIN_SHORT_SIDE}
        )
    fmt = "PNG" if mime == "image/png" else "JPEG"
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            if image.size != (width, height):
                raise _undecodable("image")
            if fmt == "JPEG":
                # Every scan is still decoded in full at 1/8 scale, in 1/64 of the memory.
                image.draft(image.mode, (width // 8, height // 8))
            image.load()
    except FieldError:
        raise
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, zlib errors, ...
        raise _undecodable("image") from None
    return width, height


def _png_layout(data: bytes) -> tuple[int, int, int]:
    """(width, height, end of IEND) of a PNG, checking every chunk's length and CRC."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise _undecodable("image")
    pos, size = 8, None
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 4 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length + 4 or len(crc) != 4:
            raise _undecodable("image")  # truncated
        if struct.unpack(">I", crc)[0] != zlib.crc32(body):
            raise _undecodable("image")
        if size is None:
            if kind != b"IHDR" or length != 13:
                raise _undecodable("image")
            size = struct.unpack(">II", body[4:12])
        pos += 12 + length
        if kind == b"IEND":
            return size[0], size[1], pos


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}  # RSTn and TEM carry no length


def _jpeg_layout(data: bytes) -> tuple[int, int, int]:
    """(width, height, end of EOI) of a JPEG, walking its segments and entropy-coded scans."""
    if not data.startswith(b"\xff\xd8"):
        raise _undecodable("image")
    pos, size = 2, None
    while True:
        if data[pos] != 0xFF:
            raise _undecodable("image")
        while data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if size is None:
                raise _undecodable("image")
            return size[0], size[1], pos
        if marker in _STANDALONE:
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > len(data):
            raise _undecodable("image")
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            size = (width, height)
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data until a marker that is not RSTn
            pos = _scan_end(data, pos)


def _scan_end(data: bytes, pos: int) -> int:
    while True:
        pos = data.index(b"\xff", pos)  # ValueError at the end of a truncated file
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


# --------------------------------------------------------------------------- PDF


def check_pdf(data: bytes) -> int:
    """Return the page count of a PDF with no scripts, actions, attached files or XFA forms,
    not encrypted, that pypdf can parse; raise FieldError otherwise."""
    if _UNSAFE_RAW.search(data):
        raise FieldError("document.pdf_unsafe")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FieldError("document.pdf_encrypted")
        for obj in _objects(reader):
            _refuse_unsafe(obj, 0)
        pages = len(reader.pages)
    except FieldError:
        raise
    except Exception:  # pypdf raises PdfReadError, ValueError, KeyError, RecursionError, ...
        raise _undecodable("pdf") from None
    if pages == 0:
        raise _undecodable("pdf")
    return pages


def _objects(reader: PdfReader) -> Iterator[object]:
    """Every object the cross-reference tables name, object streams' contents included."""
    yield reader.trailer
    numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    for num, gen in sorted(numbers):
        obj = reader.get_object(IndirectObject(num, gen, reader))
        # The names may hide in a compressed object stream that no table points into.
        is_object_stream = isinstance(obj, StreamObject) and obj.get("/Type") == "/ObjStm"
        if is_object_stream and _UNSAFE_RAW.search(obj.get_data()):
            raise FieldError("document.pdf_unsafe")
        yield obj


def _refuse_unsafe(obj: object, depth: int) -> None:
    """Walk direct dictionaries and arrays (indirect ones are visited on their own)."""
    if depth > _MAX_DEPTH or isinstance(obj, IndirectObject):
        return
    if isinstance(obj, DictionaryObject):
        if any(key in _UNSAFE_KEYS for key in obj):
            raise FieldError("document.pdf_unsafe")
        action = obj.get("/S")
        if isinstance(action, NameObject) and action in _UNSAFE_ACTIONS:
            raise FieldError("document.pdf_unsafe")
        for value in obj.values():
            _refuse_unsafe(value, depth + 1)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            _refuse_unsafe(value, depth + 1)
