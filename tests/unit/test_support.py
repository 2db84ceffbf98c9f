"""Support tickets without Telegram: numbers, SLA levels, and the SLA job on a controlled clock."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.data import BotData
from bot.i18n import Renderer
from bot.keys import keys_from_master
from bot.settings import Settings
from bot.support import service as support_flow
from bot.support.rules import Policy, minutes, parse_ticket_number, sla_breach, ticket_number
from bot.support.sla import check_sla
from bot.support.texts import history_text, staff_locale, staff_post, support_label
from storage import Storage
from storage.db import utcnow
from storage.outbox import CONTEXT
from storage.tickets import DraftPart
from tests.postgres import on_both_backends

SUPPORT_CHAT = -1001000000002


@pytest.mark.parametrize(
    ("typed", "ticket_id"),
    [("T-000123", 123), ("t-123", 123), ("T123", 123), ("123", 123), ("#T-000007", 7)],
)
def test_ticket_numbers_are_read_as_staff_type_them(typed: str, ticket_id: int) -> None:
    assert parse_ticket_number(typed) == ticket_id
    assert ticket_number(ticket_id).startswith("T-0")


@pytest.mark.parametrize("typed", ["T-", "abc", "0", "T-00A1", ""])
def test_anything_else_is_not_a_ticket_number(typed: str) -> None:
    assert parse_ticket_number(typed) is None


def test_breach_levels_follow_the_target_and_twice_the_target(make_settings) -> None:
    targets = Policy.of(make_settings()).targets  # normal 30 min, urgent 10 min
    normal, urgent = targets["normal"], targets["urgent"]
    start = utcnow()
    assert sla_breach(normal, None, start) == 0
    assert sla_breach(normal, start, start + timedelta(minutes=29)) == 0
    assert sla_breach(normal, start, start + timedelta(minutes=30)) == 1
    assert sla_breach(normal, start, start + timedelta(minutes=60)) == 2
    assert sla_breach(urgent, start, start + timedelta(minutes=11)) == 1
    assert minutes(timedelta(minutes=30)) == "30" and minutes(timedelta(seconds=3)) == "0.1"


@pytest.fixture
async def data(make_settings) -> AsyncIterator[BotData]:
    settings: Settings = make_settings(support_chat_id=SUPPORT_CHAT)
    bot_data = BotData()
    bot_data.settings = settings
    bot_data.renderer = Renderer()
    bot_data.storage = Storage(settings.database, keys_from_master(secrets.token_bytes(32)))
    await bot_data.storage.open()
    yield bot_data
    await bot_data.storage.close()


async def outbox(data: BotData) -> list[tuple[int, str, dict]]:
    async with data.storage.transaction() as repos:
        rows = await repos.tx.fetchall("SELECT chat_id, kind, payload FROM outbox ORDER BY id")
    cipher = data.storage.keys.cipher  # payloads are encrypted at rest
    return [
        (r["chat_id"], r["kind"], json.loads(cipher.decrypt_str(r["payload"], context=CONTEXT)))
        for r in rows
    ]


@on_both_backends
async def test_sla_job_on_a_controlled_clock_reminds_once_and_escalates_once(
    data: BotData,
) -> None:
    async with data.storage.transaction() as repos:
        await repos.users.upsert_seen(10001, first_name="小王", username=None, language_code="zh")
        await repos.ticket_drafts.start_draft(10001, None)
        await repos.ticket_drafts.add_draft_part(
            10001, DraftPart(kind="text", body="钱没到账", chat_id=10001, message_id=5)
        )
        policy = Policy.of(data.settings)
        ticket = await support_flow.create(repos, policy, 10001)
    assert ticket is not None and ticket.number == "T-000001"
    start = ticket.created_at

    def reminders(items: list) -> int:
        return sum(
            1
            for _, kind, p in items
            if kind == "ticket_post" and "template" in p and "⏰" in staff_post(data, p)
        )

    for offset in (29, 31, 45, 31):  # not yet; past the target; still the same breach ...
        async with data.storage.transaction() as repos:
            await check_sla(repos, policy, auto_reason="SLA", now=start + timedelta(minutes=offset))
    assert reminders(await outbox(data)) == 1

    for _ in range(3):  # past twice the target, checked three times: one escalation
        async with data.storage.transaction() as repos:
            await check_sla(repos, policy, auto_reason="SLA", now=start + timedelta(minutes=61))
    async with data.storage.transaction() as repos:
        escalated = await repos.tickets.get(ticket.id)
        actions = [e.action for e in await repos.tickets.events(ticket.id)]
    assert escalated is not None and escalated.tier == "l2" and escalated.priority == "urgent"
    assert actions == ["create", "auto_escalate"]
    items = await outbox(data)
    assert reminders(items) == 1
    assert sum(1 for _, kind, _ in items if kind == "ticket_card") == 2  # new + escalated
    # The escalation's history is queued as plain values, drawn when it is sent.
    histories = [p["history"] for _, kind, p in items if kind == "ticket_post" and "history" in p]
    assert [(h["tier"], h["reason"], h["actor"]) for h in histories] == [("l2", "SLA", None)]

    # The escalated ticket is urgent (10 min): its own breach is reminded once, then L2 -> top.
    async with data.storage.transaction() as repos:
        await check_sla(repos, policy, auto_reason="SLA", now=start + timedelta(minutes=72))
        await check_sla(repos, policy, auto_reason="SLA", now=start + timedelta(minutes=82))
        await check_sla(repos, policy, auto_reason="SLA", now=start + timedelta(minutes=82))
        top = await repos.tickets.get(ticket.id)
    assert reminders(await outbox(data)) == 2 and top is not None and top.tier == "supervisor"

    # Each escalation's history, drawn when sent, goes as far as the ticket had gone then.
    items = await outbox(data)
    posts = [p["history"] for _, k, p in items if k == "ticket_post" and "history" in p]
    top_tier = support_label(data, staff_locale(data), "tier_supervisor")
    async with data.storage.transaction() as repos:
        first, second = [await history_text(data, repos, ticket.id, h) for h in posts]
    assert top_tier not in first and "SLA" in first
    assert top_tier in second and second.count("SLA") > first.count("SLA")
