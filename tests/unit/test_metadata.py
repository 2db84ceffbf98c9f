"""Uploaded images lose their metadata and keep their pixels (bot.metadata)."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

from bot.decoding import check_image
from bot.metadata import strip_metadata
from tests.e2e.files import EXIF_SECRETS, jpeg_with_exif, pdf


def _pixels(data: bytes) -> tuple[tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.convert("RGB").tobytes()


def test_upright_jpeg_loses_exif_gps_and_comment_with_identical_pixels() -> None:
    original = jpeg_with_exif(orientation=1)
    stripped = strip_metadata(original, "image/jpeg")
    assert _pixels(stripped) == _pixels(original)
    assert b"Exif" not in stripped
    assert not any(secret.encode() in stripped for secret in EXIF_SECRETS)
    with Image.open(io.BytesIO(stripped)) as image:
        assert not image.getexif()
    assert check_image(stripped, "image/jpeg") == (800, 640)


def test_sideways_jpeg_is_turned_upright_and_loses_exif() -> None:
    stripped = strip_metadata(jpeg_with_exif(orientation=6), "image/jpeg")
    assert not any(secret.encode() in stripped for secret in EXIF_SECRETS)
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.size == (640, 800)
        assert not image.getexif()
        top, bottom = image.getpixel((320, 100)), image.getpixel((320, 700))
    assert top[0] > 200 and top[2] < 50  # red on top, as the phone showed it
    assert bottom[2] > 200 and bottom[0] < 50


def test_png_loses_text_and_exif_chunks_with_identical_pixels() -> None:
    image = Image.new("RGB", (700, 640), "green")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", EXIF_SECRETS[0])
    info.add_itxt("Comment", EXIF_SECRETS[1], zip=True)
    exif = Image.Exif()
    exif[0x013B] = EXIF_SECRETS[0]  # Artist
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    original = out.getvalue()
    assert EXIF_SECRETS[0].encode() in original
    stripped = strip_metadata(original, "image/png")
    assert _pixels(stripped) == _pixels(original)
    assert not any(secret.encode() in stripped for secret in EXIF_SECRETS)
    assert b"tEXt" not in stripped and b"iTXt" not in stripped and b"eXIf" not in stripped
    assert check_image(stripped, "image/png") == (700, 640)


def test_pdf_is_kept_as_uploaded() -> None:
    assert strip_metadata(pdf(), "application/pdf") == pdf()
