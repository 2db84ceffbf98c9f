"""An unmodified python-telegram-bot Application runs against the sandbox by long polling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.server import BotApiServer
from tests.sandbox.conftest import GROUP, MERCHANT, STAFF, png_bytes


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    await update.effective_message.reply_html(
        f"<b>你好，{update.effective_user.first_name}</b>\n要申请 POS 机吗？",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("申请", callback_data="apply")]]),
    )


async def apply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("好的")
    await query.edit_message_text("请上传营业执照照片")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    file = await message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await message.reply_text(f"收到 {len(data)} 字节")
    await context.bot.send_photo(GROUP, message.photo[-1].file_id, caption="新的营业执照")


async def queue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("队列为空")


def build(server: BotApiServer, **kwargs: object) -> Application:
    builder = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.file_base_url)
    )
    if kwargs.get("rate_limiter"):
        builder = builder.rate_limiter(kwargs["rate_limiter"])  # type: ignore[arg-type]
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("queue", queue))
    app.add_handler(CallbackQueryHandler(apply, pattern="^apply$"))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    return app


@pytest.fixture
async def running(server: BotApiServer) -> AsyncIterator[Application]:
    app = build(server)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_start_button_and_edit_through_a_polling_application(
    server: BotApiServer, running: Application
) -> None:
    seq = server.last_seq()
    await server.send_text(MERCHANT, "/start")
    greeting = (await server.wait_for_event(MERCHANT, after_seq=seq))["message"]
    assert greeting["text"] == "你好，小王\n要申请 POS 机吗？"
    assert greeting["entities"][0] == {"type": "bold", "offset": 0, "length": 5}
    assert "reply_to_message" not in greeting  # PTB only quotes in groups by default

    seq = server.last_seq()
    await server.press_button(MERCHANT, greeting["message_id"], "apply")
    event = await server.wait_for_event(MERCHANT, after_seq=seq)
    assert event["kind"] == "edit"
    assert event["message"]["text"] == "请上传营业执照照片"
    assert "reply_markup" not in event["message"]
    assert server.callback_answers()[-1]["text"] == "好的"


async def test_photo_is_downloaded_by_the_bot_and_forwarded_to_the_group(
    server: BotApiServer, running: Application
) -> None:
    data = png_bytes(16, 9)
    seq = server.last_seq()
    await server.send_photo(MERCHANT, data)
    reply = (await server.wait_for_event(MERCHANT, after_seq=seq))["message"]
    assert reply["text"] == f"收到 {len(data)} 字节"
    posted = (await server.wait_for_event(GROUP, after_seq=seq))["message"]
    assert posted["caption"] == "新的营业执照"
    assert server.file_bytes(posted["photo"][0]["file_id"]) == data


async def test_commands_addressed_to_the_bot_work_in_groups(
    server: BotApiServer, running: Application
) -> None:
    seq = server.last_seq()
    await server.send_text(STAFF, "/queue@merchant_pos_bot", chat_id=GROUP)
    reply = (await server.wait_for_event(GROUP, after_seq=seq))["message"]
    assert reply["text"] == "队列为空"
    assert reply["reply_to_message"]["text"] == "/queue@merchant_pos_bot"


async def test_wait_for_event_times_out_when_the_bot_stays_silent(
    server: BotApiServer, running: Application
) -> None:
    seq = server.last_seq()
    await server.send_text(MERCHANT, "随便说说")
    with pytest.raises(TimeoutError):
        await server.wait_for_event(MERCHANT, after_seq=seq, timeout=0.5)


async def test_rate_limiter_retries_after_a_429(server: BotApiServer) -> None:
    app = build(server, rate_limiter=AIORateLimiter(max_retries=2))
    async with app:
        server.fail_next(1, 429, retry_after=1, methods={"sendMessage"})
        message = await app.bot.send_message(MERCHANT, "最终送达")
    assert message.text == "最终送达"
    assert [name for name, _ in server.calls].count("sendmessage") == 2
