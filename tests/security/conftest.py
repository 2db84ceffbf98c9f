"""The security tests use the end-to-end fixtures (local Bot API server, real bot)."""

from tests.e2e.conftest import (  # noqa: F401
    bot,
    bot_settings,
    merchant,
    run_bot,
    server,
)
