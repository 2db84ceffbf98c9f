"""Kept only for storage/applications.py (being edited on the PostgreSQL branch): bot.application.lifecycle."""  # noqa: E501

from bot.application.lifecycle import check

__all__ = ["check"]
