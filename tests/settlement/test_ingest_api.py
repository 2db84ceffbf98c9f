"""POST /api/transactions: signed, idempotent, all-or-nothing per batch; GET /healthz."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.ingest_api import build_ingest_app, sign
from storage import Storage
from storage.transactions import TransactionRepository
from tests.settlement.conftest import add_merchant

SECRET = "s3cret-shared-with-the-acquirer"


def _row(external_id: str, amount: str = "12.50", **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "external_id": external_id,
        "merchant_no": "M3301000001",
        "terminal_sn": "SN01",
        "type": "sale",
        "amount": amount,
        "fee": "0.08",
        "channel": "alipay",
        "occurred_at": "2026-11-25T12:00:00+08:00",
    }
    return row | changes


@pytest.fixture
def checks() -> dict[str, object]:
    """What the lead's health callable reports; a test may flip a check to False."""
    return {"database": True, "telegram": True}


@pytest.fixture
async def client(storage: Storage, checks: dict[str, object]) -> AsyncIterator[TestClient]:
    await add_merchant(storage)

    async def health() -> dict[str, object]:
        return dict(checks)

    async with TestClient(TestServer(build_ingest_app(storage, SECRET, health))) as test_client:
        yield test_client


async def _post(client: TestClient, rows: list[dict[str, object]], signature: str | None = None):
    body = json.dumps({"transactions": rows}).encode()
    headers = {"Content-Type": "application/json"}
    headers["X-Signature"] = sign(body, SECRET) if signature is None else signature
    return await client.post("/api/transactions", data=body, headers=headers)


async def _stored(storage: Storage, external_id: str) -> bool:
    async with storage.transaction() as repos:
        return await TransactionRepository(repos.tx).get(external_id) is not None


async def test_a_signed_batch_is_stored_and_resending_it_adds_nothing(
    client: TestClient, storage: Storage
) -> None:
    rows = [_row("A1"), _row("A2", "3", type="refund")]
    first = await _post(client, rows)
    assert first.status == 200 and await first.json() == {"added": 2, "duplicates": 0}
    again = await _post(client, rows)
    assert await again.json() == {"added": 0, "duplicates": 2}
    assert await _stored(storage, "A2")


@pytest.mark.parametrize("signature", ["", "0" * 64, sign(b"another body", SECRET)])
async def test_a_badly_signed_batch_is_refused_and_nothing_stored(
    client: TestClient, storage: Storage, signature: str
) -> None:
    response = await _post(client, [_row("B1")], signature=signature)
    assert response.status == 401
    assert not await _stored(storage, "B1")


async def test_malformed_rows_are_listed_and_the_rest_of_the_batch_is_not_stored(
    client: TestClient, storage: Storage
) -> None:
    rows = [_row("C1"), _row("C2", "1.001"), _row("C3", type="gift"), _row("C4", 12.5)]
    response = await _post(client, rows)
    assert response.status == 422
    listed = (await response.json())["rows"]
    assert [r["index"] for r in listed] == [1, 2, 3]
    assert "bad amount" in listed[0]["reason"] and "unknown type" in listed[1]["reason"]
    assert not await _stored(storage, "C1")


async def test_unknown_merchant_or_changed_duplicate_rejects_the_whole_batch(
    client: TestClient, storage: Storage
) -> None:
    await _post(client, [_row("D1")])
    response = await _post(
        client, [_row("D2"), _row("D1", "99.00"), _row("D3", merchant_no="M0000000000")]
    )
    assert response.status == 422
    assert [r["index"] for r in (await response.json())["rows"]] == [1, 2]
    assert not await _stored(storage, "D2")


async def test_a_body_that_is_not_a_batch_is_a_bad_request(client: TestClient) -> None:
    body = b"not json"
    response = await client.post(
        "/api/transactions", data=body, headers={"X-Signature": sign(body, SECRET)}
    )
    assert response.status == 400


async def test_health_reports_200_when_all_is_well_and_503_otherwise(
    client: TestClient, checks: dict[str, object]
) -> None:
    ok = await client.get("/healthz")
    assert ok.status == 200 and await ok.json() == checks
    checks["telegram"] = False
    down = await client.get("/healthz")
    assert down.status == 503 and (await down.json())["telegram"] is False
