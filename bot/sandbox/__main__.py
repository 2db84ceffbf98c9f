"""``python -m bot.sandbox``: same as ``python -m bot.sandbox.server``."""

from bot.sandbox.cli import main

main()
