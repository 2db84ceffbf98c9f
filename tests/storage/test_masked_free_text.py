"""Free text staff type about an application is stored with personal data masked: a reviewer
who quotes the ID number they reject, or the code they revoke, leaves no plain copy."""

from __future__ import annotations

import secrets
from pathlib import Path

from bot.fulfilment.codes import generate_code, normalize_code
from bot.keys import keys_from_master
from storage import Storage
from storage.reviews import PendingRejection

ID = "11010519491231002X"


async def test_reasons_notes_and_revoke_reasons_are_stored_masked(database: Path | str) -> None:
    storage = Storage(database, keys_from_master(secrets.token_bytes(32)))
    await storage.open()
    code = generate_code()
    reason = f"身份证号 {ID} 与照片不符，卡号 4111 1111 1111 1111，凭证 {code}"
    try:
        async with storage.transaction() as repos:
            await repos.users.upsert_seen(1, first_name="m", username=None, language_code="zh")
            app_id = await repos.applications.create_draft(1)
            await repos.reviews.start(app_id, 7)
            await repos.reviews.save(
                PendingRejection(
                    application_id=app_id,
                    reviewer_id=7,
                    fields=["legal_rep_id"],
                    reasons={"legal_rep_id": reason},
                    prompt_message=None,
                )
            )
            await repos.applications.flag(app_id, {"legal_rep_id": reason})
            await repos.applications.add_event(
                app_id, actor=7, from_state="draft", to_state="draft", note=reason
            )
            await repos.fulfilment.issue_code(app_id, normalize_code(code), code)
            issued = await repos.fulfilment.find_code(normalize_code(code))
            assert issued is not None
            await repos.fulfilment.revoke_code(issued.id, reason)
            stored = [
                *(await repos.tx.fetchall("SELECT reasons FROM pending_rejections")),
                *(await repos.tx.fetchall("SELECT reason FROM application_flags")),
                *(await repos.tx.fetchall("SELECT note FROM application_events WHERE note > ''")),
                *(await repos.tx.fetchall("SELECT revoke_reason FROM application_codes")),
            ]
    finally:
        await storage.close()
    texts = [str(row[0]) for row in stored]
    assert len(texts) == 4
    for text in texts:
        assert "110105********002X" in text and "4111 **** **** 1111" in text
        assert ID not in text and "4111 1111 1111 1111" not in text and code not in text
