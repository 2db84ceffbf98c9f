"""Link checks shared by text links and URL buttons (a simplified tdlib LinkManager)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

__all__ = ["checked_link", "link_user_id"]


def link_user_id(url: str) -> int | None:
    """The user id of a ``tg://user?id=N`` link, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "tg" or (parts.netloc or parts.path).lower() != "user":
        return None
    ids = parse_qs(parts.query).get("id", [])
    if len(ids) == 1 and ids[0].isdigit() and int(ids[0]) > 0:
        return int(ids[0])
    return None


def checked_link(url: str) -> str:
    """Normalise a link like Telegram does for text links; "" when Telegram would drop it."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return ""
    lowered = url.lower()
    if lowered.startswith(("tg:", "ton:")):
        return url
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not host or host.startswith("."):
        return ""
    if not all(ch.isalnum() or ch in "-._~" for ch in host):
        return ""
    netloc = parts.netloc
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme.lower()}://{netloc}{path}{query}{fragment}"
