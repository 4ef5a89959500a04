"""Process helpers for the supervisor (opsconsole/demo.py) and the worker's shutdown deadline (Linux).

No Django import: the supervisor uses these before and without Django.
"""

from __future__ import annotations

import ctypes
import signal
from pathlib import Path

PR_SET_PDEATHSIG = 1


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children before their own children), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """For ``preexec_fn``: the kernel sends ``sig`` to this process when its parent dies, SIGKILL of the
    parent included (prctl PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def group_alive(pgid: int) -> bool:
    """Some process of group ``pgid`` still runs (zombies do not count: nobody may be left to reap them)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
