"""HTTP routes for SLA policies and calendars (admins write, everyone with a token reads)."""

from __future__ import annotations

from libs.common.resources import resource_blueprint
from services.sla.entrypoints.schemas import CalendarSchema, PolicySchema, calendar_view, policy_view, windows_of
from services.sla.service_layer.policies import CALENDARS, POLICIES

policies_blp = resource_blueprint(
    POLICIES, PolicySchema, "/v1/sla/policies", name="sla_policies", path_param="policy_id",
    description="Response and resolution targets per priority, by team and incident type.",
    view=policy_view, page_name="SlaPolicyPage", summaries={
        "get": "Get a policy; its ETag is its version, for If-Match on writes.",
        "create": "Create a policy; the most specific (team+type > type > team > default) applies to an incident.",
        "replace": "Replace a policy (If-Match guards it); running clocks keep the copy they started with.",
        "delete": "Delete a policy (incidents then fall to the next most specific one, or the built-in defaults).",
    })

calendars_blp = resource_blueprint(
    CALENDARS, CalendarSchema, "/v1/sla/calendars", name="sla_calendars", path_param="calendar_id",
    description="Working-time calendars: 24x7 or business hours with holidays.",
    load=lambda body: {**body, "windows": windows_of(body)}, view=calendar_view, page_name="SlaCalendarPage",
    summaries={
        "list": "List calendars by name.",
        "create": "Create a calendar.",
        "get": "Get a calendar; its ETag is its version, for If-Match on writes.",
        "replace": "Replace a calendar (If-Match guards it); incidents whose clocks already started keep their copy.",
        "delete": "Delete a calendar no policy uses.",
    })
