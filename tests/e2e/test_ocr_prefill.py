"""OCR prefill through the local Bot API server: the licence and ID card photos are read, the
merchant confirms what they show with one tap per field, and those questions are not asked.

One OCR worker serves the whole module (loading the models takes a moment): every bot here
gets the same DocumentReader.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest
from telegram.ext import Application

from bench.ocr_images import render, sample
from bot.ocr import DocumentReader
from tests.e2e.application_steps import INDIVIDUAL_ZH, Answer, fill, give, start_application
from tests.e2e.conftest import REVIEW_CHAT, BotRunner
from tests.e2e.files import png
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import card_of

# A generated licence photo (bench/ocr_images.py, not the evaluation seed) OCR reads in full.
LICENCE = sample(random.Random(101), "licence")
PERSON = {
    "name": LICENCE.truth["legal_rep_name"],
    "id_number": "11010519491231002X",
    "address": "浙江省杭州市西湖区文三路100号",
}
ID_FRONT = render("id_front", PERSON, 200)
ID_BACK = render(
    "id_back",
    {"issuer": "北京市公安局西城分局", "valid_from": "2019.03.01", "valid_until": "长期"},
    7,
)
REST_OF_FORM = [
    Answer("press", "对公账户"),
    Answer("text", LICENCE.truth["merchant_name"]),
    Answer("text", "中国工商银行杭州西湖支行"),
    Answer("text", "110902345610501"),
    Answer("text", "13912345678"),
    Answer("press", "跳过"),
    Answer("press", "零售"),
    Answer("text", "水果、零食、饮料"),
]
LICENCE_FIELDS = ("商户类型", "商户名称", "统一社会信用代码", "法定代表人", "店铺地址")


class SharedReader(DocumentReader):
    """The module's one reader: a bot stopping does not stop its worker."""

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def reader() -> Iterator[SharedReader]:
    shared = SharedReader(enabled=True, limit_seconds=30)
    assert shared.enabled, "rapidocr-onnxruntime is not installed"
    yield shared
    DocumentReader.close(shared)


async def ocr_bot(run_bot: BotRunner, bot_settings, reader: DocumentReader) -> Application:
    app = await run_bot(bot_settings.model_copy(update={"ocr_enabled": True}))
    app.bot_data.reader = reader
    return app


@pytest.fixture
async def app(run_bot: BotRunner, bot_settings, reader: SharedReader) -> Application:
    """The bot with OCR prefill on (the module's worker)."""
    return await ocr_bot(run_bot, bot_settings, reader)


@pytest.fixture
def shop(server, app: Application) -> ChatUser:
    return ChatUser(server, 10001, "小王", language_code="zh-hans")


async def stored(app: Application, user_id: int = 10001):
    """The merchant's draft as stored (answers decrypted) and its OCR readings."""
    async with app.bot_data.storage.transaction() as repos:
        record = await repos.applications.draft_of(user_id)
        assert record is not None
        return record, await repos.readings.of(record.id)


# The bot answers a photo once it is read, within OCR_SECONDS_PER_IMAGE (15 s) plus the
# worker's start on first use: a loaded machine takes longer than the harness's usual wait.
OCR_WAIT = 40.0


async def upload_licence(merchant: ChatUser) -> dict:
    """/apply (the licence photo comes first), the photo; the proposal the bot sends."""
    first = await start_application(merchant)
    assert "营业执照" in first["text"] and "第 1/17 步" in first["text"]
    await merchant.send_photo(LICENCE.jpeg)
    return await merchant.expect("营业执照</b>照片中识别到".replace("</b>", ""), timeout=OCR_WAIT)


async def test_confirmed_licence_fields_are_stored_and_not_asked(
    app: Application, shop: ChatUser
) -> None:
    proposal = await upload_licence(shop)
    truth = LICENCE.truth
    for value in (truth["credit_code"], truth["merchant_name"], truth["address"]):
        assert value in proposal["text"]
    for name in LICENCE_FIELDS:
        await shop.press(f"✅ {name}", proposal)
        await shop.edited()  # the confirmed field's buttons go
    # All five confirmed: the next question is the ID card, none of the licence's fields.
    nxt = await shop.reply()
    assert "人像面" in nxt["text"] and "第 5/17 步" in nxt["text"]
    record, readings = await stored(app)
    assert record.answers["credit_code"] == truth["credit_code"]
    assert record.answers["merchant_name"] == truth["merchant_name"]
    assert record.answers["legal_rep_name"] == truth["legal_rep_name"]
    assert record.answers["address"] == truth["address"]
    assert record.answers["subject_type"] == "enterprise"
    assert {k: readings[k] for k in ("credit_code", "merchant_name")} == {
        "credit_code": "licence",
        "merchant_name": "licence",
    }


async def test_id_card_number_is_proposed_and_the_card_shows_the_cross_check(
    app: Application, shop: ChatUser
) -> None:
    proposal = await upload_licence(shop)
    await shop.press("全部正确", proposal)
    await shop.expect("人像面")
    await shop.send_photo(ID_FRONT)
    id_proposal = await shop.expect("身份证照片中识别到", timeout=OCR_WAIT)
    assert PERSON["id_number"] in id_proposal["text"]
    await shop.press("✅ 身份证号码", id_proposal)
    await shop.expect("国徽面")
    await shop.send_photo(ID_BACK)
    # Valid for life, nothing to propose: on to the settlement account.
    await shop.expect("结算账户类型")
    record, readings = await stored(app)
    assert record.answers["legal_rep_id"] == PERSON["id_number"]
    assert readings["legal_rep_id"] == "id_front"
    assert readings["id_name"] == "match" and readings["id_validity"] == "valid"
    # The rest of the form as today (the shop address came from the licence), then submit.
    for answer in REST_OF_FORM:
        await give(shop, answer)
        await shop.reply()
    await shop.press("确认提交")
    number = re.search(r"AP\d{8}-\d{4}", (await shop.expect("申请已提交"))["text"])
    assert number
    card = await card_of(shop.in_chat(REVIEW_CHAT), number.group(0))
    # The reviewer sees which fields were read from the photos and the cross-checks.
    assert "店铺地址：陕西省" in card["text"] and "照片识别，商户已确认" in card["text"]
    assert "手动输入" not in card["text"]  # every field the photos show was confirmed
    assert "营业执照法定代表人与身份证姓名一致" in card["text"]
    assert "身份证在有效期内" in card["text"]


async def test_an_edited_field_is_asked_as_before(app: Application, shop: ChatUser) -> None:
    proposal = await upload_licence(shop)
    await shop.press("✏️ 商户名称", proposal)
    await shop.edited()
    await shop.press("全部正确", proposal)
    question = await shop.reply()
    assert "请输入<b>商户名称</b>" in question["text"] or "商户名称" in question["text"]
    await shop.send("杭州西湖小王便利店")
    await shop.expect("人像面")
    record, readings = await stored(app)
    assert record.answers["merchant_name"] == "杭州西湖小王便利店"
    assert "merchant_name" not in readings and readings["credit_code"] == "licence"
    assert readings["corrected:merchant_name"] == "licence"  # the reviewer is told


async def test_a_photo_of_something_else_proposes_nothing(app: Application, shop: ChatUser) -> None:
    await start_application(shop)
    await shop.send_photo(png(1))
    question = await shop.reply()
    # No proposal: the form asks its next question, the business type.
    assert "商户类型" in question["text"] and "第 2/17 步" in question["text"]
    record, readings = await stored(app)
    assert "merchant_name" not in record.answers and readings == {}


async def test_ocr_switched_off_asks_todays_form(server, bot: Application) -> None:
    merchant = ChatUser(server, 10001, "小王", language_code="zh-hans")
    await fill(merchant, INDIVIDUAL_ZH[:3])
    await give(merchant, Answer("photo", LICENCE.jpeg))
    # Today's form: after the licence comes the legal representative's name, typed.
    assert "第 5/17 步" in await merchant.reply_text()


async def test_ocr_failing_asks_the_form(server, run_bot: BotRunner, bot_settings) -> None:
    failing = DocumentReader(enabled=True, limit_seconds=0.001)  # every read times out
    try:
        await ocr_bot(run_bot, bot_settings, failing)
        merchant = ChatUser(server, 10001, "小王", language_code="zh-hans")
        await start_application(merchant)
        await merchant.send_photo(LICENCE.jpeg)
        question = await merchant.reply(timeout=20)
        assert "商户类型" in question["text"] and "第 2/17 步" in question["text"]
    finally:
        failing.close()


async def test_an_id_card_of_someone_else_is_flagged_and_its_number_not_proposed(
    app: Application, shop: ChatUser
) -> None:
    proposal = await upload_licence(shop)
    await shop.press("全部正确", proposal)
    await shop.expect("人像面")
    stranger = {**PERSON, "name": "欧阳娜娜" if PERSON["name"] != "欧阳娜娜" else "张伟"}
    await shop.send_photo(render("id_front", stranger, 200))
    warning = await shop.expect("不一致")
    assert stranger["name"] in warning["text"] and PERSON["id_number"] not in warning["text"]
    await shop.expect("国徽面")  # nothing to confirm: the form goes on
    record, readings = await stored(app)
    assert "legal_rep_id" not in record.answers and readings["id_name"] == "mismatch"
