"""``python -m sandbox``: the sandbox standalone (see cli.py for its options)."""

from sandbox.cli import main

main()
