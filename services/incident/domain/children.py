"""What hangs off an incident: tasks, customer impacts, links, comments, roles."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from services.incident.domain.errors import InvalidValue

TASK_STATUSES = ("open", "done")
LINK_KINDS = ("runbook", "dashboard", "chat", "video", "ticket", "other")
COMMENT_VISIBILITY = ("public", "internal")
SINGLE_ROLES = ("commander", "scribe", "communications_liaison")
ROLES = (*SINGLE_ROLES, "responder")


def check_task(description: str | None, status: str | None = None) -> None:
    if description is not None and not description.strip():
        raise InvalidValue("description must not be blank", "description")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidValue(f"status must be one of {', '.join(TASK_STATUSES)}", "status")


def task_phase(incident_status: str) -> str:
    """Tasks made before resolution are remediation; after it, follow-ups."""
    return "follow_up" if incident_status in ("resolved", "closed") else "remediation"


def check_impact(start: datetime, end: datetime | None, now: datetime) -> None:
    if start > now:
        raise InvalidValue("an impact cannot start in the future", "start_at")
    if end is not None and end < start:
        raise InvalidValue("end_at must not be before start_at", "end_at")


def impact_seconds(windows: list[tuple[datetime, datetime | None]], now: datetime) -> float:
    """Total time customers were impacted: overlapping windows count once, open ones until now."""
    spans = sorted((start, end or now) for start, end in windows)
    total = 0.0
    current_start, current_end = None, None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += (current_end - current_start).total_seconds()
    return total


def check_link(kind: str, url: str) -> None:
    if kind not in LINK_KINDS:
        raise InvalidValue(f"kind must be one of {', '.join(LINK_KINDS)}", "kind")
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises on a bad port or an unclosed IPv6 bracket ("http://[::1")
    except ValueError:
        raise InvalidValue("url is not a well-formed URL", "url") from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidValue("url must be an absolute http(s) URL", "url")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}", "role")
