"""Small real files for upload tests, made here rather than shipped."""

from __future__ import annotations

import io
from functools import cache

from PIL import ExifTags, Image, ImageDraw

# Photos big enough to be read (bot.decoding.MIN_SHORT_SIDE is 600 on the short side).
PHOTO_SIZE = 640


@cache
def png(seed: int, size: int = PHOTO_SIZE) -> bytes:
    """A valid size x size PNG whose pixels depend on `seed` (so each call differs)."""
    return _image(seed, (size, size), "PNG")


@cache
def jpeg(seed: int, width: int = PHOTO_SIZE, height: int = PHOTO_SIZE) -> bytes:
    """A valid JPEG whose pixels depend on `seed`."""
    return _image(seed, (width, height), "JPEG")


def _image(seed: int, size: tuple[int, int], fmt: str) -> bytes:
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 11) % 256, (seed * 7) % 256))
    draw = ImageDraw.Draw(image)
    for n in range(8):  # a few seed-dependent shapes, like writing on a licence
        x, y = (seed * 53 + n * 71) % size[0], (seed * 29 + n * 43) % size[1]
        draw.rectangle((x, y, x + size[0] // 6, y + size[1] // 20), fill=(n * 30, 255 - n * 30, 90))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def pdf_document(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with these object bodies (object 1 is the catalog) and a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R%s>>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PAGES = [
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
]


def pdf() -> bytes:
    """A minimal one-page PDF."""
    return pdf_document([b"<</Type/Catalog/Pages 2 0 R>>", *PAGES])


def exe() -> bytes:
    """The start of a Windows executable."""
    return b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)


# What a phone writes into a photo: where it was taken, the camera's serial, its owner.
EXIF_SECRETS = ("Wang Xiaoming", "SN-83920174", "HUAWEI P60")


def jpeg_with_exif(orientation: int = 6, width: int = 800, height: int = 640) -> bytes:
    """A phone's JPEG with GPS position, serial number, owner name and a comment in its
    metadata; the left half red and the right half blue as stored, so with orientation 6
    (turn 90° clockwise to view) red is at the top when shown upright."""
    image = Image.new("RGB", (width, height), "blue")
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height), fill="red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = EXIF_SECRETS[2]
    exif[ExifTags.Base.Artist] = EXIF_SECRETS[0]
    exif[ExifTags.Base.Orientation] = orientation
    camera = exif.get_ifd(ExifTags.IFD.Exif)
    camera[ExifTags.Base.BodySerialNumber] = EXIF_SECRETS[1]
    camera[ExifTags.Base.CameraOwnerName] = EXIF_SECRETS[0]
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 8.0, 24.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=EXIF_SECRETS[0].encode(), quality=90)
    return out.getvalue()
