"""Tests for bot.fulfilment.voucher: the PNG is read back with a real QR decoder, as a phone
would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageFont

from bot.fulfilment import voucher
from bot.fulfilment.codes import CodeError, format_code, generate_code, normalize_code
from bot.fulfilment.voucher import VOUCHER_SIZE, voucher_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render(code: str, **kwargs: str) -> bytes:
    kwargs.setdefault("merchant_name", "Zhang Snacks")
    kwargs.setdefault("application_no", "APP-20240611-000123")
    return voucher_png(code, **kwargs)


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


def decode(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.valid]


@pytest.mark.parametrize("_", range(5))
def test_qr_decodes_to_the_exact_display_code(_: int) -> None:
    code = generate_code()
    image = open_png(render(code))
    assert image.size == VOUCHER_SIZE
    results = decode(image)
    assert [(r.text, r.format) for r in results] == [(code, zxingcpp.BarcodeFormat.QRCode)]
    # Crisp and large: the symbol itself (without its quiet zone) spans at least ~400 px.
    xs = [p.x for p in (results[0].position.top_left, results[0].position.top_right)]
    assert max(xs) - min(xs) >= 380


def test_image_is_white_printable_and_has_print_resolution() -> None:
    image = open_png(render(generate_code()))
    assert image.mode == "RGB"
    for corner in [(0, 0), (799, 0), (0, 999), (799, 999), (40, 500), (760, 500)]:
        assert image.getpixel(corner) == (255, 255, 255)
    assert round(image.info["dpi"][0]) == 200
    # Mostly white paper with black ink, no colour.
    colors = image.getcolors(maxcolors=1 << 16)
    assert colors is not None
    assert max(colors)[1] == (255, 255, 255)
    assert all(r == g == b for _, (r, g, b) in colors)


def test_still_decodes_when_printed_small() -> None:
    code = generate_code()
    image = open_png(render(code)).convert("L")
    small = image.resize((VOUCHER_SIZE[0] // 3, VOUCHER_SIZE[1] // 3), Image.Resampling.LANCZOS)
    assert [r.text for r in decode(small)] == [code]


def test_accepts_any_typed_form_and_encodes_the_display_form() -> None:
    code = generate_code()
    typed = normalize_code(code).lower()
    image = open_png(render(typed))
    assert [r.text for r in decode(image)] == [format_code(typed)] == [code]


def test_invalid_code_is_never_printed() -> None:
    code = generate_code()
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(CodeError):
        render(broken)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A" * 300,
        "张记小吃店（朝阳分店）" * 10,
        "Line\nbreak\tand\u200bzero width",
        "Emoji 🙂 shop",
        "\x00\x07",
    ],
)
def test_odd_merchant_names_never_crash(name: str) -> None:
    code = generate_code()
    image = open_png(render(code, merchant_name=name, application_no="A\nB" * 40))
    assert [r.text for r in decode(image)] == [code]


def test_tofu_detector() -> None:
    latin = ImageFont.load_default(size=30)
    assert voucher._renders(latin, "Zhang Snacks 123")
    assert not voucher._renders(latin, "张记")
    assert not voucher._renders(latin, "Zhang 张")


def dejavu_only(role: str) -> tuple[tuple[str, int], ...]:
    return tuple(s for s in REAL_SOURCES(role) if "dejavu" in Path(s[0]).name.lower())


REAL_SOURCES = voucher._font_sources


def test_cjk_name_is_omitted_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voucher, "_font_sources", dejavu_only)
    code = generate_code()
    without_name = render(code, merchant_name="")
    # Omitted entirely (pixel-identical to no name), rather than drawn as boxes.
    assert render(code, merchant_name="张记小吃") == without_name
    assert render(code, merchant_name="Zhang Snacks") != without_name
    assert [r.text for r in decode(open_png(without_name))] == [code]


def test_cjk_name_is_drawn_with_a_cjk_font() -> None:
    # `make test` installs one (see the Makefile's fonts target); never skipped.
    assert voucher._font_for("张记小吃", 30, ("cjk",)) is not None, (
        "no font with Chinese glyphs: install fonts-wqy-microhei (make fonts)"
    )
    code = generate_code()
    assert render(code, merchant_name="张记小吃") != render(code, merchant_name="")
    font = voucher._font_for("张记小吃", 30, ("sans", "cjk"))
    assert font is not None
    assert voucher._renders(font, "张记小吃 Zhang")
