"""Tests for bot.documents: upload checks and the encrypted document store."""

from __future__ import annotations

import hashlib
import logging
import stat
from pathlib import Path

import pytest

from bot.application.validation import FieldError
from bot.crypto import DecryptionError, FieldCipher
from bot.documents import (
    ERROR_CODES,
    DocumentError,
    DocumentStore,
    check_document,
    sniff_mime,
)
from tests.e2e.files import jpeg, pdf, png

JPEG = jpeg(1)
PNG = png(2)
PDF = pdf()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
MB = 1024 * 1024


def refused(code: str, data: bytes, **kwargs: object) -> DocumentError:
    options: dict[str, object] = {"declared_mime": None, "file_name": None, "max_bytes": 10 * MB}
    options.update(kwargs)
    with pytest.raises(DocumentError) as info:
        check_document(data, **options)  # type: ignore[arg-type]
    assert info.value.code == code
    assert code in ERROR_CODES
    return info.value


@pytest.mark.parametrize(
    ("data", "mime"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")]
)
def test_accepted_types_are_sniffed_by_magic_bytes(data: bytes, mime: str) -> None:
    assert sniff_mime(data) == mime
    assert check_document(data, declared_mime=mime, file_name=None, max_bytes=MB) == mime


def test_exe_renamed_to_jpg_is_refused_as_unsupported_type() -> None:
    error = refused("document.unsupported_type", EXE, declared_mime="image/jpeg", file_name="a.jpg")
    assert error.params == {"detected": "exe"}


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"GIF89a\x01\x00\x01\x00", "gif"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "heic"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"hello, world", "unknown"),
    ],
)
def test_other_formats_are_refused_and_named(data: bytes, detected: str) -> None:
    error = refused("document.unsupported_type", data)
    assert error.params == {"detected": detected}


def test_oversized_file_is_refused_with_sizes_in_mb() -> None:
    data = JPEG + b"\x00" * (3 * MB)
    error = refused("document.too_large", data, max_bytes=2 * MB)
    assert error.params == {"size_mb": 3.0, "max_mb": 2.0}


def test_file_of_exactly_the_limit_is_accepted() -> None:
    limit = len(PNG)
    assert check_document(PNG, declared_mime=None, file_name=None, max_bytes=limit) == "image/png"


def test_empty_file_is_refused() -> None:
    refused("document.empty", b"")


def test_pdf_labelled_as_jpeg_is_accepted_as_pdf_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.documents"):
        mime = check_document(
            PDF, declared_mime="image/jpeg", file_name="张三营业执照.jpg", max_bytes=MB
        )
    assert mime == "application/pdf"
    assert "application/pdf" in caplog.text
    assert "张三" not in caplog.text  # the file name may hold personal data


def test_document_error_is_a_field_error_for_one_rendering_path() -> None:
    assert issubclass(DocumentError, FieldError)


# --------------------------------------------------------------------------- store


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "docs", FieldCipher([bytes(range(32))]))


def test_store_roundtrip_by_plaintext_sha256(store: DocumentStore) -> None:
    blob = store.put(JPEG, "image/jpeg")
    assert blob.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert (blob.size, blob.mime) == (len(JPEG), "image/jpeg")
    assert store.exists(blob.sha256)
    assert store.get(blob.sha256) == JPEG


def test_stored_file_is_ciphertext_in_sharded_path_with_mode_0600(
    store: DocumentStore,
) -> None:
    secret = PDF + "居民身份证 11010519491231002X".encode()
    blob = store.put(secret, "application/pdf")
    assert blob.path == store.root / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    on_disk = blob.path.read_bytes()
    assert b"11010519491231002X" not in on_disk
    assert b"%PDF" not in on_disk
    assert stat.S_IMODE(blob.path.stat().st_mode) == 0o600
    assert [p.name for p in blob.path.parent.iterdir()] == [blob.sha256]  # no temp files


def test_storing_the_same_content_twice_is_idempotent(store: DocumentStore) -> None:
    first = store.put(PNG, "image/png")
    written = first.path.read_bytes()
    second = store.put(PNG, "image/png")
    assert second == first
    assert first.path.read_bytes() == written


def test_delete_removes_the_blob(store: DocumentStore) -> None:
    blob = store.put(PNG, "image/png")
    assert store.delete(blob.sha256)
    assert not store.exists(blob.sha256)
    assert not store.delete(blob.sha256)
    with pytest.raises(FileNotFoundError):
        store.get(blob.sha256)


def test_blob_copied_under_another_name_fails_to_decrypt(store: DocumentStore) -> None:
    a = store.put(JPEG, "image/jpeg")
    b = store.put(PNG, "image/png")
    b.path.write_bytes(a.path.read_bytes())
    with pytest.raises(DecryptionError):
        store.get(b.sha256)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "abc", ""])
def test_store_refuses_ids_that_are_not_sha256(store: DocumentStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.get(bad)
