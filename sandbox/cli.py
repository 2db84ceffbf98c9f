"""Run the sandbox standalone: ``python -m sandbox --port 8080`` (prints the bot token to give
to ``merchant-bot run`` as BOT_TOKEN; ``--balance`` adds a round-robin webhook forwarder in
front of several instances, see balancer.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.balancer import Balancer, parse_backends
from sandbox.limits import FloodLimits
from sandbox.server import BotApiServer
from sandbox.web import DEFAULT_MERCHANT, DEFAULT_STAFF

__all__ = ["main"]


async def _serve(args: argparse.Namespace) -> None:
    server = BotApiServer(args.host, args.port, files_dir=args.files_dir)
    if args.flood_limits:
        server.flood = FloodLimits(per_second=args.flood_limits, chat_gap=args.chat_gap)
    if not args.bare:
        for user in (DEFAULT_MERCHANT, DEFAULT_STAFF):
            server.add_user(user["id"], user["first_name"], language_code=user["language_code"])
        server.add_group(args.group_id, args.group_title)
        if args.support_group_id is not None:
            server.add_group(args.support_group_id, args.support_group_title)
    balancer = None
    if args.balance:
        balancer = Balancer(parse_backends(args.balance), args.host, args.balance_port)
        await balancer.start()
    await server.start()
    print(f"Sandbox web chat:  {server.url}")
    print(f"Bot API base_url:  {server.base_url}")
    print(f"base_file_url:     {server.file_base_url}")
    print(f"bot token:         {server.token}   (random per run; no other token works)")
    if balancer is not None:
        backends = ", ".join(balancer.backends)
        print(f"webhook balancer:  {balancer.url}  (round robin to {backends})")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
        if balancer is not None:
            await balancer.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox server standalone: ``python -m sandbox --port 8080``."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API sandbox with a web chat.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--files-dir", default=None, help="keep uploaded files here")
    parser.add_argument("--group-id", type=int, default=-1001234567890)
    parser.add_argument("--group-title", default="POS 审核群")
    parser.add_argument(
        "--support-group-id", type=int, default=None, help="a second group (the support chat)"
    )
    parser.add_argument("--support-group-title", default="POS 客服群")
    parser.add_argument("--bare", action="store_true", help="no default users or group")
    parser.add_argument(
        "--balance",
        default="",
        metavar="HOST:PORT,HOST:PORT",
        help="also serve a round-robin forwarder to these webhook listeners (standing in for"
        " the load balancer in front of several bot instances); give its URL as WEBHOOK_URL",
    )
    parser.add_argument("--balance-port", type=int, default=8440, help="the forwarder's port")
    parser.add_argument(
        "--flood-limits",
        type=float,
        default=0,
        metavar="PER_SECOND",
        help="answer bulk sends beyond this many a second with 429, as Telegram does at 30"
        " (paid broadcast: 1,000); default: no limit",
    )
    parser.add_argument(
        "--chat-gap", type=float, default=0.0, help="with --flood-limits: seconds per chat"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))
