"""Staff roles and the staff commands: /staff, /queue, /ship, /revoke.

Authorisation is checked on every staff action (command or button), never inferred from the
chat a message came from: a button forwarded or replayed by someone else is refused too.
"""

from __future__ import annotations

import logging

from babel.dates import format_timedelta
from telegram import Update
from telegram.constants import ParseMode

from bot.application.lifecycle import State
from bot.context import Context
from bot.data import BotData
from bot.fulfilment import service as fulfilment
from bot.parsing import echo, strict_int
from bot.settings import Locale
from handlers.common import label, locale_of, text
from storage.db import utcnow
from storage.staff import ROLES

log = logging.getLogger(__name__)

# The states /queue shows: everything submitted that is not finished yet.
QUEUE_STATES = (
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.REJECTED,
    State.APPROVED,
    State.AGREEMENT_SIGNED,
    State.SHIPPED,
)


async def role_of(data: BotData, user_id: int) -> str | None:
    """The user's staff role; ADMIN_IDS are admins whatever the table says."""
    if user_id in data.settings.admin_ids:
        return "admin"
    async with data.storage.transaction() as repos:
        return await repos.staff.role_of(user_id)


async def require_role(update: Update, data: BotData, locale: Locale, role: str) -> bool:
    """True if the sender may act as `role` (admins may do anything); else say no, in their
    `locale`, and log it."""
    user = update.effective_user
    if user is None:
        return False
    have = await role_of(data, user.id)
    if have == role or have == "admin":
        return True
    log.warning(
        "user %s (role %s) tried a %s action: %s",
        user.id,
        have,
        role,
        update.callback_query.data if update.callback_query else "command",
    )
    refusal = data.renderer.plain_label(locale, "not_authorised")
    if update.callback_query:
        await update.callback_query.answer(refusal, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(refusal)
    return False


def _chat_id(update: Update) -> int | None:
    return update.effective_chat.id if update.effective_chat else None


async def _say(update: Update, context: Context, template: str, **values: object) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text(context, template, **values), parse_mode=ParseMode.HTML)


async def staff_command(update: Update, context: Context) -> None:
    """/staff add <telegram id> <role> | remove <telegram id> | list (admins only)."""
    if not await require_role(update, context.bot_data, locale_of(context), "admin"):
        return
    user = update.effective_user
    assert user is not None
    args = context.args or []
    sub = args[0].lower() if args else "list"
    # Telegram ids in ASCII digits only: "²" passes str.isdigit() but not int().
    member = strict_int(args[1]) if len(args) >= 2 else None
    async with context.bot_data.storage.transaction() as repos:
        if sub == "add" and len(args) == 3 and member is not None and args[2] in ROLES:
            await repos.staff.put(member, args[2], added_by=user.id)
            log.info("staff %s set to %s by %s", args[1], args[2], user.id)
            result = (
                "staff/added",
                {"user_id": args[1], "role": label(context, f"role_{args[2]}")},
            )
        elif sub == "remove" and len(args) == 2 and member is not None:
            removed = await repos.staff.remove(member)
            log.info("staff %s removed by %s (%s)", args[1], user.id, removed)
            result = ("staff/removed" if removed else "staff/not_staff", {"user_id": args[1]})
        elif sub == "list" and len(args) <= 1:
            members = await repos.staff.all()
            names = {m.telegram_id: await repos.users.get(m.telegram_id) for m in members}
            rows = [
                {
                    "user_id": m.telegram_id,
                    "name": names[m.telegram_id].first_name if names[m.telegram_id] else "",
                    "role": label(context, f"role_{m.role}"),
                }
                for m in members
            ]
            admins = sorted(context.bot_data.settings.admin_ids)
            result = ("staff/list", {"rows": rows, "admins": admins})
        else:
            result = ("staff/usage", {"roles": ", ".join(ROLES)})
    await _say(update, context, result[0], **result[1])


def _age(context: Context, delta) -> str:
    return format_timedelta(
        delta, threshold=1.1, format="short", locale=locale_of(context).replace("-", "_")
    )


async def queue_command(update: Update, context: Context) -> None:
    """/queue: open applications grouped by state, oldest first, with their age."""
    if not await require_role(update, context.bot_data, locale_of(context), "reviewer"):
        return
    now = utcnow()
    async with context.bot_data.storage.transaction() as repos:
        records = await repos.applications.in_states([s.value for s in QUEUE_STATES])
        reviewers = {
            r.reviewer_id: await repos.users.get(r.reviewer_id) for r in records if r.reviewer_id
        }
    groups = []
    for state in QUEUE_STATES:
        items = [
            {
                "number": r.number,
                "merchant_name": r.answers.get("merchant_name", ""),
                "age": _age(context, now - (r.submitted_at or r.created_at)),
                "reviewer": (
                    reviewers[r.reviewer_id].first_name
                    if r.reviewer_id and reviewers.get(r.reviewer_id)
                    else None
                ),
            }
            for r in records
            if r.state == state
        ]
        if items:
            groups.append({"state": label(context, f"state_{state}"), "items": items})
    await _say(update, context, "staff/queue", groups=groups)


async def ship_command(update: Update, context: Context) -> None:
    """/ship <application no> <serial> <carrier> <tracking no>: the device is bound to the
    merchant; /activate accepts only this serial."""
    if not await require_role(update, context.bot_data, locale_of(context), "reviewer"):
        return
    user = update.effective_user
    assert user is not None
    args = context.args or []
    if len(args) < 4:
        await _say(update, context, "staff/ship_usage")
        return
    number, tracking = args[0], args[-1]
    serial = fulfilment.normalize_serial(args[1])
    if serial is None:
        await _say(update, context, "staff/ship_serial_bad", serial=echo(args[1]))
        return
    carrier = " ".join(args[2:-1])[:40]
    data = context.bot_data
    async with data.storage.transaction() as repos:
        outcome, state = await fulfilment.ship(
            repos, number, user.id, carrier, tracking[:40], serial, chat_id=_chat_id(update)
        )
    if outcome == "ok":
        data.kick_outbox()
    await _say(
        update,
        context,
        f"staff/ship_{outcome}",
        number=echo(number.upper()),
        carrier=carrier,
        tracking=tracking,
        serial=serial,
        state=label(context, f"state_{state}") if state else "",
    )


async def revoke_command(update: Update, context: Context) -> None:
    """/revoke <code> <reason>: the code stops working at once and a new one is issued."""
    if not await require_role(update, context.bot_data, locale_of(context), "reviewer"):
        return
    user = update.effective_user
    assert user is not None
    args = context.args or []
    if len(args) < 2:
        await _say(update, context, "staff/revoke_usage")
        return
    data = context.bot_data
    # The reason is what follows the code; a code typed with spaces is taken up to the reason.
    raw_code, reason = args[0], " ".join(args[1:])[:200]
    admin = await role_of(data, user.id) == "admin"
    async with data.storage.transaction() as repos:
        outcome, number = await fulfilment.revoke(
            repos, raw_code, reason, user.id, admin=admin, chat_id=_chat_id(update)
        )
    if outcome == "ok":
        data.kick_outbox()
    await _say(update, context, f"staff/revoke_{outcome}", number=number or "", reason=reason)
