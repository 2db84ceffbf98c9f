"""Two `merchant-bot run` processes in webhook mode behind one URL, as README "Running several
instances" sets them up in the sandbox: the local Bot API server's own webhook delivery POSTs
every update to the sandbox's round-robin forwarder (sandbox/balancer.py, standing in for a
load balancer), which hands them to the two instances in turn."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import pytest

from sandbox.balancer import Balancer, parse_backends
from sandbox.server import BotApiServer
from tests.e2e.harness import ChatUser
from tests.reliability.failover import Fleet, instances, wait_for

SECRET = "sandbox-two-instances"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _all_handled(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT COUNT(*) FROM inbox WHERE done = 0") == 0
    finally:
        await conn.close()


def test_backends_are_host_port_pairs_or_urls() -> None:
    assert parse_backends("127.0.0.1:8443, 127.0.0.1:8444") == [
        "http://127.0.0.1:8443",
        "http://127.0.0.1:8444",
    ]
    assert parse_backends("http://10.0.0.5:80/") == ["http://10.0.0.5:80"]
    with pytest.raises(ValueError):
        parse_backends(" , ")


@pytest.mark.timeout(120)
async def test_two_instances_behind_the_sandbox_balancer_answer_every_message_once(
    pg_database: str, server: BotApiServer, tmp_path: Path
) -> None:
    ports = [_free_port(), _free_port()]
    balancer = Balancer(parse_backends(",".join(f"127.0.0.1:{p}" for p in ports)))
    await balancer.start()
    fleet = Fleet(server, pg_database, tmp_path)
    people = [ChatUser(server, 82001 + n, f"商户{n}") for n in range(6)]
    try:
        processes = [
            await fleet.spawn(
                WEBHOOK_URL=f"{balancer.url}/telegram",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN_PORT=str(port),
            )
            for port in ports
        ]

        async def both_up() -> bool:
            webhook = server.state.webhook
            up = len(await instances(pg_database)) == 2
            return up and webhook is not None and webhook.url == f"{balancer.url}/telegram"

        await wait_for(both_up, 60, "two instances and the webhook set to the balancer")
        # The sandbox delivers (its own setWebhook delivery, with the secret) to the balancer.
        for person in people:
            await person.send("/help")
        for person in people:
            assert "/apply" in await person.reply_text(timeout=30)
        assert all(n > 0 for n in balancer.forwarded.values()), balancer.forwarded

        # One instance gone (in a quiet moment: every update marked handled; one killed in
        # the middle of an update has it handled again, its reply sent twice, see
        # test_failover.py): the balancer skips it and the other answers everything.
        await wait_for(lambda: _all_handled(pg_database), 30, "every update marked handled")
        fleet.kill(processes[0].pid)
        for person in people:
            await person.send("/help")
        for person in people:
            assert "/apply" in await person.reply_text(timeout=30)
        for person in people:
            await person.silence(1.0)  # each message answered once, by one instance
    finally:
        await fleet.stop()
        await balancer.stop()
    assert server.state.webhook is not None and server.state.webhook.delivered >= 12
