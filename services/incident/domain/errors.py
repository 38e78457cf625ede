"""What the incident domain refuses, and why."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the incident domain was broken."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **extensions):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extensions = extensions


class InvalidValue(DomainError):
    status = 422


class InvalidTransition(DomainError):
    status = 409

    def __init__(self, action: str, status: str, allowed: list[str]):
        super().__init__(f"cannot {action} an incident that is {status}", None,
                         current_status=status, allowed_actions=allowed)


class IncidentClosed(DomainError):
    status = 409

    def __init__(self):
        super().__init__("the incident is closed and read-only", None, current_status="closed", allowed_actions=[])


class VersionConflict(DomainError):
    status = 409

    def __init__(self, expected: int, actual: int):
        super().__init__(f"the incident changed: you sent version {expected}, it is now at {actual}; "
                         "reload and retry", None, current_version=actual)


class NotFoundError(DomainError):
    status = 404
