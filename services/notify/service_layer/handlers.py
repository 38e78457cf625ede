"""Event handlers of the notify service: follow incidents, page on escalation steps, announce per the rules."""

from __future__ import annotations

from typing import Any

from libs.common.envelope import Event
from services.notify.adapters import metrics
from services.notify.domain.incident import IncidentCopy, normalize_links
from services.notify.domain.rules import EVENT_NAMES, Rule, matching
from services.notify.events import (
    CATALOG,
    ESCALATION_STOPPED,
    STEP_FIRED,
    TEAM_CHANGED,
    TEAM_DELETED,
    IncidentSnapshotSchema,
)
from services.notify.service_layer import dispatch
from services.notify.service_layer.dispatch import Cause
from services.notify.service_layer.targets import Target, of_contact, resolve
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork

SNAPSHOT_TYPES = [t for t, spec in CATALOG.consumes.items() if spec.schema is IncidentSnapshotSchema]


def incident_changed(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Update the copy (a newer sequence only); cancel waiting pages once settled; announce per the rules."""
    now = uow.clock.now()
    copy = uow.incidents.get(data["id"], lock=True)
    if copy is None:
        copy = IncidentCopy.from_snapshot(data, event.sequence)
        if not uow.incidents.add(copy, now):
            raise RuntimeError("the incident copy was inserted concurrently; retrying")
    elif copy.apply(data, event.sequence):
        uow.incidents.save(copy, now)
    if copy.settled:
        cancel_pages(uow, copy.id)
    name = EVENT_NAMES.get(event.type)
    if name:
        announce(uow, event, name, copy)


def step_fired(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Page each named user through each of their contact methods, unless the incident is settled."""
    copy = _copy_for_page(uow, data)
    if copy.settled:
        return
    page_id = event.id
    if data.get("token") is not None:
        # One firing of one step of one chain, however often the bus (or a republish) delivers it.
        page_id = ":".join(str(data.get(k)) for k in ("incident_id", "escalation_id", "level", "step", "round",
                                                      "token"))
    found = uow.contacts.by_users(list(data["users"]))
    cause = Cause(page_id, event.type, "page", event.time, event.data, category="page",
                  chain=data.get("escalation_id"))
    targets: list[Target] = []
    for user in dict.fromkeys(data["users"]):
        if user in found and found[user].get("methods"):
            targets += of_contact(found[user])
        else:
            _unreachable(uow, cause, copy.id, user)
    dispatch.send(uow, cause, copy, targets)


def escalation_stopped(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Cancel the stopped chain's pages still waiting (a chain started after it, e.g. on reassignment, goes on)."""
    cancel_pages(uow, data["incident_id"], data.get("escalation_id") or "-")


def incident_fact(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Announce an escalation, SLA or postmortem fact about an incident notify knows."""
    copy = uow.incidents.get(data["incident_id"])
    if copy is not None:
        announce(uow, event, EVENT_NAMES[event.type], copy)


def announce(uow: NotifyUnitOfWork, event: Event, name: str, copy: IncidentCopy) -> None:
    """Send the event to each matching rule's recipients (one delivery per recipient and method)."""
    members = uow.teams.members(copy.team) if copy.private else []
    for rule in matching(uow.rules.enabled(), name, copy.view()):
        targets = [t for t in resolve(uow, list(rule.recipients)) if _may_know(t, rule, copy, members)]
        cause = Cause(event.id, event.type, name, event.time, event.data, template_id=rule.template_id)
        dispatch.send(uow, cause, copy, targets)


def _may_know(target: Target, rule: Rule, copy: IncidentCopy, members: list[str]) -> bool:
    """A private incident goes to its team's members only, and to channels of rules scoped to its team."""
    if not copy.private:
        return True
    if target.user is not None:
        return target.user in members or (copy.team is not None and copy.team in target.teams)
    return copy.team is not None and copy.team in rule.teams


def team_changed(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Keep the team's members (a newer version only): rules' team recipients and private incidents use them."""
    members = [m["user"] for m in data.get("members") or [] if m.get("user")]
    uow.teams.apply(data["name"], members, data["version"], uow.clock.now())


def team_deleted(uow: NotifyUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Forget the team's members."""
    uow.teams.delete(data["name"])


def cancel_pages(uow: NotifyUnitOfWork, incident_id: str, chain: str | None = None) -> None:
    """Pages still waiting, of one chain or (by default) all the incident's, are cancelled; one being sent finishes."""
    groups = [dispatch.page_group(incident_id, chain)] if chain else \
        uow.deliveries.waiting_groups(dispatch.pages_of(incident_id))
    kinds: list[str] = []
    for group in groups:
        uow.jobs.cancel_group(uow.session, group)
        kinds += uow.deliveries.cancel_group(group, uow.clock.now())
    if kinds:
        uow.on_commit(lambda: metrics.count_cancelled(kinds))


def _copy_for_page(uow: NotifyUnitOfWork, data: dict[str, Any]) -> IncidentCopy:
    """The incident copy, created from the step's own snapshot if no incident event came first."""
    snapshot = dict(data.get("incident") or {})
    copy = uow.incidents.get(data["incident_id"], lock=True)
    if copy is None:
        snapshot.setdefault("id", data["incident_id"])
        snapshot.setdefault("reference", data["incident_id"][:8])
        snapshot.setdefault("title", "")
        snapshot.pop("acknowledged_at", None)
        snapshot.pop("links", None)
        copy = IncidentCopy.from_snapshot(snapshot, 0)
        copy.sequence = 0
        if not uow.incidents.add(copy, uow.clock.now()):
            raise RuntimeError("the incident copy was inserted concurrently; retrying")
    links = normalize_links(snapshot.get("links"), uow.settings.public_url)
    if links and links != copy.links:
        copy.links = links
        uow.incidents.save(copy, uow.clock.now())
    return copy


def _unreachable(uow: NotifyUnitOfWork, cause: Cause, incident_id: str, user: str) -> None:
    now = uow.clock.now()
    uow.deliveries.add({
        "key": "d:" + dispatch.digest("page", cause.id, user, "none"), "job_key": "none", "group": None,
        "incident_id": incident_id, "event_id": cause.id[:100], "event_type": cause.type, "category": "page",
        "recipient": user[:200], "method_kind": "none", "address": "", "status": "dead", "attempts": 0,
        "last_error": "the user has no contact methods", "event_at": cause.at, "due_at": now, "created_at": now,
        "updated_at": now})


def event_handlers() -> dict:
    """Handler per consumed event type."""
    handlers: dict = dict.fromkeys(SNAPSHOT_TYPES, incident_changed)
    handlers[STEP_FIRED] = step_fired
    handlers[ESCALATION_STOPPED] = escalation_stopped
    handlers[TEAM_CHANGED] = team_changed
    handlers[TEAM_DELETED] = team_deleted
    for event_type in CATALOG.consumes:
        handlers.setdefault(event_type, incident_fact)
    return handlers
