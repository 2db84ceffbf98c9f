"""Checks and encrypted storage for uploaded documents (licence, ID card sides, storefront).

The type of a file is decided by its content (magic bytes), never by the name or the MIME
type the client declared: both are set by the sender and trivially wrong or forged. Then
the content is decoded (bot.decoding): an image must decode in full within a pixel limit
and be large enough to read, a PDF must hold no scripts, actions or attached files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.application.validation import FieldError
from bot.crypto import FieldCipher
from bot.decoding import check_image, check_pdf
from bot.private_files import private_dir

__all__ = [
    "ACCEPTED_MIME_TYPES",
    "ERROR_CODES",
    "DocumentError",
    "DocumentStore",
    "StoredBlob",
    "check_document",
    "sniff_mime",
]

log = logging.getLogger(__name__)

# Codes raised by check_document, one template per code. Params:
#   document.too_large: size_mb, max_mb (floats, MiB, 1 decimal)
#   document.empty: -
#   document.unsupported_type: detected (gif, webp, heic, bmp, tiff, zip, exe, ... or unknown)
#   document.undecodable: what ("image" | "pdf"): damaged, truncated, data after its end
#   document.too_many_pixels: width, height, max_mp
#   document.too_small: width, height, min (pixels on the short side)
#   document.pdf_unsafe, document.pdf_encrypted, document.photo_expected (a PDF where only
#       the licence may be one): -
ERROR_CODES: tuple[str, ...] = (
    "document.empty",
    "document.too_large",
    "document.unsupported_type",
    "document.undecodable",
    "document.too_many_pixels",
    "document.too_small",
    "document.pdf_unsafe",
    "document.pdf_encrypted",
    "document.photo_expected",
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
ACCEPTED_MIME_TYPES: frozenset[str] = frozenset(mime for _, mime in _SIGNATURES)

# Formats merchants commonly send by mistake, named so the template can say which one it was
# (an iPhone HEIC photo needs different advice than a ZIP archive).
_KNOWN_UNSUPPORTED: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"PK\x03\x04", "zip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"MZ", "exe"),
    (b"\x7fELF", "exe"),
    (b"\xd0\xcf\x11\xe0", "office"),
)
_EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}
_MIB = 1024 * 1024


class DocumentError(FieldError):
    """An uploaded document was refused; a FieldError so one handler path renders both."""


def sniff_mime(data: bytes) -> str | None:
    """Return the MIME type of JPEG, PNG or PDF content by its magic bytes, else None."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    return None


def _describe_unsupported(data: bytes) -> str:
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        return "webp"
    if data[4:8] == b"ftyp":  # ISO media: HEIC/HEIF photos, or MP4/MOV videos
        return "heic" if data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc") else "video"
    for magic, name in _KNOWN_UNSUPPORTED:
        if data.startswith(magic):
            return name
    return "unknown"


def check_document(
    data: bytes,
    *,
    declared_mime: str | None,
    file_name: str | None,
    max_bytes: int,
    pdf_allowed: bool = True,
) -> str:
    """Return the real MIME type of an upload, or raise DocumentError if it is refused.

    CPU-bound (the file is decoded): call it from async code through ``asyncio.to_thread``.
    """
    if not data:
        raise DocumentError("document.empty")
    if len(data) > max_bytes:
        raise DocumentError(
            "document.too_large",
            {"size_mb": round(len(data) / _MIB, 1), "max_mb": round(max_bytes / _MIB, 1)},
        )
    mime = sniff_mime(data)
    if mime is None:
        raise DocumentError("document.unsupported_type", {"detected": _describe_unsupported(data)})
    extension = Path(file_name).suffix.lower() if file_name else ""
    declared = (declared_mime or "").lower()
    if (declared and declared != mime) or (extension and _EXTENSIONS.get(extension) != mime):
        # A PDF named .jpg is still a fine PDF: the content decides, the labels are ignored.
        # Only the extension is logged: file names can contain the merchant's name.
        log.info("upload labelled %r %r is %s; using the content type", declared, extension, mime)
    if mime == "application/pdf" and not pdf_allowed:
        raise DocumentError("document.photo_expected")
    try:
        if mime == "application/pdf":
            check_pdf(data)
        else:
            check_image(data, mime)
    except FieldError as exc:
        raise DocumentError(exc.code, exc.params) from None
    return mime


# --------------------------------------------------------------------------- storage

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """Where and what a stored document is; ``sha256`` is of the plaintext."""

    sha256: str
    size: int
    mime: str
    path: Path


class DocumentStore:
    """Content-addressed, encrypted document storage: root/ab/cd/<sha256>.

    Methods do blocking file I/O; call them from async code through ``asyncio.to_thread``.
    """

    def __init__(self, root: Path, cipher: FieldCipher) -> None:
        self.root = Path(root)
        self._cipher = cipher

    def path_for(self, sha256: str) -> Path:
        """Return the file path of a blob; reject anything that is not a sha256 hex digest."""
        # Validating the name keeps a hostile id from escaping root ("../../etc").
        if not _SHA256_RE.fullmatch(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, mime: str) -> StoredBlob:
        """Encrypt and store ``data``; storing the same content twice is a no-op."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        if not path.exists():
            private_dir(path.parent, tighten=False)  # root/ab/cd, each 0700
            # The hash is authenticated with the ciphertext, so a file moved to another
            # name fails to decrypt rather than returning the wrong document.
            blob = self._cipher.encrypt_bytes(data, context=sha256)
            _atomic_write(path, blob)
        return StoredBlob(sha256=sha256, size=len(data), mime=mime, path=path)

    def get(self, sha256: str) -> bytes:
        """Return the decrypted content; FileNotFoundError if it is not stored."""
        blob = self.path_for(sha256).read_bytes()
        return self._cipher.decrypt_bytes(blob, context=sha256)

    def exists(self, sha256: str) -> bool:
        """Tell whether a blob is stored."""
        return self.path_for(sha256).is_file()

    def all_hashes(self) -> list[str]:
        """The sha256 of every stored blob."""
        return sorted(
            p.name for p in self.root.glob("*/*/*") if p.is_file() and _SHA256_RE.fullmatch(p.name)
        )

    def reencrypt(self, sha256: str) -> None:
        """Encrypt a stored blob again under the current key (atomically replaced)."""
        data = self.get(sha256)
        _atomic_write(self.path_for(sha256), self._cipher.encrypt_bytes(data, context=sha256))

    def delete(self, sha256: str) -> bool:
        """Delete a blob; return False if it was not stored."""
        try:
            self.path_for(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


def _atomic_write(path: Path, data: bytes) -> None:
    # Temp file in the same directory (same filesystem for os.replace), created 0600 by
    # mkstemp; fsync the data before the rename and the directory after, so a crash leaves
    # either no file or the whole file, never a truncated one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
