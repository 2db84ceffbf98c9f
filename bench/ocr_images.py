"""Synthetic business-licence and ID-card photos for the OCR benchmark and tests.

Each image is rendered with Pillow from random but valid values (bench/ocr_values.py: a credit
code and a resident ID number with correct check characters, a Chinese name, a company name,
an address), then photographed badly: rotated, perspective-warped, unevenly lit, blurred and
JPEG-compressed. The values travel with the image, so a benchmark can score what OCR read.

The evaluation set (`evaluation_set`) uses its own seed and is never used for tuning; code
that is being developed looks at `development_set` (another seed) only.

    python -m bench.ocr_images OUTDIR [--dev] [--count 60]   # write JPEGs and truth.json
"""

from __future__ import annotations

import io
import json
import random
import sys
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.ocr_values import id_back_truth, id_front_truth, licence_truth

EVALUATION_SEED = 20261202
DEVELOPMENT_SEED = 7
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)

ETHNICITIES = ("汉", "汉", "汉", "回", "满", "壮")


@dataclass(frozen=True)
class Sample:
    """One rendered photo and what is printed on it."""

    kind: str  # "licence" | "id_front" | "id_back"
    truth: dict[str, str]
    jpeg: bytes


@cache
def _font_path() -> str:
    for path in FONT_PATHS:
        if Path(path).exists():
            return path
    raise SystemExit("no CJK font: run `make fonts` (installs fonts-wqy-microhei)")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(), size)


# --------------------------------------------------------------------------- rendering


def _render_licence(rng: random.Random, t: dict[str, str]) -> Image.Image:
    width, height = 1400, 1000
    paper = (rng.randrange(235, 256), rng.randrange(230, 250), rng.randrange(215, 240))
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    red = (170 + rng.randrange(40), 30, 30)
    draw.rectangle((20, 20, width - 20, height - 20), outline=red, width=8)
    draw.text((width // 2, 90), "营 业 执 照", font=_font(72), fill=red, anchor="mm")
    small = _font(30)
    ink = (rng.randrange(40), rng.randrange(40), rng.randrange(40))
    draw.text((80, 170), f"统一社会信用代码 {t['credit_code']}", font=small, fill=ink)
    individual = t["licence_type"] == "个体工商户"
    rows = [
        ("名 称" if rng.random() < 0.6 else "名称", t["merchant_name"]),
        ("类 型" if rng.random() < 0.6 else "类型", t["licence_type"]),
        ("经营者" if individual else "法定代表人", t["legal_rep_name"]),
        (
            "经营范围",
            "日用百货、食品销售（依法须经批准的项目，经相关部门批准后方可开展经营活动）"[:26],
        ),
        (
            "成立日期",
            f"{rng.randrange(2005, 2025)}年{rng.randrange(1, 13):02d}月"
            f"{rng.randrange(1, 29):02d}日",
        ),
        ("经营场所" if individual else "住 所", t["address"]),
    ]
    y = 260
    label_font, value_font = _font(34), _font(34)
    for label, value in rows:
        draw.text((120, y), label, font=label_font, fill=ink)
        draw.text((360, y), value, font=value_font, fill=ink)
        y += 90
    # the registration authority's seal: a red ring with text over part of the page
    cx, cy = width - 260, height - 210
    draw.ellipse((cx - 120, cy - 120, cx + 120, cy + 120), outline=red, width=6)
    draw.text((cx, cy), "登记机关", font=_font(36), fill=red, anchor="mm")
    return image


def _render_id_front(rng: random.Random, t: dict[str, str]) -> Image.Image:
    width, height = 1000, 630
    image = Image.new("RGB", (width, height), (rng.randrange(220, 245), 235, 240))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 6):  # the card's faint guilloche
        draw.line((0, y, width, y + 40), fill=(210, 225, 235), width=1)
    label, value = (70, 110, 150), (10, 10, 10)
    f = _font(34)
    number = t["id_number"]
    sex = "男" if int(number[16]) % 2 else "女"
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    draw.text((60, 60), "姓 名", font=f, fill=label)
    draw.text((190, 56), t["name"], font=_font(40), fill=value)
    draw.text((60, 140), "性 别", font=f, fill=label)
    draw.text((190, 140), sex, font=f, fill=value)
    draw.text((300, 140), "民 族", font=f, fill=label)
    draw.text((420, 140), rng.choice(ETHNICITIES), font=f, fill=value)
    draw.text((60, 220), "出 生", font=f, fill=label)
    draw.text((190, 220), f"{born.year} 年 {born.month} 月 {born.day} 日", font=f, fill=value)
    draw.text((60, 300), "住 址", font=f, fill=label)
    addr = t["address"]
    draw.text((190, 300), addr[:14], font=f, fill=value)
    draw.text((190, 350), addr[14:28], font=f, fill=value)
    draw.text((60, 500), "公民身份号码", font=f, fill=label)
    draw.text((320, 496), number, font=_font(42), fill=value)
    # the portrait: a grey silhouette
    draw.rectangle((700, 70, 940, 380), fill=(200, 205, 215))
    draw.ellipse((760, 110, 880, 250), fill=(150, 150, 160))
    draw.rectangle((730, 260, 910, 380), fill=(150, 150, 160))
    return image


def _render_id_back(rng: random.Random, t: dict[str, str]) -> Image.Image:
    width, height = 1000, 630
    image = Image.new("RGB", (width, height), (rng.randrange(220, 245), 235, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 50, 220, 210), outline=(200, 40, 40), width=10)
    draw.text((320, 90), "中华人民共和国", font=_font(52), fill=(20, 20, 20))
    draw.text((370, 190), "居民身份证", font=_font(64), fill=(20, 20, 20))
    f, label = _font(34), (70, 110, 150)
    draw.text((170, 420), "签发机关", font=f, fill=label)
    draw.text((350, 420), t["issuer"], font=f, fill=(10, 10, 10))
    draw.text((170, 500), "有效期限", font=f, fill=label)
    draw.text((350, 500), f"{t['valid_from']}-{t['valid_until']}", font=f, fill=(10, 10, 10))
    return image


RENDER = {
    "licence": (licence_truth, _render_licence),
    "id_front": (id_front_truth, _render_id_front),
    "id_back": (id_back_truth, _render_id_back),
}


# --------------------------------------------------------------------------- a bad photo


def photograph(rng: random.Random, image: Image.Image) -> bytes:
    """The document as a phone photo: on a desk, at an angle, unevenly lit, soft, JPEG."""
    w, h = image.size
    margin = int(max(w, h) * 0.12)
    desk = (rng.randrange(60, 160), rng.randrange(60, 140), rng.randrange(50, 120))
    canvas = Image.new("RGB", (w + 2 * margin, h + 2 * margin), desk)
    canvas.paste(image, (margin, margin))
    # a slight rotation, then a perspective warp (the phone held at an angle)
    canvas = canvas.rotate(rng.uniform(-6, 6), resample=Image.BICUBIC, fillcolor=desk)
    cw, ch = canvas.size
    jitter = 0.05

    def corner(x: float, y: float) -> tuple[float, float]:
        return (x + rng.uniform(-jitter, jitter) * cw, y + rng.uniform(-jitter, jitter) * ch)

    quad = (*corner(0, 0), *corner(0, ch), *corner(cw, ch), *corner(cw, 0))
    canvas = canvas.transform((cw, ch), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=desk)
    # uneven light: darker away from a random bright spot
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * cw, rng.uniform(0.2, 0.8) * ch
    distance = np.hypot(xx - cx, yy - cy) / np.hypot(cw, ch)
    gain = 1.0 - rng.uniform(0.3, 0.6) * np.clip(distance / 0.7, 0, 1)
    pixels = np.asarray(canvas, dtype=np.float32) * gain[..., None]
    canvas = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    scale = rng.uniform(0.7, 1.0)
    canvas = canvas.resize((int(cw * scale), int(ch * scale)), Image.BILINEAR)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=rng.randrange(45, 85))
    return out.getvalue()


def sample(rng: random.Random, kind: str) -> Sample:
    """One photographed document of this kind with its truth."""
    make_truth, render = RENDER[kind]
    truth = make_truth(rng)
    return Sample(kind, truth, photograph(rng, render(rng, truth)))


def render(kind: str, truth: dict[str, str], seed: int) -> bytes:
    """A photo of a document of ``kind`` printing ``truth`` (tests choose what it says)."""
    rng = random.Random(seed)
    return photograph(rng, RENDER[kind][1](rng, truth))


def generate(seed: int, count: int, kinds: tuple[str, ...] = ("licence", "id_front", "id_back")):
    """`count` samples of each kind, reproducible from the seed."""
    rng = random.Random(seed)
    return [sample(rng, kind) for kind in kinds for _ in range(count)]


def evaluation_set(count: int = 60) -> list[Sample]:
    """The held-out set bench/ocr.py scores; never look at it while tuning."""
    return generate(EVALUATION_SEED, count)


def development_set(count: int = 20) -> list[Sample]:
    """Images to develop field extraction on (another seed)."""
    return generate(DEVELOPMENT_SEED, count)


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    dev = "--dev" in argv
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 60
    samples = development_set(count) if dev else evaluation_set(count)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for n, s in enumerate(samples):
        path = out / f"{s.kind}-{n:03d}.jpg"
        path.write_bytes(s.jpeg)
        index.append({"file": path.name, **{k: v for k, v in asdict(s).items() if k != "jpeg"}})
    (out / "truth.json").write_text(json.dumps(index, ensure_ascii=False, indent=1))
    print(f"{len(samples)} images in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
