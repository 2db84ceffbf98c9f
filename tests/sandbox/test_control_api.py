"""The in-process control API: user actions, observation of the bot, validation of misuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.server import BotApiServer
from tests.sandbox.conftest import GROUP, MERCHANT, STAFF, png_bytes


async def test_events_log_only_what_the_bot_did_with_increasing_seq(
    server: BotApiServer, bot: Bot
) -> None:
    await server.send_text(MERCHANT, "你好")
    first = await bot.send_message(MERCHANT, "一")
    await bot.edit_message_text("一（改）", MERCHANT, first.message_id)
    await bot.send_message(GROUP, "群消息")
    events = server.events(MERCHANT)
    assert [(e["kind"], e["message"]["text"]) for e in events] == [
        ("message", "一"),
        ("edit", "一（改）"),
    ]
    assert set(events[0]) == {"seq", "kind", "message"}
    assert events[0]["seq"] < events[1]["seq"] <= server.last_seq()


async def test_wait_for_event_returns_the_next_event_after_seq(
    server: BotApiServer, bot: Bot
) -> None:
    await bot.send_message(MERCHANT, "旧")
    seq = server.last_seq()
    await bot.send_message(MERCHANT, "新")
    event = await server.wait_for_event(MERCHANT, after_seq=seq, timeout=1)
    assert event["message"]["text"] == "新"
    with pytest.raises(TimeoutError):
        await server.wait_for_event(MERCHANT, after_seq=event["seq"], timeout=0.2)


async def test_messages_show_current_state_of_the_chat(server: BotApiServer, bot: Bot) -> None:
    mine = await server.send_text(MERCHANT, "我的申请")
    kept = await bot.send_message(MERCHANT, "处理中")
    gone = await bot.send_message(MERCHANT, "临时")
    await bot.edit_message_text("已通过", MERCHANT, kept.message_id)
    await bot.delete_message(MERCHANT, gone.message_id)
    texts = [(m["message_id"], m["text"]) for m in server.messages(MERCHANT)]
    assert texts == [(mine["message_id"], "我的申请"), (kept.message_id, "已通过")]


async def test_message_ids_increase_per_chat(server: BotApiServer, bot: Bot) -> None:
    a = await server.send_text(MERCHANT, "a")
    b = await bot.send_message(MERCHANT, "b")
    g = await server.send_text(STAFF, "g", chat_id=GROUP)
    assert (a["message_id"], b.message_id, g["message_id"]) == (1, 2, 1)


async def test_user_replies_carry_the_replied_message(server: BotApiServer, bot: Bot) -> None:
    question = await bot.send_message(GROUP, "申请 #12 是否通过？")
    answer = await server.send_text(
        STAFF, "驳回：照片模糊", chat_id=GROUP, reply_to_message_id=question.message_id
    )
    assert answer["reply_to_message"]["text"] == "申请 #12 是否通过？"
    (update,) = await bot.get_updates()
    assert update.message.reply_to_message.message_id == question.message_id


async def test_send_raw_merges_fields_into_a_message(server: BotApiServer, bot: Bot) -> None:
    sticker = {
        "file_id": "CAACAgI",
        "file_unique_id": "AgAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    message = await server.send_raw(MERCHANT, {"sticker": sticker})
    assert message["sticker"]["emoji"] == "👍"
    (update,) = await bot.get_updates()
    assert update.message.sticker.emoji == "👍"
    assert update.message.text is None


async def test_user_photo_and_document_shapes(server: BotApiServer) -> None:
    photo = await server.send_photo(MERCHANT, png_bytes(30, 20), caption=" 门头照 ")
    assert photo["caption"] == "门头照"
    (size,) = photo["photo"]
    assert set(size) == {"file_id", "file_unique_id", "width", "height", "file_size"}
    assert (size["width"], size["height"]) == (30, 20)
    doc = await server.send_document(MERCHANT, b"abc", "a.pdf", "application/pdf")
    assert doc["document"]["file_name"] == "a.pdf"
    assert doc["document"]["mime_type"] == "application/pdf"
    assert server.file_bytes(doc["document"]["file_id"]) == b"abc"


async def test_pressing_a_button_that_is_not_there_is_a_test_error(
    server: BotApiServer, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok")]])
    sent = await bot.send_message(MERCHANT, "x", reply_markup=markup)
    with pytest.raises(ValueError, match="has no button 'nope'"):
        await server.press_button(MERCHANT, sent.message_id, "nope")
    await bot.edit_message_reply_markup(MERCHANT, sent.message_id)
    with pytest.raises(ValueError, match="has no button 'ok'"):
        await server.press_button(MERCHANT, sent.message_id, "ok")


async def test_misuse_of_the_control_api_is_reported(server: BotApiServer) -> None:
    with pytest.raises(ValueError, match="unknown user"):
        await server.send_text(555, "hi")
    with pytest.raises(ValueError, match="unknown chat"):
        await server.send_text(MERCHANT, "hi", chat_id=-42)
    with pytest.raises(ValueError, match="own private chat"):
        await server.send_text(MERCHANT, "hi", chat_id=STAFF)
    with pytest.raises(ValueError, match="negative"):
        server.add_group(5, "x")
    with pytest.raises(KeyError):
        server.file_bytes("missing")


async def test_add_user_returns_a_user_and_can_change_language(server: BotApiServer) -> None:
    user = server.add_user(10002, "Alice", username="alice", language_code="en")
    assert user == {
        "id": 10002,
        "is_bot": False,
        "first_name": "Alice",
        "username": "alice",
        "language_code": "en",
    }
    message = await server.send_text(10002, "hi")
    assert message["chat"] == {
        "id": 10002,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }


async def test_calls_record_every_api_call_with_typed_params(
    server: BotApiServer, bot: Bot
) -> None:
    await bot.send_message(MERCHANT, "hi", disable_notification=True)
    name, params = server.calls[-1]
    assert name == "sendmessage"
    assert params["chat_id"] == MERCHANT and params["disable_notification"] is True


def stored_contents(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in folder.iterdir()]


async def test_files_can_live_in_a_directory(tmp_path: Path) -> None:
    server = BotApiServer(files_dir=tmp_path)
    server.add_user(MERCHANT, "小王")
    message = await server.send_document(MERCHANT, b"saved", "s.txt", "text/plain")
    assert server.file_bytes(message["document"]["file_id"]) == b"saved"
    assert stored_contents(tmp_path) == [b"saved"]
