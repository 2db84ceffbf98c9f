"""Files and directories holding personal data are the bot's own: 0700 directories, 0600 files.

Whatever the process umask and whatever the key source: with ENCRYPTION_KEY set nothing else
would ever make DATA_DIR private, and the database file is readable without any key for the
parts that are not encrypted (names, addresses, tickets).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "private_tree"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) & ~mode:
        os.chmod(path, mode)


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` (and missing parents) with mode 0700; with `tighten`, an existing one
    readable by others is made 0700 too. Parents that already exist are left alone."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            directory.mkdir(mode=DIR_MODE)
        os.chmod(directory, DIR_MODE)  # mkdir's mode is cut by the umask, never widened
    if tighten:
        _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing; make an existing one 0600 if looser."""
    path = Path(path)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


def private_tree(root: Path) -> None:
    """Make `root`, every directory under it 0700 and every file 0600 (left by older
    versions). Only for trees the bot owns entirely: executables lose their x bit."""
    root = Path(root)
    if not root.is_dir():
        return
    _tighten(root, DIR_MODE)
    for directory, subdirs, files in os.walk(root):
        for name in subdirs:
            _tighten(Path(directory) / name, DIR_MODE)
        for name in files:
            _tighten(Path(directory) / name, FILE_MODE)
