"""``python -m sandbox``: same as ``python -m sandbox.server``."""

from sandbox.cli import main

main()
