"""A round-robin HTTP forwarder: one webhook URL in front of several bot instances.

Stands in for the load balancer (nginx, HAProxy, a cloud one) a deployment puts in front of
the instances' webhooks, so that the sandbox can deliver updates to two or more
``merchant-bot run`` processes (``python -m sandbox --balance 127.0.0.1:8443,127.0.0.1:8444``).
Each request goes, path, headers and body unchanged, to the next backend in turn; a backend
that refuses the connection or times out is skipped for the next one, as a balancer's health
check would; the backend's status and body are returned as they are, so the sandbox's webhook
retries (a non-2xx answer) work through it. Only for local use: it forwards to the backends it
was given and nothing else.
"""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

__all__ = ["Balancer", "parse_backends"]

_HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}


def parse_backends(spec: str) -> list[str]:
    """``"127.0.0.1:8443,127.0.0.1:8444"`` (or full http:// URLs) -> base URLs."""
    backends = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        backends.append(part.rstrip("/") if "://" in part else f"http://{part}")
    if not backends:
        raise ValueError("--balance needs at least one host:port")
    return backends


class Balancer:
    """Forwards every request to the backends in turn, skipping those that do not answer."""

    def __init__(
        self, backends: list[str], host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0
    ) -> None:
        self.backends = backends
        self.host = host
        self.port = port
        self.timeout = timeout
        self.forwarded: dict[str, int] = dict.fromkeys(backends, 0)  # requests answered by each
        self._next = itertools.cycle(range(len(backends)))
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The base URL to give as WEBHOOK_URL (plus the instances' webhook path)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve; with port 0 a free port is chosen and stored in ``self.port``."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        for _ in self.backends:
            backend = self.backends[next(self._next)]
            try:
                async with self._session.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as reply:
                    content = await reply.read()
                    self.forwarded[backend] += 1
                    return web.Response(
                        status=reply.status,
                        body=content,
                        content_type=reply.content_type if content else None,
                    )
            except (aiohttp.ClientError, TimeoutError):
                continue  # that instance is down: the next one
        return web.Response(status=502, text="no backend answered")
