"""Stored files: ids like Telegram's, content-addressed unique ids, image size sniffing."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FileStore", "StoredFile", "image_size"]

# Telegram's photo file_ids start with "AgAC", documents with "BQAC"; mimic for realism.
_ID_PREFIX = {"photo": "AgACAgUAAxkBAAI", "document": "BQACAgUAAxkBAAI"}
_FOLDER = {"photo": "photos", "document": "documents"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF, WEBP or BMP image; None if not recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def image_mime(data: bytes) -> str:
    """A best-effort image MIME type from magic bytes."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:3] == b"GIF":
        return "image/gif"
    if data[:4] == b"RIFF":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    return "image/jpeg"


@dataclass
class StoredFile:
    """Metadata of one stored file (the bytes live in the store)."""

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    def photo_size(self) -> dict[str, Any]:
        """The Bot API PhotoSize for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.size,
        }

    def document(self) -> dict[str, Any]:
        """The Bot API Document for this file."""
        doc: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        doc["file_size"] = self.size
        return doc

    def file(self) -> dict[str, Any]:
        """The Bot API File returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """Files kept in memory, or under ``files_dir`` when given (named by content hash)."""

    def __init__(self, files_dir: Path | None = None) -> None:
        self._dir = files_dir
        if files_dir is not None:
            files_dir.mkdir(parents=True, exist_ok=True)
        self._blobs: dict[str, bytes] = {}
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store bytes and issue a new file_id; identical bytes share one file_unique_id."""
        digest = hashlib.sha256(data).digest()
        unique_id = "AQAD" + base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")
        file_id = _ID_PREFIX.get(kind, "CQACAgUAAxkBAAI") + secrets.token_urlsafe(48)
        ext = _extension(file_name, mime_type, kind)
        # Random, not a counter: nobody can fetch a file whose getFile answer they did not see.
        path = f"{_FOLDER.get(kind, kind + 's')}/file_{secrets.token_urlsafe(16)}{ext}"
        size = image_size(data) if kind == "photo" else None
        record = StoredFile(
            file_id=file_id,
            file_unique_id=unique_id,
            kind=kind,
            file_path=path,
            size=len(data),
            file_name=file_name,
            mime_type=mime_type,
            # Unknown images (fake bytes in tests) get a plausible fixed size.
            width=size[0] if size else (1280 if kind == "photo" else None),
            height=size[1] if size else (960 if kind == "photo" else None),
        )
        self._write(unique_id, data)
        self._by_id[file_id] = record
        self._by_path[path] = record
        return record

    def get(self, file_id: str) -> StoredFile | None:
        """Look up by file_id."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """Look up by the file_path getFile handed out."""
        return self._by_path.get(file_path)

    def read(self, record: StoredFile) -> bytes:
        """The stored bytes."""
        if self._dir is not None:
            return (self._dir / record.file_unique_id).read_bytes()
        return self._blobs[record.file_unique_id]

    def _write(self, unique_id: str, data: bytes) -> None:
        if self._dir is None:
            self._blobs[unique_id] = data
        else:
            target = self._dir / unique_id
            if not target.exists():
                target.write_bytes(data)


def _extension(file_name: str | None, mime_type: str | None, kind: str) -> str:
    if file_name and "." in file_name:
        suffix = "." + file_name.rsplit(".", 1)[1].lower()
        if suffix[1:].isalnum() and len(suffix) <= 8:
            return suffix
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type)
        if guessed:
            return guessed
    return ".jpg" if kind == "photo" else ""


def guess_mime(file_name: str | None, declared: str | None) -> str:
    """Telegram derives a document's MIME type from its name when the upload is generic."""
    if declared and declared not in ("application/octet-stream", ""):
        return declared.split(";")[0].strip()
    guessed = mimetypes.guess_type(file_name or "")[0]
    return guessed or "application/octet-stream"
