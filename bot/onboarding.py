"""Kept only for storage/applications.py (being edited on the PostgreSQL branch): bot.application.form."""  # noqa: E501

from bot.application.form import QUESTIONS

__all__ = ["QUESTIONS"]
