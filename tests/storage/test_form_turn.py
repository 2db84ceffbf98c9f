"""What a form step decides by, read in one query: the form, the consent, a repeated update."""

from __future__ import annotations

from storage import Storage


async def test_a_form_step_sees_its_answers_consent_and_a_repeated_delivery(
    storage: Storage,
) -> None:
    async with storage.transaction() as repos:
        assert await repos.applications.form_for(7, consent_version="v1") is None
        await repos.users.upsert_seen(7, first_name="x", username=None, language_code="zh")
        app_id = await repos.applications.create_draft(7)
        await repos.applications.save_answer(app_id, "merchant_name", "小店", sensitive=False)
    async with storage.autocommit() as repos:
        found = await repos.applications.form_for(7, consent_version="v1", update_id=500)
    assert found is not None and found.record.id == app_id
    assert found.record.answers == {"merchant_name": "小店"}
    assert not found.consented and not found.repeated

    async with storage.transaction() as repos:
        await repos.privacy.record_consent(7, version="v1", locale="zh-CN", text_sha256="0" * 64)
        assert await repos.updates.claim(500)
    async with storage.autocommit() as repos:
        again = await repos.applications.form_for(7, consent_version="v1", update_id=500)
        other = await repos.applications.form_for(7, consent_version="v2", update_id=501)
    assert again is not None and again.consented and again.repeated
    assert other is not None and not other.consented and not other.repeated

    async with storage.transaction() as repos:
        await repos.privacy.withdraw_consents(7)
    async with storage.autocommit() as repos:
        withdrawn = await repos.applications.form_for(7, consent_version="v1")
    assert withdrawn is not None and not withdrawn.consented
