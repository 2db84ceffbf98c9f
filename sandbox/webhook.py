"""Webhook delivery as Telegram does it: setWebhook, deleteWebhook, getWebhookInfo.

While a webhook is set, getUpdates is refused with 409 and every update is POSTed as JSON to
the URL, with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret_token was given.
An update counts in ``pending_update_count`` until the bot answers it with a 2xx status; any
other status, a refused connection or a timeout is recorded as ``last_error_date`` /
``last_error_message`` and the update is sent again after a backoff (``retry_base`` doubling
up to ``retry_cap`` seconds). Updates of one chat are delivered one at a time and in order
(a later one waits behind one being retried); different chats go concurrently, at most
``max_connections`` at once.

Like the self-hosted telegram-bot-api server in --local mode, plain http:// URLs on any port
are accepted (Telegram itself wants HTTPS on 443, 80, 88 or 8443); max_connections is
clamped to 1-100 (default 40).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.params import ApiError, Params, bad_request
from sandbox.state import SandboxState

__all__ = ["WEBHOOK_ACTIVE", "WEBHOOK_METHODS", "Webhook"]

WEBHOOK_ACTIVE = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _chat_key(update: dict[str, Any]) -> Any:
    """The chat an update belongs to: its updates are delivered in order, one at a time."""
    body = next(v for k, v in update.items() if k != "update_id")
    if not isinstance(body, dict):
        return None
    message = body.get("message") if "data" in body else body
    chat = (message or {}).get("chat") or {}
    return chat.get("id", (body.get("from") or {}).get("id"))


class Webhook:
    """One webhook registration and the task delivering updates to it."""

    # Class-level so tests can make retries quick; Telegram's own delays are seconds.
    retry_base = 1.0
    retry_cap = 60.0
    timeout = 30.0

    def __init__(
        self, state: SandboxState, url: str, secret_token: str | None, max_connections: int
    ) -> None:
        self.state = state
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self._attempts: dict[int, int] = {}
        self._retry_at: dict[Any, float] = {}
        self._in_flight: dict[Any, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin delivering (called by setWebhook)."""
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def close(self) -> None:
        """Stop delivering; undelivered updates stay queued (getUpdates can take them)."""
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def info(self) -> dict[str, Any]:
        """The WebhookInfo object."""
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": self.state.pending_update_count(),
            "max_connections": self.max_connections,
            "ip_address": "127.0.0.1",
        }
        if self.state.allowed_updates is not None:
            info["allowed_updates"] = list(self.state.allowed_updates)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self.state.closing:
                pulse = self.state.updates_pulse.armed()  # before looking: no wake-up is lost
                wait = self._dispatch(session)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pulse.wait(), wait)

    def _dispatch(self, session: aiohttp.ClientSession) -> float:
        """Start a POST for each chat whose next update may go; return how long to sleep."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        seen: set[Any] = set()
        sleep = 1.0
        for update in self.state.take_updates(max(self.state.pending_update_count(), 1)):
            key = _chat_key(update)
            if key in seen:
                continue  # behind an earlier update of the same chat
            seen.add(key)
            if key in self._in_flight or len(self._in_flight) >= self.max_connections:
                continue
            due = self._retry_at.get(key, 0.0)
            if due > now:
                sleep = min(sleep, due - now)
                continue
            task = loop.create_task(self._post(session, update, key))
            self._in_flight[key] = task
        return sleep

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any], key: Any) -> None:
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        error: str | None = None
        try:
            async with session.post(self.url, data=json.dumps(update), headers=headers) as reply:
                await reply.read()
                if not 200 <= reply.status < 300:
                    error = f"Wrong response from the webhook: {reply.status} {reply.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as exc:
            error = f"Connection error: {type(exc).__name__}"
        finally:
            self._in_flight.pop(key, None)
        update_id = update["update_id"]
        if error is None:
            self.state.remove_update(update_id)
            self._attempts.pop(update_id, None)
            self._retry_at.pop(key, None)
            self.delivered += 1
        else:
            attempt = self._attempts.get(update_id, 0) + 1
            self._attempts[update_id] = attempt
            self.last_error_date = int(time.time())
            self.last_error_message = error
            delay = min(self.retry_base * 2 ** (attempt - 1), self.retry_cap)
            self._retry_at[key] = asyncio.get_running_loop().time() + delay
        self.state.updates_pulse.fire()  # the chat's next update, or this one's retry, may go


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: an HTTP or HTTPS URL must be provided for webhook")
    return url


async def _replace(state: SandboxState, webhook: Webhook | None) -> None:
    old, state.webhook = state.webhook, webhook
    if old is not None:
        await old.close()
    state.updates_pulse.fire()  # a pending getUpdates now answers 409


async def set_webhook(state: SandboxState, params: Params) -> bool:
    """setWebhook: url (empty removes it), secret_token, max_connections, allowed_updates,
    drop_pending_updates."""
    url = params.get_str("url") or ""
    if not url:
        return await delete_webhook(state, params)
    secret = params.get_str("secret_token") or None
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    connections = min(max(params.get_int("max_connections", default=40) or 40, 1), 100)
    allowed = params.get_json("allowed_updates", "allowed updates")
    webhook = Webhook(state, _checked_url(url), secret, connections)
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    if params.get_bool("drop_pending_updates"):
        state.drop_updates()
    await _replace(state, webhook)
    webhook.start()
    return True


async def delete_webhook(state: SandboxState, params: Params) -> bool:
    """deleteWebhook: back to getUpdates; optionally drops pending updates."""
    if params.get_bool("drop_pending_updates"):
        state.drop_updates()
    await _replace(state, None)
    return True


async def get_webhook_info(state: SandboxState, params: Params) -> dict[str, Any]:
    """getWebhookInfo (url is empty when no webhook is set)."""
    if state.webhook is not None:
        return state.webhook.info()
    return {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": state.pending_update_count(),
    }


WEBHOOK_METHODS = {
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
}
