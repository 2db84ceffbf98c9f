"""Hostile and unexpected input at every step: a clear answer or silence, never an exception,
never a change to what is stored."""

from __future__ import annotations

import logging
import random
import secrets
import string
import time
from typing import Any

import pytest
from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import INDIVIDUAL_ZH, give, start_application
from tests.e2e.conftest import REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends

LONG = "长" * 5000
HOSTILE_TEXTS = [
    LONG,
    "😀🎉🙏🏽👨‍👩‍👧",
    "\u202e\u200f店铺\u200b\u2066名\u2069",
    "<b>bold</b></a><script>alert(1)</script>",
    "{{7*7}} {{ config }}",
    "{% raw %}{% endraw %}",
    "'; DROP TABLE applications; --",
    "1 OR 1=1; SELECT * FROM users",
    "/definitely_not_a_command",
]


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    """These tests replay hundreds of hostile updates from one scripted user in seconds, to see
    every one answered; the flood limit that drops them is tested in tests/e2e/test_abuse.py."""
    return bot_settings.model_copy(update={"rate_limit_burst": 10_000})


def _file(kind: str) -> dict[str, Any]:
    return {"file_id": f"{kind}-{secrets.token_hex(8)}", "file_unique_id": secrets.token_hex(6)}


HOSTILE_MESSAGES: list[dict[str, Any]] = [
    {
        "sticker": {
            **_file("sticker"),
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    },
    {"voice": {**_file("voice"), "duration": 3}},
    {"video": {**_file("video"), "width": 640, "height": 480, "duration": 5}},
    {"location": {"latitude": 30.27, "longitude": 120.15}},
    {"contact": {"phone_number": "+8613800138000", "first_name": "王"}},
    {
        "poll": {
            "id": "1",
            "question": "?",
            "options": [
                {"text": "a", "voter_count": 0, "persistent_id": "a"},
                {"text": "b", "voter_count": 0, "persistent_id": "b"},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    },
    {
        "text": "转发来的消息",
        "forward_origin": {"type": "hidden_user", "sender_user_name": "某人", "date": 0},
    },
]


async def _answers(bot: Application, user_id: int) -> dict[str, Any] | None:
    async with bot.bot_data.storage.transaction() as repos:
        record = await repos.applications.latest_of(user_id)
        return dict(record.answers) if record else None


async def _answered_or_silent(user: ChatUser, wait: float = 3.0) -> str | None:
    """The bot's reply to what was just sent, or None if it (rightly) ignored it."""
    try:
        message = await user.reply(timeout=wait)
    except TimeoutError:
        return None
    return message.get("text") or message.get("caption") or ""


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith(("handlers", "bot", "telegram"))
    ]


@on_both_backends
async def test_every_form_step_shrugs_off_hostile_input(
    server: BotApiServer, bot: Application, merchant: ChatUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    await start_application(merchant)
    for answer in INDIVIDUAL_ZH:
        before = await _answers(bot, merchant.user_id)
        for text in HOSTILE_TEXTS:
            await merchant.send(text)
            reply = await _answered_or_silent(merchant)
            assert reply, f"no answer to {text[:20]!r}"
            assert "出错" not in reply  # the error handler's apology never shows
        for fields in HOSTILE_MESSAGES:
            await merchant.send_raw(dict(fields))
            reply = await _answered_or_silent(merchant, wait=1.0)
            assert reply is None or "出错" not in reply
        # An edit of an earlier message is ignored: answers come from new messages.
        sent = server.messages(merchant.chat_id)[0]
        server.state.enqueue(
            "edited_message",
            {**sent, "text": "编辑过的内容", "edit_date": int(time.time())},
        )
        assert await _answered_or_silent(merchant, wait=1.0) is None
        assert await _answers(bot, merchant.user_id) == before
        await give(merchant, answer)
        await merchant.reply()
    assert "请核对" in server.messages(merchant.chat_id)[-1]["text"]
    assert _errors(caplog) == []


def _forged_query(server: BotApiServer, user_id: int, chat_id: int, data: str) -> None:
    """A callback query with any data, as a modified client could send it."""
    messages = [m for m in server.messages(chat_id) if m["from"].get("is_bot")]
    server.state.enqueue(
        "callback_query",
        {
            "id": str(secrets.randbits(62)),
            "from": server.state.user(user_id),
            "message": messages[-1] if messages else None,
            "chat_instance": "1",
            "data": data,
        },
    )


@on_both_backends
async def test_forged_and_random_callback_data_changes_nothing(
    server: BotApiServer, bot: Application, merchant: ChatUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    await start_application(merchant)
    await give(merchant, INDIVIDUAL_ZH[0])
    await merchant.reply()
    await merchant.settle()  # the answered question's edit may come after the next question
    before = await _answers(bot, merchant.user_id)
    mine = await _app_id(bot, merchant.user_id)
    stranger = ChatUser(server, 10077, "陌生人")
    await stranger.send("/apply")
    await stranger.reply()
    rng = random.Random(5)
    forged = [
        f"ap:{mine}:s",  # someone else's draft: submit
        f"ap:{mine}:c:merchant_name:x",
        f"ap:{mine}:x",  # discard it
        f"ap:{mine}:f",
        f"rv:{mine}:approve",  # a reviewer action by a merchant
        f"rj:{mine}:c",
        f"ag:{mine}:v1:000000000000",
        "ap:99999:s",
        "menu:../../etc/passwd",
        "lang:xx",
        "",
        *("".join(rng.choices(string.printable, k=rng.randint(1, 64))) for _ in range(15)),
    ]
    for data in forged:
        _forged_query(server, stranger.user_id, stranger.chat_id, data)
    await merchant.silence(2.0)  # nothing happens to the merchant's application
    assert await _answers(bot, merchant.user_id) == before
    assert await _app_id(bot, merchant.user_id) == mine
    assert _errors(caplog) == []


async def _app_id(bot: Application, user_id: int) -> int | None:
    async with bot.bot_data.storage.transaction() as repos:
        record = await repos.applications.latest_of(user_id)
        return record.id if record else None


@on_both_backends
async def test_strangers_in_the_review_group_are_ignored_or_refused(
    server: BotApiServer, bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    stranger = ChatUser(server, 10088, "路人").in_chat(REVIEW_CHAT)
    for text in ["你好", *HOSTILE_TEXTS[:4]]:
        await stranger.send(text)
        assert await _answered_or_silent(stranger) is None  # group chatter is not for the bot
    for command in ["/queue", "/ship AP20261126-0001 顺丰 1", "/staff add 10088 admin"]:
        await stranger.send(command)
        assert "没有权限" in (await _answered_or_silent(stranger) or "")
    assert _errors(caplog) == []


async def _hostile_round(merchant: ChatUser) -> None:
    """Every hostile text and message once, each answered clearly or ignored."""
    for text in HOSTILE_TEXTS:
        await merchant.send(text)
        reply = await _answered_or_silent(merchant, wait=2.0)
        assert reply is None or "出错" not in reply
    for fields in HOSTILE_MESSAGES:
        await merchant.send_raw(dict(fields))
        reply = await _answered_or_silent(merchant, wait=1.0)
        assert reply is None or "出错" not in reply


@on_both_backends
async def test_questions_and_support_descriptions_shrug_off_hostile_input(
    server: BotApiServer, bot: Application, merchant: ChatUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    # Outside any flow every text is a question for the FAQ.
    await _hostile_round(merchant)
    # While a support request is being described, the same input is taken or refused calmly,
    # and markup never reaches the staff chat as markup.
    await merchant.send("/support")
    await merchant.reply()
    await _hostile_round(merchant)
    async with bot.bot_data.storage.transaction() as repos:
        assert await repos.applications.latest_of(merchant.user_id) is None
    assert _errors(caplog) == []
