"""`make run` without a token: the sandbox serves the chat page and the bot answers /start."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, body: dict | None = None, *, secret: str = "") -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"X-Sandbox-Secret": secret} if secret else {}
    if data:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read().decode()


def test_sandbox_serves_chat_page_and_bot_answers_start(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env.update(SANDBOX_PORT=str(port), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        deadline = time.monotonic() + 30
        while "chat page" not in banner and time.monotonic() < deadline:
            banner += proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner, banner

        status, page = http(f"http://127.0.0.1:{port}/")
        assert status == 200 and "<html" in page.lower()
        # The control API answers only with the per-run secret the page was served with.
        found = re.search(r'<meta name="sandbox-secret" content="([^"]+)">', page)
        assert found, page[:500]
        secret = found.group(1)

        http(
            f"http://127.0.0.1:{port}/sandbox/api/send_text",
            {"user_id": 10001, "text": "/start"},
            secret=secret,
        )
        reply = ""
        deadline = time.monotonic() + 15
        while "您好" not in reply and time.monotonic() < deadline:
            time.sleep(0.2)
            _, reply = http(
                f"http://127.0.0.1:{port}/sandbox/api/chats/10001/messages", secret=secret
            )
        assert "您好" in reply

        # With no FEE_* set, the sandbox shows the demo's rates wherever the fees are quoted.
        http(
            f"http://127.0.0.1:{port}/sandbox/api/send_text",
            {"user_id": 10001, "text": "刷卡手续费是多少"},
            secret=secret,
        )
        deadline = time.monotonic() + 15
        while "0.60%" not in reply and time.monotonic() < deadline:
            time.sleep(0.2)
            _, reply = http(
                f"http://127.0.0.1:{port}/sandbox/api/chats/10001/messages", secret=secret
            )
        assert "借记卡：0.38%" in reply, reply[-1500:]
        assert "扫码（支付宝、微信、云闪付）：0.60%" in reply, reply[-1500:]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert (tmp_path / "data" / "encryption.key").stat().st_mode & 0o777 == 0o600
