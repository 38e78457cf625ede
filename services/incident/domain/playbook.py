"""Playbooks: named templates of stages with checklist items, copied onto incidents."""

from __future__ import annotations

from typing import Any

from services.incident.domain.children import ROLES
from services.incident.domain.errors import InvalidValue


def check_stages(stages: list[dict[str, Any]]) -> None:
    names = [s["name"] for s in stages]
    if len(set(names)) != len(names):
        raise InvalidValue("stage names must be unique within a playbook", "stages")
    for stage in stages:
        for item in stage.get("items", []):
            role = item.get("assignee_role")
            if role is not None and role not in ROLES:
                raise InvalidValue(f"assignee_role must be one of {', '.join(ROLES)}", "stages")


def checklist_from(playbook: dict[str, Any]) -> list[dict[str, Any]]:
    """The playbook's items as an incident checklist: a copy, so later playbook edits don't reach it."""
    items = []
    for stage_position, stage in enumerate(playbook["stages"]):
        for position, item in enumerate(stage.get("items", [])):
            items.append({"playbook_id": playbook["id"], "playbook_name": playbook["name"], "stage": stage["name"],
                          "stage_position": stage_position, "position": position, "title": item["title"],
                          "description": item.get("description"),
                          "assignee_role": item.get("assignee_role"), "checked": False})
    return items
