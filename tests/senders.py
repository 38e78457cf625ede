"""The real senders' payloads from ../shared/fixtures (beside the repository)."""

from __future__ import annotations

import json
import os
from pathlib import Path

FIXTURES = Path(os.environ.get("FIREBREAK_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures"))


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())
