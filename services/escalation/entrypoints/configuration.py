"""HTTP routes for teams, schedules and escalation policies (admins write, everyone with a token reads)."""

from __future__ import annotations

from libs.common.resources import resource_blueprint
from services.escalation.entrypoints.schemas import PolicySchema, ScheduleSchema, TeamSchema
from services.escalation.service_layer.configuration import POLICIES, SCHEDULES, TEAMS


def blueprints() -> list:
    return [
        resource_blueprint(TEAMS, TeamSchema, "/v1/teams", path_param="name",
                           description="Teams with members and leads, and a parent for hierarchical escalation."),
        resource_blueprint(SCHEDULES, ScheduleSchema, "/v1/schedules", path_param="schedule_id",
                           description="On-call schedules: rotation layers and overrides in a time zone."),
        resource_blueprint(POLICIES, PolicySchema, "/v1/escalation-policies", path_param="policy_id",
                           description="Who is paged in which order, how long each step waits, and SLA actions."),
    ]
