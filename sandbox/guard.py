"""What keeps the sandbox safe on a developer's laptop while a browser is open.

Any web page the developer visits can make the browser send requests to 127.0.0.1, and a
DNS-rebinding page can even read the answers. So every request must name this server in its
Host header; the control API (/sandbox/api/...) further needs the per-run secret that the
chat page is served with, a same-origin Origin/Sec-Fetch-Site when the browser sends one,
and a JSON (or, for uploads, multipart) body on anything that changes state. The Bot API
needs the per-run bot token, checked in bot_api.py.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web

__all__ = ["SECRET_HEADER", "allowed_hosts", "host_guard", "same_secret"]

SECRET_HEADER = "X-Sandbox-Secret"
# EventSource cannot set headers, so the SSE feed alone may carry the secret in its query.
SECRET_QUERY = "secret"
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_CONTROL = "/sandbox/api/"
_UPLOAD = "/sandbox/api/upload"
_READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})
# "none" is a navigation the user typed; everything else must come from the page itself.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})
_dumps = partial(json.dumps, ensure_ascii=False)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allowed_hosts(bind_host: str) -> frozenset[str]:
    """Host names the server answers to: loopback, plus SANDBOX_HOST if set to another name."""
    host = bind_host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal appears bracketed in the Host header
    return frozenset({*_LOOPBACK, host})


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison that tolerates a missing or non-ASCII value."""
    if not given:
        return False
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _split_host(value: str) -> tuple[str, str | None]:
    """("localhost", "8080") from "LocalHost:8080"; ("[::1]", None) from "[::1]"."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return value, None
        name, rest = value[: end + 1], value[end + 1 :]
        return name, rest[1:] if rest.startswith(":") else None
    name, colon, port = value.partition(":")
    return name, port if colon else None


def _body_type(request: web.Request) -> str | None:
    """The only Content-Type a state-changing control call may have; None for reads.

    A cross-site <form>, or a fetch that skips the CORS preflight, can only send text/plain,
    application/x-www-form-urlencoded or multipart/form-data. Uploads are multipart, so what
    protects them is the secret header, which no cross-site request can set.
    """
    if request.method in _READ_ONLY:
        return None
    return "multipart/form-data" if request.path == _UPLOAD else "application/json"


def _refuse(status: int, message: str, *, telegram: bool) -> web.Response:
    body = (
        {"ok": False, "error_code": status, "description": message}
        if telegram
        else {"ok": False, "error": message}
    )
    return web.json_response(body, status=status, dumps=_dumps)


def host_guard(
    hosts: frozenset[str], port: Callable[[], int], secret: str
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware: Host on everything, then the control API's secret, origin and body."""

    def host_ok(request: web.Request) -> bool:
        name, given_port = _split_host(request.headers.get("Host", ""))
        if name not in hosts:
            return False
        expected = str(port())
        return given_port == expected or (given_port is None and expected == "80")

    def origin_ok(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        # "null" is what sandboxed iframes, file:// pages and some redirects send.
        if origin is not None and origin.lower() != f"http://{request.headers['Host'].lower()}":
            return False
        site = request.headers.get("Sec-Fetch-Site")
        return site is None or site in _OWN_FETCH_SITES

    def secret_ok(request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        if given is None and request.path == f"{_CONTROL}stream":
            given = request.query.get(SECRET_QUERY)
        return same_secret(given, secret)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        telegram = request.path.startswith(("/bot", "/file/"))
        control = request.path.startswith(_CONTROL)
        if not host_ok(request):
            return _refuse(421, "Misdirected Request: wrong Host", telegram=telegram)
        # Bots never send Origin: on either API one that is not this page's is a foreign page.
        if (telegram or control) and not origin_ok(request):
            return _refuse(403, "Forbidden: cross-origin request", telegram=telegram)
        if control:
            if not secret_ok(request):
                return _refuse(403, f"missing or wrong {SECRET_HEADER}", telegram=False)
            wanted = _body_type(request)
            if wanted is not None and request.content_type != wanted:
                return _refuse(415, f"Content-Type must be {wanted}", telegram=False)
        return await handler(request)

    return guard
