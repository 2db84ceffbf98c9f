"""Failover drill: 3 instances on one PostgreSQL in webhook mode, the leader SIGKILLed, then
another instance, while merchants apply and a daily summary push runs.

    .venv/bin/python -m bench.failover [--instances 3] [--merchants 300] [--shops 1000]

Updates are POSTed to the instances' webhooks in turn by a load balancer played here (the one
that stops answering is skipped, as a real one would); the local Bot API server runs in this
process. Each kill falls while summaries are claimed and on their way. Prints the time from
each kill to a new leader and to the next summary delivered, the time until every summary is
delivered, and the checks: applications complete and exactly as entered, each question asked
once, summaries exactly once / never sent / duplicated (a duplicate can only be a summary in
flight at a kill: Telegram has no idempotency key). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.webhook import SECRET_HEADER
from sandbox.server import BotApiServer
from tests.e2e.harness import ChatUser
from tests.postgres import cluster, drop_database, fresh_database
from tests.reliability.crash import FIRST_MERCHANT, _merchant, answers_for
from tests.reliability.failover import (
    Fleet,
    instances,
    seed_shops,
    summaries_in,
    summary_states,
    wait_for,
)
from tests.reliability.test_cluster import _steps_asked

SECRET = "failover-drill"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _balance(server: BotApiServer, urls: list[str]) -> None:
    """Deliver queued updates in order, each to the next instance that answers 200."""
    targets = itertools.cycle(urls)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            updates = server.state.take_updates(100)
            if not updates:
                await server.state.updates_pulse.wait(0.2)
                continue
            for update in updates:
                while True:
                    try:
                        async with http.post(
                            next(targets), json=update, headers={SECRET_HEADER: SECRET}
                        ) as response:
                            if response.status == 200:
                                break
                    except (aiohttp.ClientError, TimeoutError):
                        pass  # that instance is gone: the next one
                    await asyncio.sleep(0.01)
                server.state.confirm(update["update_id"] + 1)


async def _drill(instances_n: int, merchants: int, shops: int, server_url: str) -> dict[str, Any]:
    url = await fresh_database(server_url)
    server = BotApiServer("127.0.0.1", 0)
    await server.start()
    tmp = tempfile.TemporaryDirectory()
    fleet = Fleet(server, url, Path(tmp.name), settings={"SUMMARY_TICK_SECONDS": "2"})
    figures: dict[str, Any] = {"instances": instances_n, "merchants": merchants, "shops": shops}
    balancer = None
    try:
        shop_ids = await seed_shops(url, fleet.key, shops)
        for telegram_id in shop_ids:
            server.add_user(telegram_id, f"店主{telegram_id}")
        ports = [_free_port() for _ in range(instances_n)]
        for port in ports:
            await fleet.spawn(
                WEBHOOK_URL=f"http://localhost:{port}/telegram",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN_PORT=str(port),
            )

        async def all_up() -> dict[int, bool] | None:
            found = await instances(url)
            return found if len(found) == instances_n and any(found.values()) else None

        await wait_for(all_up, 120, "every instance up")
        balancer = asyncio.create_task(
            _balance(server, [f"http://127.0.0.1:{p}/telegram" for p in ports])
        )
        users = [ChatUser(server, FIRST_MERCHANT + i, f"商户{i}") for i in range(merchants)]
        started = push_started = time.monotonic()
        applying = asyncio.gather(
            *(_merchant(u, answers_for(i), 900) for i, u in enumerate(users)),
            return_exceptions=True,  # a merchant that got stuck is reported below
        )

        def delivered() -> int:
            return sum(len(summaries_in(server, chat)) for chat in shop_ids)

        kills = []
        for round_ in range(2):
            await wait_for(
                _async(lambda r=round_: delivered() >= shops * (r + 1) // 4), 600, "the push"
            )

            async def claims_in_flight() -> int:  # kill while summaries are on their way
                return (await summary_states(url)).get("claimed", 0)

            in_flight = await wait_for(claims_in_flight, 60, "claims in flight", every=0.002)
            (leader,) = [pid for pid, leads in (await instances(url)).items() if leads]
            fleet.kill(leader)
            killed, before = time.monotonic(), delivered()
            last_kill = killed

            async def new_leader(old: int = leader) -> bool:
                return any(leads for pid, leads in (await instances(url)).items() if pid != old)

            await wait_for(new_leader, 60, "a new leader")
            lead_s = time.monotonic() - killed
            await wait_for(_async(lambda b=before: delivered() > b), 120, "the push to resume")
            kills.append(
                {
                    "in_flight": in_flight,
                    "new_leader_s": round(lead_s, 2),
                    "push_resumed_s": round(time.monotonic() - killed, 2),
                }
            )
        figures["kills"] = kills
        outcomes = await asyncio.wait_for(applying, 1200)
        figures["applications_s"] = round(time.monotonic() - started, 1)
        stuck = [u for u, o in zip(users, outcomes, strict=True) if isinstance(o, BaseException)]
        figures["stuck"] = {u.user_id: _steps_asked(u)[-4:] for u in stuck}

        async def all_sent() -> bool:
            return await summary_states(url) == {"sent": shops}

        figures["all_delivered_s"] = None
        with contextlib.suppress(AssertionError):
            await wait_for(all_sent, 300, "every summary", every=0.1)
            figures["all_delivered_s"] = round(time.monotonic() - push_started, 1)
            figures["after_last_kill_s"] = round(time.monotonic() - last_kill, 1)
        await asyncio.sleep(2)
        counts = [len(summaries_in(server, chat)) for chat in shop_ids]
        figures["summaries"] = {
            "once": counts.count(1),
            "missing": counts.count(0),
            "twice_or_more": sum(1 for c in counts if c > 1),
            "states": await summary_states(url),
        }
        figures["applications"] = await _check_applications(fleet, users)
    finally:
        if balancer is not None:
            balancer.cancel()
        await fleet.stop()
        await server.stop()
        await drop_database(server_url, url)
        tmp.cleanup()
    return figures


def _async(check):
    async def condition() -> bool:
        return check()

    return condition


async def _check_applications(fleet: Fleet, users: list[ChatUser]) -> dict[str, int]:
    from bot.keys import keys_for
    from bot.settings import Settings
    from storage import Storage

    settings = Settings(_env_file=None, database_url=fleet.database_url, encryption_key=fleet.key)  # type: ignore[call-arg]
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    exact = 0
    try:
        async with storage.transaction() as repos:
            for index, user in enumerate(users):
                draft = await repos.applications.draft_of(user.user_id)
                answers = draft.answers if draft else {}
                if (
                    answers.get("merchant_name") == f"杭州西湖第{index}号便利店"
                    and len(answers) == 17
                ):
                    exact += 1
    finally:
        await storage.close()
    asked_once = sum(1 for u in users if _steps_asked(u) == [*range(1, 18), 0])
    return {"complete_and_exact": exact, "each_question_once": asked_once}


def main(instances: int = 3, merchants: int = 300, shops: int = 1000) -> dict[str, Any]:
    """Run the drill once on a throwaway PostgreSQL and print the figures."""
    with cluster() as server_url:
        figures = asyncio.run(_drill(instances, merchants, shops, server_url))
    for n, kill in enumerate(figures["kills"], start=1):
        print(
            f"kill {n} ({kill['in_flight']} summaries claimed, on their way):"
            f" new leader after {kill['new_leader_s']} s,"
            f" summary push resumed after {kill['push_resumed_s']} s"
        )
    s, a = figures["summaries"], figures["applications"]
    print(
        f"summaries: {s['once']}/{figures['shops']} exactly once, {s['missing']} never sent,"
        f" {s['twice_or_more']} duplicated ({s['states']})"
    )
    if figures["all_delivered_s"] is None:
        print("summaries: not every one delivered within 300 s of the end")
    else:
        print(
            f"summaries: every one delivered {figures['all_delivered_s']} s after the push began,"
            f" {figures['after_last_kill_s']} s after the last kill"
        )
    print(
        f"applications: {a['complete_and_exact']}/{figures['merchants']} complete and exact,"
        f" {a['each_question_once']} with every question asked exactly once,"
        f" {figures['applications_s']} s"
    )
    for user_id, steps in figures["stuck"].items():
        print(f"  merchant {user_id} stopped; the last questions it was asked: {steps}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--shops", type=int, default=1000)
    args = parser.parse_args()
    main(args.instances, args.merchants, args.shops)
