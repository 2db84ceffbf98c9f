"""Webhook settings: a bad value stops start-up with one line naming the variable (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_settings import run_cli


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WEBHOOK_URL": "http://bot.example.com/tg", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://bot.example.com/tg"}, "WEBHOOK_SECRET"),
        (
            {"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "not allowed!"},
            "WEBHOOK_SECRET",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "x" * 257},
            "WEBHOOK_SECRET",
        ),
    ],
)
def test_bad_webhook_settings_stop_startup_with_one_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = run_cli(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "not allowed!" not in result.stderr and "Traceback" not in result.stderr


def test_http_webhook_is_allowed_to_localhost_and_the_path_comes_from_the_url(
    make_settings,
) -> None:
    settings = make_settings(webhook_url="http://localhost:8443/tg/hook", webhook_secret="a_B-9")
    assert settings.webhook_path == "/tg/hook"


def test_a_taken_webhook_port_stops_startup_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            {
                "WEBHOOK_URL": "https://bot.example.com/tg",
                "WEBHOOK_SECRET": "s3cret",
                "WEBHOOK_LISTEN_PORT": str(port),
                "SANDBOX_PORT": "0",
            },
            tmp_path,
        )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("merchant-bot: WEBHOOK_LISTEN_PORT"), result.stderr
    assert "s3cret" not in result.stderr
