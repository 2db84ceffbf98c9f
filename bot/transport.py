"""The HTTP client under python-telegram-bot: Bot API calls over aiohttp instead of httpx.

PTB's default (HTTPXRequest) costs several times the CPU per call once calls run concurrently:
httpcore checks every pooled connection (a poll() and a getpeername() each) whenever a
request starts or ends, and form-encodes each parameter byte by byte in Python. The bot makes
about two Bot API calls per update, many at once, and they were its largest cost. aiohttp (a
dependency already, for the webhook and the sandbox) parses HTTP in C and hands out pooled
connections without scanning them.

Proxies from the environment (HTTPS_PROXY, NO_PROXY and friends, as httpx honoured them) are
looked up once per host, not on every call: aiohttp's trust_env reads them, and ~/.netrc, in
a worker thread for each request, two thread hand-offs per call that cost more CPU than the
HTTP itself.

What PTB sees is unchanged: the same parameters (sent as one JSON object, which the Bot API
accepts for everything but uploads; uploads stay multipart), the same status and body back,
timeouts raised as TimedOut and every other transport failure as NetworkError, which
bot/delivery.py then retries or not as before.
"""

from __future__ import annotations

import aiohttp
import yarl
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}
_AGENT = {"User-Agent": BaseRequest.USER_AGENT}


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session with at most `connection_pool_size` connections;
    timeouts in seconds (None: no limit), as HTTPXRequest takes them."""

    def __init__(
        self,
        connection_pool_size: int = 16,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # (scheme, host) -> the proxy and its credentials from the environment, or None
        self._proxies: dict[tuple[str, str], tuple[yarl.URL, aiohttp.BasicAuth | None] | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout."""
        return self._read

    async def initialize(self) -> None:
        """Nothing yet: the session opens with the first call (see _open)."""

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _open(self) -> aiohttp.ClientSession:
        # Opened on first use, not in initialize(): a bot whose start-up fails (a refused
        # token) never shuts down its requests, and an open session warns when collected.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size)
            )
            self._proxies.clear()  # the environment is read again with each new session
        return self._session

    def _proxy(self, url: yarl.URL) -> tuple[yarl.URL, aiohttp.BasicAuth | None] | None:
        """As httpx did: the environment's proxy for the URL (HTTPS_PROXY and friends, unless
        NO_PROXY names the host), looked up on the first call to each host."""
        key = (url.scheme, url.host or "")
        if key not in self._proxies:
            try:
                self._proxies[key] = get_env_proxy_for_url(url)
            except LookupError:
                self._proxies[key] = None
        return self._proxies[key]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request: the status code and the body."""
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout: the whole call is bounded by the sum instead.
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),  # waiting for a pooled connection, then connecting
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | bytes | None = None
        headers = _AGENT
        if request_data is not None and files:
            # Names as they are (UTF-8), as httpx sent them and Telegram shows them: quoted,
            # a CSV named 交易明细_….csv would reach the merchant as %E4%BA%A4….csv.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (file_name, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=file_name, content_type=mime)
            data = form
        elif request_data is not None:
            data, headers = request_data.json_payload, _JSON
        session = self._open()
        target = yarl.URL(url)
        proxy, proxy_auth = self._proxy(target) or (None, None)
        try:
            async with session.request(
                method,
                target,
                data=data,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _sum(*parts: float | None) -> float | None:
    known = [p for p in parts if p is not None]
    return None if len(known) < len(parts) else sum(known)
