"""The sandbox through python-telegram-bot's own Bot client: shapes, errors, files."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from sandbox.server import BotApiServer
from tests.sandbox.conftest import GROUP, MERCHANT, STAFF, png_bytes


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_get_me_describes_the_configured_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        7_000_000_001,
        True,
        "merchant_pos_bot",
        "POS 商户助手",
    )


async def test_long_poll_returns_as_soon_as_a_user_writes(server: BotApiServer, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    await server.send_text(MERCHANT, "/start")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 1.0
    message = updates[0].message
    assert message.text == "/start"
    assert message.from_user.id == MERCHANT and message.from_user.language_code == "zh-hans"
    assert message.chat.id == MERCHANT and message.chat.type == "private"
    assert message.entities == (MessageEntity("bot_command", 0, 6),)


async def test_offset_confirms_and_drops_older_updates(server: BotApiServer, bot: Bot) -> None:
    await server.send_text(MERCHANT, "一")
    await server.send_text(MERCHANT, "二")
    first = await bot.get_updates()
    assert [u.message.text for u in first] == ["一", "二"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    assert rest == ()
    await server.send_text(MERCHANT, "三")
    again = await bot.get_updates(offset=first[0].update_id)
    assert [u.message.text for u in again] == ["三"]  # confirmed updates never come back


async def test_send_edit_press_answer_and_delete_flow(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(
        MERCHANT,
        "<b>申请 POS 机</b>\n请选择类型：",
        parse_mode="HTML",
        reply_markup=keyboard(("个体户", "type:individual"), ("企业", "type:company")),
    )
    assert sent.text == "申请 POS 机\n请选择类型："
    assert sent.entities == (MessageEntity("bold", 0, 8),)
    assert sent.from_user.id == bot.id and sent.chat.id == MERCHANT

    query = await server.press_button(MERCHANT, sent.message_id, "type:company")
    (update,) = await bot.get_updates()
    assert update.callback_query.id == query["id"]
    assert update.callback_query.data == "type:company"
    assert update.callback_query.message.message_id == sent.message_id
    assert await update.callback_query.answer("已选择企业") is True
    assert server.callback_answers()[-1]["text"] == "已选择企业"

    edited = await bot.edit_message_text("已选择：企业", MERCHANT, sent.message_id)
    assert edited.text == "已选择：企业" and edited.edit_date is not None
    assert edited.reply_markup is None  # omitting reply_markup removes the keyboard
    assert await bot.delete_message(MERCHANT, sent.message_id) is True
    assert [e["kind"] for e in server.events(MERCHANT)] == ["message", "edit", "delete"]
    assert server.messages(MERCHANT) == []


async def test_answering_a_callback_query_twice_is_too_old(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(MERCHANT, "x", reply_markup=keyboard(("ok", "ok")))
    query = await server.press_button(MERCHANT, sent.message_id, "ok")
    await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123456")


async def test_edit_errors_match_telegram(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(MERCHANT, "same", reply_markup=keyboard(("a", "a")))
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "same", MERCHANT, sent.message_id, reply_markup=keyboard(("a", "a"))
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", MERCHANT, 999)
    user_message = await server.send_text(MERCHANT, "我的消息")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", MERCHANT, user_message["message_id"])
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(MERCHANT, 999)


async def test_edit_reply_markup_only_changes_the_keyboard(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(MERCHANT, "审核中", reply_markup=keyboard(("刷新", "r")))
    edited = await bot.edit_message_reply_markup(MERCHANT, sent.message_id)
    assert edited.text == "审核中" and edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(MERCHANT, sent.message_id)


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<div>x</div>", 'Can\'t parse entities: unsupported start tag "div" at byte offset 0'),
        ("<b>x", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        ("0123456789</b>", "Can't parse entities: unexpected end tag at byte offset 10"),
    ],
)
async def test_invalid_html_is_rejected_with_telegrams_error(
    server: BotApiServer, bot: Bot, html: str, description: str
) -> None:
    # PTB strips "Bad Request: " and capitalises; the wire text is checked in the HTTP tests.
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(MERCHANT, html, parse_mode="HTML")
    assert caught.value.message == description
    assert server.messages(MERCHANT) == []


async def test_text_length_limits(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(MERCHANT, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(MERCHANT, "长" * 4097)
    ok = await bot.send_message(MERCHANT, "<b>" + "长" * 4096 + "</b>", parse_mode="HTML")
    assert len(ok.text) == 4096  # the limit applies after entity parsing


async def test_caption_limit(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(MERCHANT, png_bytes(2, 2), caption="字" * 1025)


async def test_callback_data_must_be_1_to_64_bytes(bot: Bot) -> None:
    too_long = "确" * 22  # 66 UTF-8 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(MERCHANT, "x", reply_markup=keyboard(("a", too_long)))
    ok = await bot.send_message(MERCHANT, "x", reply_markup=keyboard(("a", "确" * 21)))
    assert ok.reply_markup is not None


async def test_inline_buttons_need_exactly_one_action(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="text buttons are unallowed in the inline keyboard"):
        await bot.send_message(
            MERCHANT, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a")]])
        )
    both = InlineKeyboardButton("a", url="https://example.com", callback_data="x")
    with pytest.raises(BadRequest, match="exactly one"):
        await bot.send_message(MERCHANT, "x", reply_markup=InlineKeyboardMarkup([[both]]))


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limit_fault_surfaces_as_retry_after(server: BotApiServer, bot: Bot) -> None:
    server.fail_next(1, 429, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(MERCHANT, "hi")
    assert (await bot.send_message(MERCHANT, "hi")).text == "hi"
    assert [name for name, _ in server.calls].count("sendmessage") == 2


async def test_faults_can_target_methods_and_server_errors(server: BotApiServer, bot: Bot) -> None:
    server.fail_next(1, 502, methods={"sendPhoto"})
    assert (await bot.send_message(MERCHANT, "unaffected")).text == "unaffected"
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_photo(MERCHANT, png_bytes(1, 1))


async def test_faults_never_break_polling_unless_asked(server: BotApiServer, bot: Bot) -> None:
    server.fail_next(1, 500)
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    server.fail_next(1, 500, methods={"getUpdates"})
    with pytest.raises(NetworkError):
        await bot.get_updates(timeout=0)


async def test_blocked_user_gives_forbidden(server: BotApiServer, bot: Bot) -> None:
    server.block_chat(MERCHANT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(MERCHANT, "hi")
    server.unblock_chat(MERCHANT)
    assert (await bot.send_message(MERCHANT, "hi")).text == "hi"


async def test_unknown_chat_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(-100999)


async def test_get_chat_returns_full_info(bot: Bot) -> None:
    private = await bot.get_chat(MERCHANT)
    group = await bot.get_chat(GROUP)
    assert (private.type, private.first_name) == ("private", "小王")
    assert (group.type, group.title) == ("supergroup", "审核群")


async def test_uploaded_photo_roundtrips_through_get_file(server: BotApiServer, bot: Bot) -> None:
    data = png_bytes(40, 30)
    sent = await bot.send_photo(MERCHANT, data, caption="<i>营业执照</i>", parse_mode="HTML")
    (size,) = sent.photo
    assert (size.width, size.height, size.file_size) == (40, 30, len(data))
    assert sent.caption == "营业执照"
    assert sent.caption_entities == (MessageEntity("italic", 0, 4),)
    file = await bot.get_file(size.file_id)
    assert bytes(await file.download_as_bytearray()) == data
    assert server.file_bytes(size.file_id) == data


async def test_user_document_can_be_downloaded_and_resent_by_file_id(
    server: BotApiServer, bot: Bot
) -> None:
    doc = b"%PDF-1.4 fake"
    message = await server.send_document(MERCHANT, doc, "营业执照.pdf", "application/pdf")
    (update,) = await bot.get_updates()
    document = update.message.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "营业执照.pdf",
        "application/pdf",
        len(doc),
    )
    assert document.file_id == message["document"]["file_id"]
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == doc
    resent = await bot.send_document(GROUP, document.file_id, caption="商户材料")
    assert resent.document.file_unique_id == document.file_unique_id


async def test_identical_bytes_share_a_file_unique_id(bot: Bot) -> None:
    data = png_bytes(3, 3)
    first = await bot.send_photo(MERCHANT, data)
    second = await bot.send_photo(MERCHANT, data)
    assert first.photo[0].file_id != second.photo[0].file_id
    assert first.photo[0].file_unique_id == second.photo[0].file_unique_id


async def test_file_errors(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(MERCHANT, "https://example.com/a.png")
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(MERCHANT, InputFile(b"not an image", filename="a.png"))
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


async def test_send_media_group_shares_a_media_group_id(server: BotApiServer, bot: Bot) -> None:
    messages = await bot.send_media_group(
        GROUP,
        [
            InputMediaPhoto(png_bytes(5, 5), caption="正面"),
            InputMediaPhoto(png_bytes(6, 6)),
        ],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert messages[0].caption == "正面" and messages[1].photo[0].width == 6
    docs = await bot.send_media_group(
        MERCHANT,
        [InputMediaDocument(b"a", filename="a.txt"), InputMediaDocument(b"b", filename="b.txt")],
    )
    assert [d.document.file_name for d in docs] == ["a.txt", "b.txt"]
    assert docs[0].media_group_id != messages[0].media_group_id
    with pytest.raises(BadRequest, match="Document can't be mixed"):
        await bot.send_media_group(
            MERCHANT,
            [InputMediaDocument(b"a", filename="a.txt"), InputMediaPhoto(png_bytes(1, 1))],
        )
    assert [e["kind"] for e in server.events(GROUP)] == ["message", "message"]


async def test_copy_and_forward_keep_content(server: BotApiServer, bot: Bot) -> None:
    original = await server.send_photo(MERCHANT, png_bytes(8, 8), caption="门头照")
    copied = await bot.copy_message(GROUP, MERCHANT, original["message_id"])
    (event,) = server.events(GROUP)
    assert event["message"]["message_id"] == copied.message_id
    assert event["message"]["caption"] == "门头照"
    assert event["message"]["photo"] == original["photo"]
    assert "forward_origin" not in event["message"]
    forwarded = await bot.forward_message(GROUP, MERCHANT, original["message_id"])
    assert forwarded.forward_origin.sender_user.id == MERCHANT
    assert forwarded.caption == "门头照"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(GROUP, MERCHANT, 999)


async def test_commands_are_stored_per_scope_and_language(server: BotApiServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("review", "审核")], scope=BotCommandScopeAllGroupChats())
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    assert await bot.get_my_commands() == ()
    assert server.commands(language_code="zh") == [{"command": "start", "description": "开始"}]
    assert server.commands(scope={"type": "all_group_chats"})[0]["command"] == "review"
    await bot.set_my_commands([BotCommand("queue", "队列")], scope=BotCommandScopeChat(GROUP))
    assert server.commands(scope={"type": "chat", "chat_id": GROUP})[0]["command"] == "queue"
    await bot.delete_my_commands(language_code="en")
    assert server.commands(language_code="en") == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])


async def test_chat_actions_are_recorded(server: BotApiServer, bot: Bot) -> None:
    await bot.send_chat_action(MERCHANT, "typing")
    await bot.send_chat_action(MERCHANT, "upload_photo")
    assert server.chat_actions(MERCHANT) == ["typing", "upload_photo"]
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(MERCHANT, "dancing")


async def test_group_messages_have_negative_supergroup_chat(server: BotApiServer, bot: Bot) -> None:
    await server.send_text(STAFF, "/queue@merchant_pos_bot", chat_id=GROUP)
    (update,) = await bot.get_updates()
    message = update.message
    assert (message.chat.id, message.chat.type) == (GROUP, "supergroup")
    assert message.entities == (MessageEntity("bot_command", 0, 23),)
    reply = await bot.send_message(GROUP, "收到", reply_to_message_id=message.message_id)
    assert reply.reply_to_message.message_id == message.message_id
    assert reply.reply_to_message.text == "/queue@merchant_pos_bot"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(GROUP, "x", reply_to_message_id=999)


async def test_tg_user_links_become_text_mentions_of_known_users(bot: Bot) -> None:
    sent = await bot.send_message(
        GROUP, '请 <a href="tg://user?id=20001">李</a> 审核', parse_mode="HTML"
    )
    (mention,) = sent.entities
    assert mention.type == "text_mention"
    assert mention.user.id == STAFF and mention.user.first_name == "审核员 李"


async def test_edit_caption_of_a_photo(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_photo(
        GROUP, png_bytes(4, 4), caption="待审核", reply_markup=keyboard(("通过", "ok"))
    )
    edited = await bot.edit_message_caption(
        GROUP, sent.message_id, caption="<b>已通过</b>", parse_mode="HTML"
    )
    assert edited.caption == "已通过" and edited.photo[0].file_id == sent.photo[0].file_id
    assert edited.caption_entities == (MessageEntity("bold", 0, 3),)
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", GROUP, sent.message_id)
    text = await bot.send_message(GROUP, "文字")
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(GROUP, text.message_id, caption="x")


async def test_explicit_entities_are_kept(bot: Bot) -> None:
    sent = await bot.send_message(MERCHANT, "重要通知", entities=[MessageEntity("underline", 0, 2)])
    assert sent.entities == (MessageEntity("underline", 0, 2),)


async def test_delete_messages_skips_missing_ids(server: BotApiServer, bot: Bot) -> None:
    one = await bot.send_message(MERCHANT, "1")
    two = await bot.send_message(MERCHANT, "2")
    assert await bot.delete_messages(MERCHANT, [one.message_id, two.message_id, 999]) is True
    assert server.messages(MERCHANT) == []
