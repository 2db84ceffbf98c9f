"""Scripted answers that walk a merchant through the application form."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.files import pdf, png
from tests.e2e.harness import ChatUser


@dataclass(frozen=True)
class Answer:
    """One step: press a button labelled `value`, type it, or upload a file."""

    how: str  # "press" | "text" | "photo" | "document"
    value: str | bytes = ""


INDIVIDUAL_ZH: list[Answer] = [
    Answer("press", "个体工商户"),
    Answer("text", "杭州西湖小王便利店"),
    Answer("text", "91350100m000100y43"),  # lower case is accepted and normalised
    Answer("photo", png(1)),
    Answer("text", "王小明"),
    Answer("text", "11010519491231002x"),
    Answer("photo", png(2)),
    Answer("photo", png(3)),
    Answer("press", "个人银行卡"),
    Answer("text", "王小明"),
    Answer("text", "中国工商银行杭州西湖支行"),
    Answer("text", "4111 1111 1111 1111"),
    Answer("text", "+86 138-0013-8000"),
    Answer("text", "浙江省杭州市西湖区文三路100号"),
    Answer("press", "跳过"),
    Answer("press", "零售"),
    Answer("text", "水果、零食、饮料"),
]

ENTERPRISE_EN: list[Answer] = [
    Answer("press", "Enterprise"),
    Answer("text", "北京示例科技有限公司"),
    Answer("text", "91110108717743469K"),
    Answer("document", pdf()),
    Answer("text", "Li Wei"),
    Answer("text", "440524200001010013"),
    Answer("photo", png(11)),
    Answer("photo", png(12)),
    Answer("press", "Corporate account"),
    Answer("text", "北京示例科技有限公司"),
    Answer("text", "China Merchants Bank Beijing Branch"),
    Answer("text", "110902345610501"),
    Answer("text", "13912345678"),
    Answer("text", "Beijing Haidian District Zhongguancun Street 1"),
    Answer("photo", png(13)),
    Answer("press", "Food"),
    Answer("text", "coffee and pastries"),
]


async def give(user: ChatUser, answer: Answer) -> None:
    """Perform one answer."""
    match answer.how:
        case "press":
            await user.press(str(answer.value))
        case "text":
            await user.send(str(answer.value))
        case "photo":
            await user.send_photo(bytes(answer.value))  # type: ignore[arg-type]
        case "document":
            await user.send_document(bytes(answer.value), "licence.pdf", "application/pdf")  # type: ignore[arg-type]


# The separate "I agree" of the privacy notice (never a substring of "I don't agree").
AGREE = {"zh-CN": "我同意", "en": "I agree"}


def is_consent(user: ChatUser, message: dict) -> bool:
    """True if the message is the privacy notice asking for consent."""
    return any(label in b for b in user.buttons(message) for label in AGREE.values())


async def agree(user: ChatUser, notice: dict) -> dict:
    """Tap "I agree" on the privacy notice; return what the bot asks next."""
    label = next(a for a in AGREE.values() if any(a in b for b in user.buttons(notice)))
    await user.press(label, notice)
    return await user.reply()


async def start_application(user: ChatUser) -> dict:
    """/apply: read the introduction, agree to the privacy notice if it is asked; return
    step 1."""
    await user.send("/apply")
    await user.reply()  # the introduction
    message = await user.reply()
    return await agree(user, message) if is_consent(user, message) else message


async def fill(user: ChatUser, answers: list[Answer], *, start: bool = True) -> dict:
    """Start /apply (optionally, agreeing to the privacy notice) and give every answer;
    return the last bot reply."""
    if start:
        await start_application(user)
    last: dict = {}
    for answer in answers:
        await give(user, answer)
        last = await user.reply()
    return last


async def sign(user: ChatUser, agreement: dict) -> dict:
    """Tap "I agree and sign", then confirm the rates on the second step; return that step."""
    first = "我同意并签署" if "我同意并签署" in " ".join(user.buttons(agreement)) else "I agree"
    await user.press(first, agreement)
    confirm = await user.reply()
    await user.press("确认签署" if first == "我同意并签署" else "Confirm and sign", confirm)
    return confirm


async def approve_on_card(reviewer: ChatUser, card: dict) -> dict:
    """Tap Approve on an application's card, then Confirm on the question it asks; return
    the confirmation message."""
    await reviewer.press("通过", card)
    confirm = await reviewer.expect("确认通过申请")
    await reviewer.press("确认通过", confirm)
    return confirm
