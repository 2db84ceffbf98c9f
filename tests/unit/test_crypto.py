"""Tests for bot.crypto: field encryption, key files and the blind index."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.crypto import (
    DecryptionError,
    FieldCipher,
    blind_index,
    derive_key,
    generate_key,
    key_from_setting,
    load_or_create_key,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
ID_NUMBER = "11010519491231002X"


def test_string_roundtrip_gives_versioned_token_without_plaintext() -> None:
    cipher = FieldCipher([KEY_A])
    token = cipher.encrypt_str(ID_NUMBER)
    assert token.startswith("v1:")
    assert ID_NUMBER not in token
    assert cipher.decrypt_str(token) == ID_NUMBER


def test_unicode_string_roundtrip() -> None:
    cipher = FieldCipher([KEY_A])
    assert cipher.decrypt_str(cipher.encrypt_str("张三·买买提")) == "张三·买买提"


def test_bytes_roundtrip() -> None:
    cipher = FieldCipher([KEY_A])
    data = os.urandom(1000)
    blob = cipher.encrypt_bytes(data)
    assert data not in blob
    assert cipher.decrypt_bytes(blob) == data


def test_same_value_encrypts_differently_each_time() -> None:
    cipher = FieldCipher([KEY_A])
    assert cipher.encrypt_str(ID_NUMBER) != cipher.encrypt_str(ID_NUMBER)


def test_rotation_new_key_encrypts_and_old_tokens_still_decrypt() -> None:
    old_token = FieldCipher([KEY_A]).encrypt_str(ID_NUMBER)
    rotated = FieldCipher([KEY_B, KEY_A])
    assert rotated.decrypt_str(old_token) == ID_NUMBER
    assert rotated.needs_reencryption(old_token)
    new_token = rotated.encrypt_str(ID_NUMBER)
    assert not rotated.needs_reencryption(new_token)
    # The new token really uses key B: a cipher that only knows A cannot read it.
    with pytest.raises(DecryptionError, match="no key with id"):
        FieldCipher([KEY_A]).decrypt_str(new_token)
    assert FieldCipher([KEY_B]).decrypt_str(new_token) == ID_NUMBER


def test_rotation_applies_to_bytes_blobs() -> None:
    old_blob = FieldCipher([KEY_A]).encrypt_bytes(b"scan")
    rotated = FieldCipher([KEY_B, KEY_A])
    assert rotated.needs_reencryption(old_blob)
    assert rotated.decrypt_bytes(old_blob) == b"scan"


def test_primary_key_id_is_a_short_hex_id() -> None:
    assert len(FieldCipher([KEY_A]).primary_key_id) == 8


def test_tampered_token_is_rejected() -> None:
    cipher = FieldCipher([KEY_A])
    token = cipher.encrypt_str(ID_NUMBER)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError, match="authentication failed"):
        cipher.decrypt_str(tampered)


def test_token_from_another_context_is_rejected() -> None:
    cipher = FieldCipher([KEY_A])
    token = cipher.encrypt_str(ID_NUMBER, context="resident_id")
    assert cipher.decrypt_str(token, context="resident_id") == ID_NUMBER
    with pytest.raises(DecryptionError):
        cipher.decrypt_str(token, context="account_number")


@pytest.mark.parametrize("token", ["", "plain text", "v1:", "v1:!!!!", "v2:AAAA"])
def test_malformed_tokens_raise_decryption_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher([KEY_A]).decrypt_str(token)


def test_cipher_refuses_wrong_key_sizes_and_duplicates() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher([b"short"])
    with pytest.raises(ValueError, match="at least one key"):
        FieldCipher([])
    with pytest.raises(ValueError, match="twice"):
        FieldCipher([KEY_A, KEY_A])


# --------------------------------------------------------------------------- key handling


def test_missing_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "field.key"
    key, created = load_or_create_key(path)
    assert created
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind


def test_existing_key_file_is_loaded_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "field.key"
    first, _ = load_or_create_key(path)
    again, created = load_or_create_key(path)
    assert (again, created) == (first, False)


def test_key_file_with_raw_bytes_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "raw.key"
    path.write_bytes(KEY_A)
    assert load_or_create_key(path) == (KEY_A, False)


def test_corrupt_key_file_raises_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("not a key")
    with pytest.raises(ValueError, match=r"bad\.key"):
        load_or_create_key(path)


def test_key_setting_accepts_urlsafe_base64_with_or_without_padding() -> None:
    encoded = base64.urlsafe_b64encode(KEY_A).decode()
    assert key_from_setting(encoded) == KEY_A
    assert key_from_setting(encoded.rstrip("=") + "\n") == KEY_A


def test_key_setting_accepts_fernet_and_generated_keys() -> None:
    assert len(key_from_setting(Fernet.generate_key().decode())) == 32
    assert len(key_from_setting(generate_key())) == 32


def test_key_setting_of_wrong_size_says_how_many_bytes_without_echoing_it() -> None:
    value = base64.urlsafe_b64encode(b"sixteen byte key").decode()
    with pytest.raises(ValueError, match="decodes to 16 bytes") as info:
        key_from_setting(value)
    assert value not in str(info.value)


def test_key_setting_that_is_not_base64_is_rejected() -> None:
    with pytest.raises(ValueError, match="not base64"):
        key_from_setting("correct horse battery staple!")


def test_derived_keys_differ_by_purpose_and_are_stable() -> None:
    assert derive_key(KEY_A, "blind-index") == derive_key(KEY_A, "blind-index")
    assert derive_key(KEY_A, "blind-index") != derive_key(KEY_A, "fields")
    assert len(derive_key(KEY_A, "fields")) == 32


# --------------------------------------------------------------------------- blind index


def test_blind_index_is_equal_for_differently_typed_same_id() -> None:
    assert blind_index("110105 19491231 002x", KEY_A) == blind_index(ID_NUMBER, KEY_A)
    assert blind_index("１１０１０５１９４９１２３１００２Ｘ", KEY_A) == blind_index(
        ID_NUMBER, KEY_A
    )


def test_blind_index_depends_on_key_and_value() -> None:
    index = blind_index(ID_NUMBER, KEY_A)
    assert len(index) == 64
    assert ID_NUMBER not in index
    assert index != blind_index(ID_NUMBER, KEY_B)
    assert index != blind_index("440524200001010013", KEY_A)


def test_blind_index_refuses_a_short_key() -> None:
    with pytest.raises(ValueError):
        blind_index(ID_NUMBER, b"short")
