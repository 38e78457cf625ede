"""Commands the incident service accepts."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeclareIncident:
    """Declare a new incident."""

    title: str
    severity: str
    priority: str
    declared_by: str
    team: str | None = None
    private: bool = False
