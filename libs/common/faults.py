"""Named pause points for crash tests: a process told to pause at one stops there for good.

Set FIREBREAK_FAULT_PAUSE=<point> and the process, on reaching that point, writes
FIREBREAK_FAULT_DIR/<point> and sleeps until killed. Unset, a pause point costs one comparison.
"""

from __future__ import annotations

import time
from pathlib import Path


def pause_point(name: str, configured: str | None, fault_dir: Path) -> None:
    if configured != name:
        return
    fault_dir.mkdir(parents=True, exist_ok=True)
    (fault_dir / name).write_text("paused\n")
    while True:
        time.sleep(3600)
