"""CPU time of processes from /proc, for benches that report a bot's or a database server's
CPU beside their throughput (Linux only; None elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may hold spaces.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, children: bool = False) -> float | None:
    """User + system CPU seconds the process has used (with children=True, also what its
    exited and reaped children used)."""
    fields = _stat(pid)
    if fields is None:
        return None
    # utime, stime, cutime, cstime are fields 14-17 of stat; fields[0] is field 3 (state).
    used = int(fields[11]) + int(fields[12])
    if children:
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process, for a server on a unix socket in a folder holding
    its data directory (tests/postgres.py's throwaway cluster); None for any other server."""
    host = parse_qs(urlsplit(url).query).get("host", [""])[0]
    try:
        first = (Path(host) / "data" / "postmaster.pid").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(first) if first.strip().isdigit() else None


def server_cpu_seconds(postmaster: int) -> float | None:
    """CPU seconds of a PostgreSQL server: the postmaster with every backend and worker it
    started, the live ones read one by one, the exited ones from its children's total."""
    total = cpu_seconds(postmaster, children=True)
    if total is None:
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and fields[1] == str(postmaster):  # field 4: the parent's pid
            total += cpu_seconds(int(entry.name)) or 0.0
    return total
