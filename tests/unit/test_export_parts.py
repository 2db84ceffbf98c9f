"""/mydata's ZIPs stay under Telegram's file limit whatever the documents' sizes."""

from __future__ import annotations

import io
import random
import zipfile

from bot.privacy.export import MAX_ZIP_BYTES, build_zips


def test_every_zip_is_within_the_limit_and_together_they_hold_everything() -> None:
    rng = random.Random(7)
    files = {
        f"documents/AP20261202-{n:04d}/licence.jpg": rng.randbytes(rng.randrange(1, 9000))
        for n in range(40)
    }
    data = {"applications": [{"answers": {"note": "x" * 5000}}]}
    for limit in (10_000, 12_345, 30_000):
        parts = build_zips(data, files, limit)
        assert len(parts) > 1 and all(len(part) <= limit for part in parts), limit
        opened = [zipfile.ZipFile(io.BytesIO(part)) for part in parts]
        assert "data.json" in opened[0].namelist()
        read = {n: z.read(n) for z in opened for n in z.namelist() if n != "data.json"}
        assert read == files


def test_a_small_export_is_one_zip() -> None:
    assert MAX_ZIP_BYTES < 50 * 1024 * 1024  # Telegram's sendDocument limit
    assert len(build_zips({}, {"documents/a.png": b"\x89PNG" * 1000})) == 1
