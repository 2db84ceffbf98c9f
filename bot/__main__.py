"""The `merchant-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Callable
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
    faq_sub.add_parser("calibrate", help="choose the abstention thresholds from data")
    evaluate = faq_sub.add_parser("eval", help="measure answers on a question set")
    evaluate.add_argument("file", nargs="?", type=Path)
    ask = faq_sub.add_parser("ask", help="answer one question as the chat would")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=("zh", "en"), default=None)
    ask.add_argument("--json", action="store_true", dest="as_json")
    imports = sub.add_parser(
        "import-transactions", help="store POS transactions from a CSV file (idempotent)"
    )
    imports.add_argument("file", type=Path, metavar="FILE.csv")
    demo = sub.add_parser("demo-data", help="fill the database with demo merchants and sales")
    demo.add_argument("--merchants", type=_positive, default=5, metavar="N")
    demo.add_argument("--days", type=_positive, default=21, metavar="N")
    demo.add_argument(
        "--telegram-id",
        type=int,
        action="append",
        dest="telegram_ids",
        metavar="ID",
        help="link the demo merchants, in order, to these Telegram users (repeatable)",
    )
    purge = sub.add_parser(
        "purge", help="delete documents of cancelled or rejected applications after a while"
    )
    purge.add_argument(
        "--older-than-days",
        type=float,
        default=None,
        metavar="N",
        help="default: PURGE_AFTER_DAYS (90)",
    )
    sub.add_parser(
        "rotate-key", help="new encryption key; re-encrypt personal data (stop the bot first)"
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _fail(message: str) -> int:
    print(f"merchant-bot: {message}", file=sys.stderr)
    return 2


def _register_secrets(settings: Settings) -> None:
    """Secrets that must never reach a log line, whichever library would log them."""
    from urllib.parse import urlsplit

    from bot.masking import register_secret

    for secret in (settings.webhook_secret, settings.ingest_secret):
        if secret is not None:
            register_secret(secret.get_secret_value())
    url = settings.database_url.get_secret_value() if settings.database_url else ""
    password = urlsplit(url).password if url else None
    if password:
        register_secret(password)


def _run(settings: Settings) -> int:
    from bot.logs import configure_logging
    from bot.runner import run

    configure_logging(settings.log_level)
    _register_secrets(settings)
    try:
        asyncio.run(run(settings))
    except ConfigError as exc:
        return _fail(str(exc))
    except (sqlite3.Error, OSError, *_pg_errors()) as exc:
        if isinstance(exc, OSError) and exc.errno == 98:
            return _fail(f"SANDBOX_PORT: port {settings.sandbox_port} is already in use")
        return _fail(f"{settings.database_setting}: cannot open {settings.database_label}: {exc}")
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for configuration errors)."""
    args = _parser().parse_args(argv)
    if args.command == "faq":
        from faq import cli

        if args.faq_command == "ask":
            return cli.run_ask(args.question, args.lang, args.as_json)
        if args.faq_command == "calibrate":
            return cli.run_calibrate()
        return cli.run_check() if args.faq_command == "check" else cli.run_eval(args.file)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    if args.command == "import-transactions":
        from bot.reports.transactions_import import run_import

        return _offline(settings, lambda: run_import(settings, args.file))
    if args.command == "rotate-key":
        from bot.rotate import run_rotate

        return _offline(settings, lambda: run_rotate(settings))
    if args.command == "purge":
        from bot.purge import run_purge

        return _offline(settings, lambda: run_purge(settings, args.older_than_days))
    if args.command == "demo-data":
        from bot.demo import run_demo_data
        from bot.runner import SANDBOX_MERCHANT

        telegram_ids = args.telegram_ids
        if not telegram_ids and settings.sandbox:
            # So that the sandbox's merchant 小王 sees real summaries right away.
            telegram_ids = [SANDBOX_MERCHANT[0]]
        return _offline(
            settings,
            lambda: run_demo_data(
                settings, merchants=args.merchants, days=args.days, telegram_ids=telegram_ids
            ),
        )
    return _run(settings)


def _offline(settings: Settings, command: Callable[[], int]) -> int:
    """Run a command that works on the database without the bot."""
    try:
        return command()
    except (sqlite3.Error, OSError, *_pg_errors()) as exc:
        return _fail(f"{settings.database_setting}: cannot open {settings.database_label}: {exc}")


def _pg_errors() -> tuple[type[BaseException], ...]:
    """PostgreSQL's errors (a wrong password, no such database) when asyncpg is installed."""
    try:
        import asyncpg
    except ImportError:
        return ()
    return (asyncpg.PostgresError, asyncpg.InterfaceError)


if __name__ == "__main__":
    sys.exit(main())
