"""The ITIL workflow: which action is allowed from which status, and where it leads."""

from __future__ import annotations

OPEN_STATUSES = ("new", "assigned", "in_progress", "on_hold", "stable")
STATUSES = (*OPEN_STATUSES, "resolved", "closed")

# action -> (statuses it is allowed from, status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "assign": (OPEN_STATUSES, None),
    "acknowledge": (("new", "assigned"), None),
    "start": (("new", "assigned", "stable"), "in_progress"),
    "hold": (("in_progress",), "on_hold"),
    "resume": (("on_hold",), "in_progress"),
    "stabilize": (("in_progress",), "stable"),
    "resolve": (OPEN_STATUSES, "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved",), "in_progress"),
}
ACTIONS = tuple(TRANSITIONS)


def allowed_actions(status: str) -> list[str]:
    """Actions allowed from `status`, in workflow order."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES
