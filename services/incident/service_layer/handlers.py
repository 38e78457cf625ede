"""Command handlers of the incident service: declare, act on the workflow, update."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.incident.domain.errors import InvalidValue
from services.incident.domain.model import Incident
from services.incident.domain.playbook import checklist_from
from services.incident.service_layer.access import load
from services.incident.service_layer.commands import DeclareIncident, PerformAction, UpdateIncident
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def declare_incident(cmd: DeclareIncident, uow: IncidentUnitOfWork) -> Incident:
    """Store a new incident, attach its type's playbooks and emit incident.created, in one transaction."""
    with uow:
        incident, _ = open_incident(uow, cmd.title, cmd.severity, cmd.priority, cmd.declared_by.user,
                                          dict(cmd.fields), uow.clock.now())
        uow.commit()
    return incident


def open_incident(uow: IncidentUnitOfWork, title: str, severity: str, priority: str, actor: str,
                  fields: dict, now, before_save: Callable[[Incident], None] | None = None) -> tuple[Incident, list]:
    """Declare inside the caller's transaction: type defaults, commander role, playbook checklists.

    `before_save` may record more changes on the new incident, written with it (no UPDATE of the new row).
    """
    incident_type = fields.get("incident_type")
    if incident_type:
        known = uow.incident_types.get(incident_type)
        if known is None:
            raise InvalidValue(f"unknown incident type {incident_type!r}", "incident_type")
        if fields.get("team") is None:
            fields["team"] = known.get("default_team")
    incident = Incident.declare(str(uuid.uuid4()), title, severity, priority, actor, now, **fields)
    playbooks = uow.playbooks.for_type(incident_type) if incident_type else []
    for playbook in playbooks:
        incident.note("task_changed", f"Playbook attached: {playbook['name']}", actor, now,
                      detail={"playbook_id": playbook["id"], "change": "attached"}, timeline_kind="checklist")
    commander = {"id": str(uuid.uuid4()), "incident_id": incident.id, "role": "commander",
                 "user": incident.commander, "created_at": now, "created_by": actor}
    if before_save is not None:
        before_save(incident)
    changes = save(uow, incident, None, commander)
    for playbook in playbooks:
        add_checklist(uow, incident.id, playbook, actor, now)
    return incident, changes


def add_checklist(uow: IncidentUnitOfWork, incident_id: str, playbook: dict, actor: str, now) -> None:
    for item in checklist_from(playbook):
        uow.checklist.add({"id": str(uuid.uuid4()), "incident_id": incident_id, "created_at": now,
                           "created_by": actor, **item})


def perform_action(cmd: PerformAction, uow: IncidentUnitOfWork) -> Incident:
    """Apply one workflow action; illegal ones raise InvalidTransition (409)."""
    payload = cmd.payload
    actor = cmd.actor.user
    with uow:
        now = uow.clock.now()
        incident = load(uow, cmd.incident_id, cmd.actor, for_update=True, expected_version=cmd.expected_version)
        loaded = incident.version
        if cmd.action == "assign":
            assignee = actor if payload.get("to_me") else payload.get("assignee")
            incident.assign(actor, now, assignee, payload.get("assignee_team"))
        elif cmd.action in ("hold", "reopen"):
            getattr(incident, cmd.action)(actor, now, payload.get("reason") or "")
        elif cmd.action == "resolve":
            incident.resolve(actor, now, payload.get("resolution_code") or "", payload.get("resolution_summary") or "")
        else:
            getattr(incident, cmd.action)(actor, now)
        save(uow, incident, loaded)
        uow.commit()
    return incident


def update_incident(cmd: UpdateIncident, uow: IncidentUnitOfWork) -> Incident:
    """Change fields; each kind of change gets its own timeline entry and event."""
    with uow:
        now = uow.clock.now()
        incident = load(uow, cmd.incident_id, cmd.actor, for_update=True, expected_version=cmd.expected_version)
        loaded = incident.version
        if cmd.fields.get("incident_type") and uow.incident_types.get(cmd.fields["incident_type"]) is None:
            raise InvalidValue(f"unknown incident type {cmd.fields['incident_type']!r}", "incident_type")
        incident.update(cmd.actor.user, now, **cmd.fields)
        save(uow, incident, loaded)
        uow.commit()
    return incident
