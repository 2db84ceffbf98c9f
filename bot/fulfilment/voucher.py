"""Printable PNG voucher with the application code as a QR code and in large text.

Rendering is CPU-bound (tens of milliseconds); call it from a worker thread in async code.
Text lines are drawn only in a font that has glyphs for every character, so a missing CJK
font drops the merchant name from the image instead of drawing tofu boxes.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

from bot.fulfilment.codes import format_code

__all__ = ["VOUCHER_SIZE", "voucher_png"]

VOUCHER_SIZE = (800, 1000)
# 800 x 1000 px at 200 dpi prints as a 4 x 5 inch card.
_DPI = 200
_MARGIN = 40
_QR_MAX_PX = 540
_QR_BORDER_MODULES = 4  # the quiet zone the QR standard asks for; scanners need it
_INK = (0, 0, 0)
_GREY = (90, 90, 90)
_CUT_LINE = (200, 200, 200)

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_FontSource = tuple[str, int]  # (path, face index within a .ttc collection)

# Regular and bold variants of the fonts we know how to use, most preferred first. The
# DejaVu copies bundled with matplotlib (a runtime dependency) make the voucher look the same
# on every host; system paths and fontconfig are fallbacks.
_LATIN_FILES = {
    "sans": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    "sans_bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    "mono_bold": ("DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf"),
}
_FONTCONFIG_PATTERNS = {
    "sans": "sans-serif",
    "sans_bold": "sans-serif:bold",
    "mono_bold": "monospace:bold",
    "cjk": "sans-serif:lang=zh-cn",
    "cjk_bold": "sans-serif:bold:lang=zh-cn",
}
_SYSTEM_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/liberation",
)
# Face 2 of the Noto CJK collections is the Simplified Chinese one.
_CJK_BOLD_FILES: tuple[_FontSource, ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc", 2),
)
_CJK_FILES: tuple[_FontSource, ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)


@functools.cache
def _matplotlib_font_dir() -> Path | None:
    # find_spec locates the package without importing it (matplotlib is slow to import).
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


@functools.cache
def _fontconfig_match(pattern: str) -> _FontSource | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        out = subprocess.run(
            [fc_match, "--format=%{file}|%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
        path, _, index = out.partition("|")
        return (path, int(index or 0)) if path else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@functools.cache
def _font_sources(role: str) -> tuple[_FontSource, ...]:
    """Existing font files for a role, most preferred first."""
    candidates: list[_FontSource] = []
    dirs = [_matplotlib_font_dir(), *map(Path, _SYSTEM_FONT_DIRS)]
    for name in _LATIN_FILES.get(role, ()):
        candidates += [(str(d / name), 0) for d in dirs if d is not None]
    if role == "cjk":
        candidates += _CJK_FILES
    elif role == "cjk_bold":
        candidates += _CJK_BOLD_FILES
    match = _fontconfig_match(_FONTCONFIG_PATTERNS[role])
    if match is not None:
        candidates.append(match)
    seen = dict.fromkeys(c for c in candidates if Path(c[0]).is_file())
    return tuple(seen)


@functools.lru_cache(maxsize=64)
def _load(source: _FontSource | None, size: int) -> _Font | None:
    try:
        if source is None:
            return ImageFont.load_default(size=size)
        return ImageFont.truetype(source[0], size, index=source[1])
    except (OSError, ValueError):
        return None


def _renders(font: _Font, text: str) -> bool:
    # Pillow has no "has glyph" API: a missing glyph renders as the .notdef glyph, so compare
    # each character's bitmap with that of a code point no font maps (U+FFFF).
    notdef = font.getmask("\uffff")
    notdef_key = (notdef.size, bytes(notdef))
    for ch in set(text):
        if ch.isspace():
            continue
        mask = font.getmask(ch)
        if (mask.size, bytes(mask)) == notdef_key or mask.getbbox() is None:
            return False
    return True


def _font_for(text: str, size: int, roles: Sequence[str]) -> _Font | None:
    """The first font of the given roles (then Pillow's default) that renders all of text."""
    sources: list[_FontSource | None] = [s for role in roles for s in _font_sources(role)]
    sources.append(None)  # Pillow's built-in scalable font (Latin only)
    for source in sources:
        font = _load(source, size)
        if font is not None and _renders(font, text):
            return font
    return None


def _clean(text: str) -> str:
    # Drop control and format characters (newlines, zero-width spaces, bidi overrides) and
    # collapse runs of whitespace, so user data cannot break the layout.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(text.split())


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: _Font) -> float:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return right - left


def _fitted(
    draw: ImageDraw.ImageDraw,
    text: str,
    *,
    size: int,
    min_size: int,
    roles: Sequence[str],
    max_width: int,
) -> tuple[str, _Font] | None:
    """Shrink the font (then shorten the text) until it fits; None if no font renders it."""
    while True:
        font = _font_for(text, size, roles)
        if font is None:
            return None
        if _text_width(draw, text, font) <= max_width:
            return text, font
        if size > min_size:
            size = max(min_size, size - 2)
            continue
        if len(text) <= 1:
            return None
        text = text[:-2].rstrip() + "…"


def _draw_centered(
    draw: ImageDraw.ImageDraw, y: int, text: str, font: _Font, fill: tuple[int, int, int]
) -> int:
    """Draw text horizontally centred with its top at y; return the y below it."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (VOUCHER_SIZE[0] - (right - left)) / 2 - left
    draw.text((x, y - top), text, font=font, fill=fill)
    return y + (bottom - top)


def _qr_image(code: str) -> Image.Image:
    # Q (25 %) error correction survives smudges and folds on paper; boosting is off so the
    # level stays as chosen. The code is upper-case alphanumeric, so version 2 (25 x 25) fits.
    qr = segno.make(code, error="q", boost_error=False, micro=False)
    rows = list(qr.matrix_iter(scale=1, border=_QR_BORDER_MODULES))
    modules = len(rows)
    pixels = bytes(0 if dark else 255 for row in rows for dark in row)
    image = Image.frombytes("L", (modules, modules), pixels)
    # Integer scaling with NEAREST keeps every module a crisp, equal square of pixels.
    scale = max(1, _QR_MAX_PX // modules)
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def voucher_png(
    code: str,
    *,
    merchant_name: str,
    application_no: str,
    title: str = "POS Application Code",
    application_label: str = "Application No.",
) -> bytes:
    """Render a printable 800x1000 PNG voucher showing the code as a QR code and as text."""
    display = format_code(code)  # raises CodeError: never print an invalid code
    width, height = VOUCHER_SIZE
    # Lay out top-down on a scratch canvas, then centre the result vertically on the card, so
    # omitted lines (no title, no renderable name) do not leave a gap at the bottom.
    image = Image.new("RGB", VOUCHER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    max_width = width - 2 * _MARGIN

    y = 0
    fitted = _fitted(
        draw,
        _clean(title),
        size=40,
        min_size=24,
        roles=("sans_bold", "cjk_bold", "cjk"),
        max_width=max_width,
    )
    if fitted is not None and fitted[0]:
        y = _draw_centered(draw, y, fitted[0], fitted[1], _INK)
    y += 30

    qr = _qr_image(display)
    image.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height + 20

    # The code is ASCII, so Pillow's default font is a guaranteed last resort.
    fitted = _fitted(draw, display, size=64, min_size=28, roles=("mono_bold",), max_width=max_width)
    if fitted is not None:
        y = _draw_centered(draw, y, fitted[0], fitted[1], _INK)
    y += 40

    application_no = _clean(application_no)
    for line in (f"{_clean(application_label)}: {application_no}", application_no):
        fitted = _fitted(
            draw, line, size=30, min_size=20, roles=("sans", "cjk"), max_width=max_width
        )
        if fitted is not None:
            y = _draw_centered(draw, y, fitted[0], fitted[1], _GREY)
            y += 18
            break

    # Omitted when no installed font has all its glyphs (e.g. 张记小吃 without a CJK font).
    name = _clean(merchant_name)
    if name:
        fitted = _fitted(
            draw, name, size=30, min_size=20, roles=("sans", "cjk"), max_width=max_width
        )
        if fitted is not None:
            _draw_centered(draw, y, fitted[0], fitted[1], _GREY)

    card = Image.new("RGB", VOUCHER_SIZE, "white")
    bbox = ImageChops.difference(image, card).getbbox()
    if bbox is not None:
        content = image.crop((0, bbox[1], width, bbox[3]))
        card.paste(content, (0, max(_MARGIN, (height - content.height) // 2)))
    # A light cut line for scissors; drawn last so nothing can cover it.
    ImageDraw.Draw(card).rectangle((12, 12, width - 13, height - 13), outline=_CUT_LINE, width=2)

    buffer = io.BytesIO()
    card.save(buffer, format="PNG", optimize=True, dpi=(_DPI, _DPI))
    return buffer.getvalue()
