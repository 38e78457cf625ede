"""What the postmortem rules refuse, with the HTTP status and the field at fault."""

from __future__ import annotations


class Refused(Exception):
    """A rule says no: `status` 409 (state) or 422 (value), `field` names the input at fault."""

    def __init__(self, message: str, status: int = 409, field: str | None = None, **extensions):
        super().__init__(message)
        self.message, self.status, self.field, self.extensions = message, status, field, extensions
