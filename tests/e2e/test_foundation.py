"""The frame as a merchant meets it: greeting, menu, help, language, resilience."""

from __future__ import annotations

from jinja2 import ChoiceLoader, DictLoader
from pydantic import SecretStr

from bot.i18n import Renderer, build_environment
from sandbox.server import BotApiServer
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends

MENU_ZH = ["申请POS机", "申请进度", "我的申请码", "常见问题", "联系客服", "今日汇总", "设置"]
MENU_EN = ["Apply", "My application", "application code", "FAQ", "support", "summary", "Settings"]


@on_both_backends
async def test_start_greets_chinese_merchant_with_menu_in_chinese(merchant: ChatUser) -> None:
    await merchant.send("/start")
    message = await merchant.reply()
    assert "您好" in message["text"] and "小王" in message["text"]
    labels = " ".join(merchant.buttons(message))
    for item in MENU_ZH:
        assert item in labels


async def test_start_greets_english_merchant_in_english(english_merchant: ChatUser) -> None:
    await english_merchant.send("/start")
    message = await english_merchant.reply()
    assert "Hello" in message["text"] and "Alice" in message["text"]
    labels = " ".join(english_merchant.buttons(message))
    for item in MENU_EN:
        assert item in labels


async def test_unsupported_telegram_language_falls_back_to_chinese(
    server: BotApiServer, bot: object
) -> None:
    user = ChatUser(server, 10003, "Иван", language_code="ru")
    await user.send("/start")
    assert "您好" in await user.reply_text()


async def test_help_lists_commands(merchant: ChatUser) -> None:
    await merchant.send("/help")
    text = await merchant.reply_text()
    assert "/apply" in text and "/language" in text


async def test_unknown_command_is_explained(merchant: ChatUser) -> None:
    await merchant.send("/frobnicate")
    text = await merchant.reply_text()
    assert "/frobnicate" in text and "/help" in text


async def test_command_menu_is_set_per_locale(server: BotApiServer, merchant: ChatUser) -> None:
    await merchant.send("/start")
    await merchant.reply()
    zh = {c["command"]: c["description"] for c in server.commands(language_code="")}
    en = {c["command"]: c["description"] for c in server.commands(language_code="en")}
    assert zh["apply"] == "申请POS机"
    assert en["apply"] == "Apply for a POS machine"


@on_both_backends
async def test_language_switch_persists_across_restart(
    server: BotApiServer, run_bot: BotRunner
) -> None:
    from bot.runner import stop_bot

    app = await run_bot()
    user = ChatUser(server, 10004, "小李", language_code="zh-hans")
    await user.send("/language")
    await user.reply()
    await user.press("English")
    assert "Language set to English" in (await user.edited())["text"]
    assert "Hello" in await user.reply_text()

    await stop_bot(app)
    await run_bot()
    await user.send("/start")
    text = await user.reply_text()
    assert "Hello" in text and "您好" not in text


async def test_message_still_arrives_after_two_429s(
    server: BotApiServer, merchant: ChatUser
) -> None:
    server.fail_next(2, 429, retry_after=1, methods={"sendmessage"})
    await merchant.send("/start")
    message = await merchant.reply(timeout=15)
    assert "您好" in message["text"]
    statuses = [c for c in server.calls if c[0] == "sendmessage"]
    assert len(statuses) >= 3  # two refused, then delivered


async def test_broken_template_html_is_refused_by_server_and_user_gets_polite_error(
    server: BotApiServer, run_bot: BotRunner
) -> None:
    env = build_environment()
    env.loader = ChoiceLoader([DictLoader({"zh-CN/help.j2": "<b>帮助 <i>未闭合</b>"}), env.loader])
    await run_bot(renderer=Renderer(env))
    user = ChatUser(server, 10005, "小赵", language_code="zh-hans")
    await user.send("/help")
    text = await user.reply_text()
    assert "抱歉" in text  # the polite error, not silence and not a traceback
    assert "Traceback" not in text


@on_both_backends
async def test_blocked_user_is_marked_unreachable(
    server: BotApiServer, bot, merchant: ChatUser
) -> None:
    from bot.data import BotData

    data: BotData = bot.bot_data
    await merchant.send("/start")
    await merchant.reply()
    server.block_chat(merchant.chat_id)
    await merchant.send("/help")
    await merchant.silence(1.0)
    async with data.storage.transaction() as repos:
        user = await repos.users.get(merchant.user_id)
    assert user is not None and user.unreachable_at is not None


async def test_message_still_arrives_after_server_errors(
    server: BotApiServer, merchant: ChatUser
) -> None:
    server.fail_next(2, 502, methods={"sendmessage"})
    await merchant.send("/start")
    message = await merchant.reply(timeout=15)
    assert "您好" in message["text"]


async def test_token_never_appears_in_logs(
    server: BotApiServer, run_bot: BotRunner, bot_settings, capsys
) -> None:
    import logging

    from bot.logs import configure_logging

    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
    server.token = token  # a token in Telegram's own format; the server answers only this one
    configure_logging("DEBUG")
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # the chattiest about URLs
    try:
        await run_bot(bot_settings.model_copy(update={"bot_token": SecretStr(token)}))
        user = ChatUser(server, 10006, "小钱")
        await user.send("/start")
        await user.reply()
        logging.getLogger("test").warning("configured with %s", token)
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "getUpdates" in err or "sendMessage" in err  # the log really was written
    assert token not in err and token.split(":")[1] not in err
