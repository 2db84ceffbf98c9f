"""Remove what an uploaded image says about its sender before it is stored.

A phone's JPEG carries EXIF: the GPS position where it was taken, the camera's serial number,
the owner's name, the time, often a thumbnail of the uncropped picture; a PNG can carry text
chunks with the same. A document photo needs none of it, so it is dropped before the file is
encrypted and stored.

The pixels stay exactly as uploaded: metadata segments (JPEG) or chunks (PNG) are cut out of
the file, nothing is decoded and encoded again. The one exception is an EXIF orientation other
than "upright": without the EXIF a viewer would show the photo on its side, so the picture is
turned the way the EXIF said (the only re-encoding, with the JPEG's own quantization tables).

Only a file that bot.decoding.check_image accepted comes here. No user-facing text lives here.
"""

from __future__ import annotations

import io
import struct

from PIL import ExifTags, Image, ImageOps, JpegImagePlugin

__all__ = ["strip_metadata"]

# JPEG APPn segments that are about the pixels, by their identifier; every other APPn (EXIF,
# XMP, IPTC/Photoshop, maker notes, FlashPix, ...) and every comment is dropped.
_JPEG_KEEP_APP = {
    0xE0: (b"JFIF\x00",),  # JFIF: pixel density (its optional thumbnail is at most tiny)
    0xE2: (b"ICC_PROFILE\x00",),  # the colour profile: without it colours shift
    0xEE: (b"Adobe",),  # Adobe: says whether the data is RGB, YCbCr or YCCK
}
_APP = range(0xE0, 0xF0)
_COM = 0xFE
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}

# PNG chunks that decide how the pixels look; every other (tEXt, zTXt, iTXt, eXIf, tIME,
# private chunks, animation) is dropped.
_PNG_KEEP = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"}
    | {b"bKGD", b"pHYs"}
)


def strip_metadata(data: bytes, mime: str) -> bytes:
    """The image without EXIF, XMP, IPTC, comments or text chunks, turned upright if its EXIF
    said so; PDFs and other types are returned unchanged. CPU-bound: call it in a thread."""
    if mime not in ("image/jpeg", "image/png"):
        return data
    if _orientation(data) not in (None, 1):
        return _upright(data, mime)
    return _jpeg_segments(data) if mime == "image/jpeg" else _png_chunks(data)


def _orientation(data: bytes) -> int | None:
    with Image.open(io.BytesIO(data)) as image:
        value = image.getexif().get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _upright(data: bytes, mime: str) -> bytes:
    """Turn the picture as its EXIF orientation says and save it with no metadata."""
    with Image.open(io.BytesIO(data)) as source:
        turned = ImageOps.exif_transpose(source)
        out = io.BytesIO()
        icc = source.info.get("icc_profile")
        if mime == "image/jpeg":
            turned.save(
                out,
                "JPEG",
                qtables=source.quantization,
                subsampling=JpegImagePlugin.get_sampling(source),
                icc_profile=icc,
                optimize=True,
            )
        else:
            turned.save(out, "PNG", icc_profile=icc)
    # Pillow writes an EXIF block only when asked to; cut anything else it kept all the same.
    content = out.getvalue()
    return _jpeg_segments(content) if mime == "image/jpeg" else _png_chunks(content)


def _jpeg_segments(data: bytes) -> bytes:
    """The JPEG with metadata segments cut out; scans and tables copied byte for byte."""
    out = bytearray(b"\xff\xd8")
    pos = 2
    while pos < len(data):
        start = pos
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            out += b"\xff\xd9"
            return bytes(out)
        if marker in _STANDALONE:
            out += data[start:pos]
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        end = pos + length
        payload = data[pos + 2 : end]
        if marker == 0xDA:  # SOS: the entropy-coded data runs to the next real marker
            end = _scan_end(data, end)
        if marker in _APP:
            prefixes = _JPEG_KEEP_APP.get(marker)
            keep = prefixes is not None and payload.startswith(prefixes)
        else:
            keep = marker != _COM
        if keep:
            out += data[start:end]
        pos = end
    raise ValueError("JPEG without an end marker")  # check_image refuses these before


def _scan_end(data: bytes, pos: int) -> int:
    while True:
        pos = data.index(b"\xff", pos)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        if following == 0xFF:
            pos += 1
            continue
        return pos


def _png_chunks(data: bytes) -> bytes:
    """The PNG with only the chunks that draw it; each kept chunk copied with its CRC."""
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if kind in _PNG_KEEP:
            out += data[pos:end]
        if kind == b"IEND":
            return bytes(out)
        pos = end
    raise ValueError("PNG without IEND")  # check_image refuses these before
