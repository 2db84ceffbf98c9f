"""HTTP ingestion of POS transactions (`POST /api/transactions`) and the health check.

A batch is all-or-nothing: if any row is malformed, or names an unknown merchant, or
reuses an external id with different content, the answer is 422 listing every such row
by index and nothing of the batch is stored, so the sender can fix and resend it whole.
Resending a batch that was stored is harmless: known ids count as duplicates.

Nothing a client sends makes it answer 500: every refusal is a JSON {"error": ...} with 415
(a form or text body), 413 (over MAX_BODY_BYTES), 401 (no valid X-Signature, including one
that is not ASCII), 400 (not JSON: bad UTF-8, nesting too deep, a number too long) or 422.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.reports.transactions_import import ImportReport, RowProblem, parse_transaction, store_rows
from storage import Storage
from storage.transactions import NewTransaction

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH_ROWS = 5000
SIGNATURE_HEADER = "X-Signature"

Health = Callable[[], Awaitable[dict[str, object]]]
_STORAGE = web.AppKey("storage", Storage)
_SECRET = web.AppKey("secret", bytes)
_HEALTH: web.AppKey[Health] = web.AppKey("health")


class _BatchRejected(Exception):
    """Raised inside the transaction to roll the whole batch back."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} rejected rows")
        self.problems = problems


def sign(body: bytes, secret: str) -> str:
    """The X-Signature value for a body: hex HMAC-SHA256 with the shared secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_ingest_app(storage: Storage, secret: str, health: Health) -> web.Application:
    """The ingestion web app; the caller runs it (see start_ingest_server)."""
    if not secret:
        raise ValueError("an ingest secret is required")
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[_STORAGE] = storage
    app[_SECRET] = secret.encode()
    app[_HEALTH] = health
    app.router.add_post("/api/transactions", _post_transactions)
    app.router.add_get("/healthz", _healthz)
    return app


async def start_ingest_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving app on host:port; stop it later with `await runner.cleanup()`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("ingest API listening on http://%s:%s", host, port)
    return runner


def _signed(request: web.Request, body: bytes) -> bool:
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower().removeprefix("sha256=")
    if not given.isascii():
        # A hex digest is ASCII; anything else (raw bytes arrive as surrogate escapes, which
        # str.encode() refuses) is simply a wrong signature.
        return False
    expected = hmac.new(request.app[_SECRET], body, hashlib.sha256).hexdigest()
    # compare_digest: the time taken must not reveal how much of the signature matched.
    return hmac.compare_digest(given.encode(), expected.encode())


def _json_content_type(content_type: str) -> bool:
    # aiohttp reports a missing Content-Type as application/octet-stream, which is also what
    # HTTP libraries send for raw bytes: a signed body of either kind is taken. Forms and text
    # are refused, so a browser's simple cross-site POST never gets as far as the signature.
    return content_type in (
        "application/json",
        "application/octet-stream",
    ) or content_type.endswith("+json")


def _error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def _post_transactions(request: web.Request) -> web.Response:
    if not _json_content_type(request.content_type):
        return _error(415, "expected Content-Type: application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if not _signed(request, body):
        return _error(401, f"missing or bad {SIGNATURE_HEADER}")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8, bad JSON and integers beyond int()'s digit limit;
        # RecursionError, nesting deeper than the parser's stack.
        return _error(400, "body is not JSON")
    items = payload.get("transactions") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return _error(400, 'expected {"transactions": [...]}')
    if len(items) > MAX_BATCH_ROWS:
        return _error(413, f"at most {MAX_BATCH_ROWS} transactions per batch")

    problems: list[RowProblem] = []
    rows: list[tuple[int, NewTransaction]] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            rows.append((index, parse_transaction(item)))
        except ValueError as exc:
            problems.append(RowProblem(where=index, reason=str(exc)))
    if problems:
        return _rejected(problems)

    report = ImportReport()
    try:
        async with request.app[_STORAGE].transaction() as repos:
            await store_rows(repos.tx, rows, report)
            if report.rejected:
                raise _BatchRejected(report.rejected)
    except _BatchRejected as exc:
        return _rejected(exc.problems)
    log.info("ingested %d transactions (%d duplicates)", report.added, report.duplicates)
    return web.json_response({"added": report.added, "duplicates": report.duplicates})


def _rejected(problems: list[RowProblem]) -> web.Response:
    rows = [{"index": p.where, "reason": p.reason} for p in problems]
    return _error(422, "some transactions were rejected; nothing was stored", rows=rows)


async def _healthz(request: web.Request) -> web.Response:
    health = request.app[_HEALTH]
    try:
        checks = await health()
    except Exception as exc:  # a broken check is itself an unhealthy answer
        log.exception("health check failed")
        return web.json_response({"ok": False, "error": type(exc).__name__}, status=503)
    # Convention: checks are name -> bool; any False means unhealthy.
    healthy = all(value is not False for value in checks.values())
    return web.json_response(checks, status=200 if healthy else 503)
