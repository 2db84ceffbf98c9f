"""`merchant-bot demo-data`: realistic, deterministic, idempotent, linked to the sandbox user."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.demo import PROFILES, fill_demo_data, run_demo_data
from storage import Storage
from storage.merchants import MerchantRepository

NOW = datetime.fromisoformat("2026-11-25T14:00:00+00:00")


async def _facts(storage: Storage) -> dict[str, object]:
    async with storage.transaction() as repos:
        rows = await repos.tx.fetchall(
            "SELECT merchant_no, type, COUNT(*) AS n, SUM(amount) AS total,"
            " COUNT(DISTINCT terminal_sn) AS terminals FROM transactions"
            " GROUP BY merchant_no, type"
        )
    return {f"{r['merchant_no']}/{r['type']}": (r["n"], r["total"], r["terminals"]) for r in rows}


async def test_demo_data_twice_adds_nothing_the_second_time(storage: Storage) -> None:
    numbers, added = await fill_demo_data(storage, timezone="Asia/Shanghai", now=NOW)
    before = await _facts(storage)
    again, added_again = await fill_demo_data(storage, timezone="Asia/Shanghai", now=NOW)
    assert numbers == again == [f"82233090000000{n}" for n in range(1, 6)]
    assert added > 1000 and added_again == 0
    assert await _facts(storage) == before


async def test_demo_data_is_the_same_for_the_same_seed(storage: Storage, tmp_path) -> None:
    other = Storage(tmp_path / "other.sqlite3", storage.keys)
    await other.open()
    try:
        await fill_demo_data(storage, timezone="Asia/Shanghai", now=NOW, days=3)
        await fill_demo_data(other, timezone="Asia/Shanghai", now=NOW, days=3)
        assert await _facts(storage) == await _facts(other)
    finally:
        await other.close()


async def test_demo_data_has_the_patterns_summaries_need(storage: Storage) -> None:
    await fill_demo_data(storage, timezone="Asia/Shanghai", now=NOW, telegram_ids=[10001])
    facts = await _facts(storage)
    kinds = {key.split("/")[1] for key in facts}
    assert kinds == {"sale", "void", "refund", "preauth", "preauth_complete", "preauth_cancel"}
    assert any(terminals == 2 for _, _, terminals in facts.values())
    sales = sum(n for key, (n, _, _) in facts.items() if key.endswith("/sale"))
    refunds = sum(n for key, (n, _, _) in facts.items() if key.endswith("/refund"))
    assert 0.01 < refunds / sales < 0.05  # about 3 %
    async with storage.transaction() as repos:
        linked = await MerchantRepository(repos.tx).by_telegram(10001)
        names = {m.name for m in await MerchantRepository(repos.tx).many()}
    assert [m.merchant_no for m in linked] == ["822330900000001"]
    assert "西湖畔精品酒店" in names


def test_demo_command_fills_the_configured_database(make_settings, capsys) -> None:
    settings = make_settings()
    assert run_demo_data(settings, merchants=2, days=2, telegram_ids=[10001]) == 0
    assert run_demo_data(settings, merchants=2, days=2, telegram_ids=[10001]) == 0
    out = capsys.readouterr().out
    assert "0 transactions added" in out.splitlines()[-2]
    assert "822330900000001 is linked to Telegram user 10001" in out


async def test_demo_refunds_fall_on_a_later_day_while_the_shop_is_open(storage: Storage) -> None:
    # A refund at 00:19 in a noodle shop that opens at 10:00 made a summary read
    # "消费：0 笔 … 退货：1 笔" just after midnight; a same-day cancellation is a void.
    await fill_demo_data(storage, timezone="Asia/Shanghai", now=NOW, days=10)
    zone = ZoneInfo("Asia/Shanghai")
    async with storage.transaction() as repos:
        rows = await repos.tx.fetchall(
            "SELECT m.name, r.occurred_at AS refunded, s.occurred_at AS sold"
            " FROM transactions r JOIN transactions s ON s.external_id = r.original_id"
            " JOIN merchants m ON m.merchant_no = r.merchant_no WHERE r.type = 'refund'"
        )
    assert rows
    hours = {profile.name: set(profile.hours) for profile in PROFILES}
    for row in rows:
        refunded = datetime.fromisoformat(row["refunded"].replace("Z", "+00:00")).astimezone(zone)
        sold = datetime.fromisoformat(row["sold"].replace("Z", "+00:00")).astimezone(zone)
        assert refunded.date() > sold.date(), (row["name"], sold, refunded)
        assert refunded.hour in hours[row["name"]], (row["name"], refunded)
