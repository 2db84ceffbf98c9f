"""`merchant-bot demo-data`: realistic merchants and weeks of POS transactions.

Each (merchant, day) draws from its own seeded random generator, so a run is
deterministic and a later run regenerates the same rows for the same days; the fixed
external ids make the insert idempotent. Rows later than now are left for a later run.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.settings import Settings
from storage import Storage
from storage.db import utcnow
from storage.merchants import MerchantRepository
from storage.transactions import Channel, NewTransaction, TransactionRepository, TxType

DEFAULT_SEED = 20261125
FIRST_NUMBER = 822330900000001  # 商户号 are 15 digits; 8223309… is the demo range
FEE_RATES: dict[Channel, Decimal] = {
    "card": Decimal("0.0038"),
    "alipay": Decimal("0.006"),
    "wechat": Decimal("0.006"),
    "unionpay_qr": Decimal("0.006"),
}
CHANNEL_WEIGHTS: dict[Channel, int] = {"card": 20, "alipay": 38, "wechat": 38, "unionpay_qr": 4}


@dataclass(frozen=True)
class Profile:
    """A kind of shop: its name, busy hours, ticket size and terminals."""

    name: str
    hours: dict[int, int]  # local hour -> relative weight
    per_day: int  # average sales on a weekday
    low: int  # ticket size in yuan
    high: int
    weekend: float = 1.3
    terminals: int = 1
    hotel: bool = False


PROFILES = (
    # catering: lunch and dinner peaks; two terminals (counter and upstairs)
    Profile(
        "老杭州面馆",
        {10: 1, 11: 6, 12: 9, 13: 4, 14: 1, 17: 4, 18: 8, 19: 6, 20: 2},
        60,
        18,
        160,
        terminals=2,
    ),
    Profile("邻家便利店", dict.fromkeys(range(7, 23), 3) | {8: 6, 12: 5, 18: 6}, 110, 3, 90),
    Profile("西湖畔精品酒店", {h: 1 for h in range(8, 23)} | {20: 3}, 6, 20, 300, hotel=True),
    Profile("衣尚服饰", dict.fromkeys(range(10, 22), 2) | {15: 4, 19: 5, 20: 5}, 22, 89, 899, 1.8),
    Profile("晨光咖啡", dict.fromkeys(range(7, 19), 2) | {8: 8, 9: 6, 14: 4}, 55, 16, 48, 1.1),
)


def _fee(amount: int, channel: Channel) -> int:
    return int((Decimal(amount) * FEE_RATES[channel]).quantize(Decimal(1), ROUND_HALF_UP))


def _at(rng: random.Random, zone: ZoneInfo, day: date, hours: dict[int, int]) -> datetime:
    hour = rng.choices(list(hours), weights=list(hours.values()))[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
    return local.astimezone(UTC)


def day_of_transactions(
    seed: int, merchant_no: str, profile: Profile, zone: ZoneInfo, day: date
) -> list[NewTransaction]:
    """One merchant's transactions started on `day` (refunds and completions may fall later)."""
    rng = random.Random(f"{seed}:{merchant_no}:{day.isoformat()}")
    factor = profile.weekend if day.weekday() >= 5 else 1.0
    count = max(0, round(profile.per_day * factor * rng.uniform(0.75, 1.25)))
    prefix = f"DEMO{merchant_no}{day:%Y%m%d}"
    out: list[NewTransaction] = []

    def add(
        seq: str,
        kind: TxType,
        amount: int,
        fee: int,
        channel: Channel,
        when: datetime,
        terminal: str,
        original: str | None = None,
    ) -> str:
        external_id = f"{prefix}{seq}"
        out.append(
            NewTransaction(
                external_id=external_id,
                merchant_no=merchant_no,
                terminal_sn=terminal,
                type=kind,
                amount=amount,
                fee=fee,
                channel=channel,
                occurred_at=when,
                original_id=original,
            )
        )
        return external_id

    terminals = [f"SN{merchant_no[-6:]}{n:02d}" for n in range(1, profile.terminals + 1)]
    for n in range(count):
        terminal = terminals[0] if rng.random() < 0.6 else rng.choice(terminals)
        if profile.hotel:
            # Check-in: a card pre-auth, completed at check-out 1-3 days later or cancelled;
            # until then it is an open hold.
            hold = rng.randrange(5, 21) * 10000
            when = _at(rng, zone, day, {14: 3, 15: 3, 16: 2, 17: 2, 18: 2, 19: 2, 20: 2, 21: 1})
            pid = add(f"{n:04d}P", "preauth", hold, 0, "card", when, terminal)
            fate, nights = rng.random(), rng.randrange(1, 4)
            out_at = _at(rng, zone, day + timedelta(days=nights), {10: 3, 11: 4, 12: 1})
            if fate < 0.88:
                final = min(hold, nights * rng.randrange(38, 68) * 1000)
                fee = _fee(final, "card")
                add(f"{n:04d}C", "preauth_complete", final, fee, "card", out_at, terminal, pid)
            else:
                add(f"{n:04d}X", "preauth_cancel", hold, 0, "card", out_at, terminal, pid)
        ticket = profile.low + (profile.high - profile.low) * rng.random() ** 2
        amount = int(Decimal(str(round(ticket, 1))) * 100)
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        when = _at(rng, zone, day, profile.hours)
        fee = _fee(amount, channel)
        sid = add(f"{n:04d}S", "sale", amount, fee, channel, when, terminal)
        roll = rng.random()
        if roll < 0.01:
            # A void cancels the sale minutes later and gives the fee back.
            later = when + timedelta(minutes=rng.randrange(1, 6))
            add(f"{n:04d}V", "void", amount, fee, channel, later, terminal, sid)
        elif roll < 0.04:
            # A refund is for a settled sale (a same-day one is a void): the customer comes
            # back on a later day, while the shop is open.
            later = _at(rng, zone, day + timedelta(days=rng.randrange(1, 3)), profile.hours)
            part = amount if rng.random() < 0.7 else amount // 2
            add(f"{n:04d}R", "refund", part, 0, channel, later, terminal, sid)
    return out


async def fill_demo_data(
    storage: Storage,
    *,
    timezone: str,
    merchants: int = 5,
    days: int = 21,
    telegram_ids: list[int] | None = None,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
) -> tuple[list[str], int]:
    """Create the demo merchants and their transactions; returns (merchant numbers, added)."""
    if merchants < 1 or days < 1:
        raise ValueError("at least one merchant and one day")
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    numbers, added = [], 0
    for index in range(merchants):
        profile = PROFILES[index % len(PROFILES)]
        branch = index // len(PROFILES)
        name = profile.name if branch == 0 else f"{profile.name}（{branch + 1}号店）"
        merchant_no = f"{FIRST_NUMBER + index:015d}"
        numbers.append(merchant_no)
        telegram_id = telegram_ids[index] if telegram_ids and index < len(telegram_ids) else None
        rows: list[NewTransaction] = []
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            rows += day_of_transactions(seed, merchant_no, profile, zone, day)
        async with storage.transaction() as repos:
            merchants_repo = MerchantRepository(repos.tx)
            if await merchants_repo.get(merchant_no) is None:
                await merchants_repo.create(merchant_no, name, telegram_id, timezone)
            elif telegram_id is not None:
                await merchants_repo.link_telegram(merchant_no, telegram_id)
            added += await TransactionRepository(repos.tx).add_many(
                r for r in rows if r.occurred_at <= now
            )
    return numbers, added


def run_demo_data(
    settings: Settings,
    *,
    merchants: int = 5,
    days: int = 21,
    telegram_ids: list[int] | None = None,
    seed: int = DEFAULT_SEED,
) -> int:
    """`merchant-bot demo-data`: fill the database; running it twice adds nothing twice."""
    from bot.keys import keys_for

    async def go() -> tuple[list[str], int]:
        storage = Storage(settings.database, keys_for(settings))
        await storage.open()
        try:
            return await fill_demo_data(
                storage,
                timezone=settings.timezone,
                merchants=merchants,
                days=days,
                telegram_ids=telegram_ids,
                seed=seed,
            )
        finally:
            await storage.close()

    numbers, added = asyncio.run(go())
    print(f"demo data: merchants {numbers[0]}–{numbers[-1]}, {added} transactions added")
    for merchant_no, telegram_id in zip(numbers, telegram_ids or [], strict=False):
        print(f"  {merchant_no} is linked to Telegram user {telegram_id}")
    return 0
