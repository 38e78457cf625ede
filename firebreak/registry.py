"""The five services, by name."""

from __future__ import annotations

from libs.common.config import SERVICES
from libs.common.service import ServiceDefinition


def definitions() -> dict[str, ServiceDefinition]:
    from services.escalation.app import SERVICE as escalation
    from services.incident.app import SERVICE as incident
    from services.notify.app import SERVICE as notify
    from services.postmortem.app import SERVICE as postmortem
    from services.sla.app import SERVICE as sla

    found = {s.name: s for s in (incident, sla, escalation, notify, postmortem)}
    assert tuple(found) == SERVICES
    return found


def definition(name: str) -> ServiceDefinition:
    services = definitions()
    if name not in services:
        raise SystemExit(f"unknown service {name!r}; one of {', '.join(services)}")
    return services[name]
