"""OCR prefill's field rules on recognised lines (no OCR engine): only values that pass the
typed answer's validation are proposed, names only when read with high confidence."""

from __future__ import annotations

import math
from datetime import date

from bot.ocr.fields import read_id_back, read_id_front, read_licence
from bot.ocr.layout import Line

TODAY = date(2026, 12, 2)
CODE = "91350100M000100Y43"


def line(text: str, x: float, y: float, *, score: float = 0.99, tilt: float = 0.0) -> Line:
    """A text box 30 px high starting at (x, y), its baseline turned by ``tilt`` degrees."""
    width = 32.0 * len(text)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))

    def at(dx: float, dy: float) -> tuple[float, float]:
        return (x + dx * c - dy * s, y + dx * s + dy * c)

    return Line(text, score, (at(0, 0), at(width, 0), at(width, 30), at(0, 30)))


def licence(*, tilt: float = 0.0, rep_score: float = 0.99, code: str = CODE) -> list[Line]:
    rows = [
        ("名 称", "杭州西湖小王便利店有限公司"),
        ("类 型", "有限责任公司(自然人投资或控股)"),
        ("法定代表人", "王小明"),
        ("住 所", "浙江省杭州市西湖区文三路100号"),
    ]
    lines = [line(f"统一社会信用代码{code}", 80, 100, tilt=tilt)]
    for n, (label, value) in enumerate(rows):
        y = 200 + 80 * n
        # the value box first, as OCR often returns it on a tilted photo
        dx, dy = 240 * math.cos(math.radians(tilt)), 240 * math.sin(math.radians(tilt))
        score = rep_score if label == "法定代表人" else 0.99
        lines.append(line(value, 100 + dx, y + dy, score=score, tilt=tilt))
        lines.append(line(label, 100, y, tilt=tilt))
    return lines


def test_a_tilted_licence_gives_every_field_paired_with_its_label() -> None:
    assert read_licence(licence(tilt=5)) == {
        "credit_code": CODE,
        "merchant_name": "杭州西湖小王便利店有限公司",
        "subject_type": "enterprise",
        "legal_rep_name": "王小明",
        "address": "浙江省杭州市西湖区文三路100号",
    }


def test_a_credit_code_with_a_wrong_check_character_is_not_proposed() -> None:
    assert "credit_code" not in read_licence(licence(code=CODE[:-1] + "5"))


def test_letter_o_read_for_zero_in_the_credit_code_is_corrected_by_the_check() -> None:
    assert read_licence(licence(code=CODE.replace("0", "O", 1)))["credit_code"] == CODE


def test_a_name_read_with_low_confidence_is_not_proposed() -> None:
    assert "legal_rep_name" not in read_licence(licence(rep_score=0.9))


def test_id_card_front_gives_name_and_a_valid_number_only() -> None:
    lines = [
        line("姓名王小明", 60, 60),
        line("公民身份号码", 60, 500),
        line("11010519491231002X", 320, 500),
    ]
    assert read_id_front(lines, today=TODAY) == {
        "legal_rep_name": "王小明",
        "legal_rep_id": "11010519491231002X",
    }
    lines[-1] = line("110105194912310021", 320, 500)  # wrong check character
    assert read_id_front(lines, today=TODAY) == {"legal_rep_name": "王小明"}


def test_id_card_back_gives_the_end_of_its_validity() -> None:
    assert read_id_back([line("2016.05.01-2036.05.01", 400, 500)]) == {
        "id_valid_until": "2036-05-01"
    }
    assert read_id_back([line("2020.02.15-长期", 400, 500)]) == {"id_valid_until": "long_term"}
