"""The `merchant-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from bot.settings import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="merchant-bot", description="Telegram assistant for POS merchants."
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the local sandbox when BOT_TOKEN is not set)")
    faq = sub.add_parser("faq", help="knowledge base tools")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    faq_sub.add_parser("check", help="validate the knowledge base files")
    evaluate = faq_sub.add_parser("eval", help="measure answers on a question set")
    evaluate.add_argument("file", nargs="?", type=Path)
    return parser


def _fail(message: str) -> int:
    print(f"merchant-bot: {message}", file=sys.stderr)
    return 2


def _run(settings: Settings) -> int:
    from bot.logs import configure_logging
    from bot.runner import run

    configure_logging(settings.log_level)
    try:
        asyncio.run(run(settings))
    except (sqlite3.Error, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno == 98:
            return _fail(f"SANDBOX_PORT: port {settings.sandbox_port} is already in use")
        return _fail(f"DATABASE_PATH: cannot open {settings.database_path}: {exc}")
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for configuration errors)."""
    args = _parser().parse_args(argv)
    if args.command == "faq":
        from faq import cli

        return cli.run_check() if args.faq_command == "check" else cli.run_eval(args.file)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
