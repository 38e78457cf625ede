"""Generate, regenerate, edit, review and publish postmortems."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from libs.common.auth import Principal
from libs.common.errors import Conflict
from services.postmortem.adapters import metrics
from services.postmortem.domain.document import (
    TEXT_FIELDS,
    build_sections,
    check_editable,
    check_generatable,
    document_text,
    next_status,
)
from services.postmortem.domain.times import instant, iso, seconds_between
from services.postmortem.events import POSTMORTEM_PUBLISHED
from services.postmortem.service_layer.access import can_see, load_postmortem
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork


def generate_postmortem(uow: PostmortemUnitOfWork, incident_id: str, mode: str, principal: Principal,
                        template_id: str | None = None) -> dict[str, Any]:
    """Create the incident's postmortem from its copy: only once it is resolved, and only one per incident."""
    with uow:
        copy = uow.copies.get(incident_id, lock=True)
        if copy is not None and not can_see(principal, copy):
            copy = None
        check_generatable(copy, incident_id)
        postmortem_id = create_in(uow, copy, mode, principal.user, template_id)
        _commit(uow, incident_id)
    return get_document(uow, postmortem_id, principal)


def create_in(uow: PostmortemUnitOfWork, copy, mode: str, actor: str, template_id: str | None) -> str:
    """Insert a draft inside the caller's transaction (409 naming the existing one if there is one)."""
    existing = uow.postmortems.for_incident(copy.id)
    if existing is not None:
        raise _exists(copy.id, existing["id"])
    now = uow.clock.now()
    postmortem_id = str(uuid.uuid4())
    sections = build_sections(copy, uow.timeline.list(copy.id), mode, now)
    uow.postmortems.add({"id": postmortem_id, "incident_id": copy.id, "status": "draft", "timeline": mode,
                         "template_id": template_id, "sections": sections, "edited": {}, "event_sequence": 0,
                         "version": 1, "created_by": actor, "created_at": now, "updated_at": now})
    return postmortem_id


def regenerate_postmortem(uow: PostmortemUnitOfWork, postmortem_id: str, mode: str | None,
                          principal: Principal) -> dict[str, Any]:
    """Rebuild the generated sections from the copy as it stands now; edited text stays as written."""
    with uow:
        row, copy = load_postmortem(uow, postmortem_id, principal, lock=True)
        check_editable(row["status"])
        mode = mode or row["timeline"]
        now = uow.clock.now()
        uow.postmortems.change(postmortem_id, {
            "sections": build_sections(copy, uow.timeline.list(copy.id), mode, now), "timeline": mode,
            "version": row["version"] + 1, "updated_at": now})
        uow.commit()
    return get_document(uow, postmortem_id, principal)


def edit_postmortem(uow: PostmortemUnitOfWork, postmortem_id: str, changes: dict[str, Any], principal: Principal,
                    expected_version: int | None = None) -> dict[str, Any]:
    """Change the editable text (summary, root cause, detection method, went well, went wrong) or template."""
    with uow:
        row, _ = load_postmortem(uow, postmortem_id, principal, lock=True)
        check_editable(row["status"])
        _check_version(row, expected_version)
        edited = {**row["edited"], **{k: v for k, v in changes.items() if k in TEXT_FIELDS}}
        values = {"edited": edited, "version": row["version"] + 1, "updated_at": uow.clock.now()}
        if "template_id" in changes:
            values["template_id"] = changes["template_id"]
        uow.postmortems.change(postmortem_id, values)
        uow.commit()
    return get_document(uow, postmortem_id, principal)


def move_postmortem(uow: PostmortemUnitOfWork, postmortem_id: str, action: str,
                    principal: Principal) -> dict[str, Any]:
    """review (draft -> in_review), rework (in_review -> draft) or publish (-> published, announced)."""
    with uow:
        row, copy = load_postmortem(uow, postmortem_id, principal, lock=True)
        status = next_status(row["status"], action)
        now = uow.clock.now()
        values: dict[str, Any] = {"status": status, "version": row["version"] + 1, "updated_at": now}
        if status == "published":
            values.update(published_at=now, published_by=principal.user, event_sequence=row["event_sequence"] + 1)
            incident = copy.incident
            uow.emit(POSTMORTEM_PUBLISHED, {
                "postmortem_id": postmortem_id, "incident_id": copy.id, "reference": incident.get("reference") or "",
                "title": incident.get("title") or "", "severity": incident.get("severity"),
                "team": incident.get("team"), "private": bool(incident.get("private")),
                "published_by": principal.user, "published_at": iso(now),
                "action_items": len(uow.action_items.of(postmortem_id))}, subject=copy.id,
                sequence=values["event_sequence"])
            waited = seconds_between(instant(incident.get("resolved_at")), now)
            if waited is not None:
                uow.on_commit(lambda: metrics.resolve_to_publish.observe(waited))
        uow.postmortems.change(postmortem_id, values)
        uow.commit()
    return get_document(uow, postmortem_id, principal)


def get_document(uow: PostmortemUnitOfWork, postmortem_id: str, principal: Principal) -> dict[str, Any]:
    """The postmortem as one document: its generated sections, text, action items and state."""
    with uow:
        row, _ = load_postmortem(uow, postmortem_id, principal)
        items = uow.action_items.of(postmortem_id)
    return as_document(row, items)


def as_document(row: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    sections = row["sections"]
    return {**sections, "id": row["id"], "incident_id": row["incident_id"], "status": row["status"],
            "timeline_mode": row["timeline"], "template_id": row["template_id"], "version": row["version"],
            "created_by": row["created_by"], "created_at": iso(row["created_at"]),
            "updated_at": iso(row["updated_at"]), "published_at": iso(row["published_at"]),
            "published_by": row["published_by"], "text": document_text(sections, row["edited"]),
            "edited_fields": sorted(row["edited"]), "action_items": [item_view(i) for i in items]}


def item_view(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "created_at": iso(item["created_at"]), "updated_at": iso(item["updated_at"])}


def _check_version(row: dict[str, Any], expected: int | None) -> None:
    if expected is not None and expected != row["version"]:
        raise Conflict(f"the postmortem changed: you sent version {expected}, it is now at {row['version']}",
                       current_version=row["version"])


def _exists(incident_id: str, postmortem_id: str) -> Conflict:
    return Conflict(f"incident {incident_id} already has postmortem {postmortem_id}", postmortem_id=postmortem_id,
                    errors=[{"field": "incident_id", "location": "json",
                             "message": f"already has postmortem {postmortem_id}"}])


def _commit(uow: PostmortemUnitOfWork, incident_id: str) -> None:
    try:
        uow.commit()
    except IntegrityError:
        # Another request created it between our check and our insert.
        uow.rollback()
        existing = uow.postmortems.for_incident(incident_id)
        if existing is None:
            raise
        raise _exists(incident_id, existing["id"]) from None

