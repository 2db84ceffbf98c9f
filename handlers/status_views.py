"""The status card of the merchant's latest application: its steps so far and what comes next."""

from __future__ import annotations

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot import fees
from bot.application.lifecycle import MILESTONES, State
from bot.context import Context
from handlers.common import label, locale_of, main_menu, text
from storage.applications import ApplicationRecord


async def send_status(chat_id: int, context: Context, record: ApplicationRecord | None) -> None:
    """A short status card of the merchant's latest application."""
    if record is None or record.state == "draft":
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label(context, "menu_apply"), callback_data="menu:apply")]]
        )
        await context.bot.send_message(
            chat_id,
            text(context, "apply/no_application"),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
        )
        return
    locale = locale_of(context)
    babel_locale = locale.replace("-", "_")
    zone = context.bot_data.settings.zone
    async with context.bot_data.storage.transaction() as repos:
        events = await repos.applications.events(record.id)
        shipment = await repos.fulfilment.shipment(record.id)
        signed = await repos.fulfilment.signature(record.id)

    def when(moment) -> str:
        return format_datetime(moment, "MM-dd HH:mm", tzinfo=zone, locale=babel_locale)

    # Every step with its own time, in order: a return and a resubmission are steps too,
    # so the first submission is never overwritten by the next.
    timeline = []
    reached: set[str] = set()
    for event in events:
        if event.to_state in (event.from_state, State.DRAFT, State.CANCELLED):
            continue  # a code revoked, the draft begun, or the end (the status says so)
        resubmitted = event.to_state == State.SUBMITTED and event.from_state == State.REJECTED
        timeline.append(
            {
                # a step done ("Review started"), not the state it led to ("under review")
                "label": label(
                    context, "step_resubmitted" if resubmitted else f"step_{event.to_state}"
                ),
                "at": when(event.at),
                "mark": "↩️" if event.to_state == State.REJECTED else "✅",
            }
        )
        # What is still ahead counts from the latest submission on.
        reached = {State.SUBMITTED} if event.to_state == State.SUBMITTED else reached
        reached.add(event.to_state)
    current = record.state
    order = [m.value for m in MILESTONES]
    position = order.index(current) if current in order else None
    if current == State.REJECTED:
        position = order.index(State.UNDER_REVIEW)
    for i, milestone in enumerate(order):
        if position is not None and i > position and milestone not in reached:
            mark = "⏳" if i == position + 1 else "▫️"
            timeline.append(
                {"label": label(context, f"step_{milestone}"), "at": None, "mark": mark}
            )
    buttons = []
    if current == State.REJECTED:
        buttons.append(
            [InlineKeyboardButton(label(context, "btn_fix"), callback_data=f"ap:{record.id}:f")]
        )
    keyboard = InlineKeyboardMarkup([*buttons, *main_menu(context).inline_keyboard])
    await context.bot.send_message(
        chat_id,
        text(
            context,
            "apply/status",
            number=record.number or "",
            merchant_name=record.answers.get("merchant_name", ""),
            merchant_no=record.merchant_no,
            state=label(context, f"state_{current}"),
            state_key=current,
            timeline=timeline if current != State.CANCELLED else [],
            flags=[
                {"label": label(context, f"field_{f}"), "reason": r}
                for f, r in record.flags.items()
                if record.to_fix is None or f in record.to_fix
            ]
            if current == State.REJECTED
            else [],
            carrier=shipment.carrier if shipment else None,
            tracking_no=shipment.tracking_no if shipment else None,
            fees_line=fees.short_text(
                context.bot_data.renderer,
                locale,
                fees.rates_for(signed, context.bot_data.settings),
            ),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
