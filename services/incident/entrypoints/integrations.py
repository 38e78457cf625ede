"""Routes: integrations (admins), silences and maintenance windows (responders), recorded alerts."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from libs.common.auth import require_role
from libs.common.errors import NotFound
from libs.common.pagination import PageArgsSchema, page_schema
from services.incident.domain.errors import InvalidValue
from services.incident.entrypoints import integration_schemas as s
from services.incident.entrypoints.common import page_by_name, principal, uow
from services.incident.entrypoints.incidents import blp as incidents_blp
from services.incident.service_layer import integrations as handlers
from services.incident.service_layer.access import load

blp = Blueprint("integrations", __name__, url_prefix="/v1/integrations", description="Alert sources.")
suppress_blp = Blueprint("alert_admin", __name__, url_prefix="/v1/alerts",
                         description="Recorded alerts, silences and maintenance windows.")
IntegrationPage = page_schema(s.IntegrationSchema, "IntegrationPage")
AlertList = Schema.from_dict({"items": fields.List(fields.Nested(s.AlertSchema))}, name="AlertList")
SilenceList = Schema.from_dict({"items": fields.List(fields.Nested(s.SilenceSchema))}, name="SilenceList")
WindowList = Schema.from_dict({"items": fields.List(fields.Nested(s.MaintenanceWindowSchema))}, name="WindowList")


def _shown(row: dict) -> dict:
    return {**{k: v for k, v in row.items() if k not in ("key_hash", "hmac_secrets")},
            "hmac_secrets_count": len(row.get("hmac_secrets") or [])}


@blp.route("")
class Integrations(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, IntegrationPage)
    def get(self, args):
        """List integrations by name (keys are never shown again)."""
        with uow() as u:
            page = page_by_name(u.integrations.list, args)
        page["items"] = [_shown(i) for i in page["items"]]
        return page

    @require_role("admin")
    @blp.arguments(s.IntegrationCreateSchema)
    @blp.response(201, s.IntegrationSchema)
    def post(self, body):
        """Create an integration; the response holds its key, once."""
        return handlers.create_integration(uow(), body)


@blp.route("/<integration_id>")
class IntegrationById(MethodView):
    @blp.response(200, s.IntegrationSchema)
    def get(self, integration_id: str):
        """Get an integration."""
        with uow() as u:
            found = u.integrations.get(integration_id)
        if found is None:
            raise NotFound(f"no integration {integration_id}")
        return _shown(found)

    @require_role("admin")
    @blp.arguments(s.IntegrationPatchSchema)
    @blp.response(200, s.IntegrationSchema)
    def patch(self, body, integration_id: str):
        """Change an integration; `rotate_key: true` issues a new key (shown once)."""
        return handlers.update_integration(uow(), integration_id, body)

    @require_role("admin")
    @blp.response(204)
    def delete(self, integration_id: str):
        """Delete an integration and its alert records."""
        with uow() as u:
            if u.integrations.get(integration_id) is None:
                raise NotFound(f"no integration {integration_id}")
            u.integrations.remove(integration_id)
            u.commit()


@suppress_blp.route("")
class Alerts(MethodView):
    @suppress_blp.arguments(s.AlertListArgsSchema, location="query")
    @suppress_blp.response(200, AlertList)
    def get(self, args):
        """Recent alerts, newest first, filtered by integration, incident or outcome."""
        filters = {k: args[k] for k in ("integration_id", "incident_id", "outcome") if args.get(k)}
        who = principal()
        with uow() as u:
            items = u.alerts.list(args["limit"], filters)
            if not who.has_role("admin"):
                items = [a for a in items if a["incident_id"] is None or _visible(u, a["incident_id"], who)]
        return {"items": items}


def _known_integration(u, integration_id: str | None) -> None:
    if integration_id is not None and u.integrations.get(integration_id) is None:
        raise InvalidValue(f"no integration {integration_id}", "integration_id")


def _visible(u, incident_id: str, who) -> bool:
    incident = u.incidents.get(incident_id)
    return incident is not None and who.can_see(incident.private, incident.team)


@suppress_blp.route("/silences")
class Silences(MethodView):
    @suppress_blp.response(200, SilenceList)
    def get(self):
        """Silences in force."""
        with uow() as u:
            return {"items": u.suppressions.silences(u.clock.now())}

    @suppress_blp.arguments(s.SilenceSchema)
    @suppress_blp.response(201, s.SilenceSchema)
    def post(self, body):
        """Silence alerts whose labels match, until `expires_at`: recorded, no incident, no page."""
        handlers.check_suppression(body, "matchers")
        row = {"id": str(uuid.uuid4()), "created_by": principal().user, "created_at": uow().clock.now(),
               "integration_id": None, "comment": None, **body}
        with uow() as u:
            _known_integration(u, row["integration_id"])
            u.suppressions.add_silence(row)
            u.commit()
        return row


@suppress_blp.route("/silences/<silence_id>")
class SilenceById(MethodView):
    @suppress_blp.response(204)
    def delete(self, silence_id: str):
        """Lift a silence."""
        with uow() as u:
            if not u.suppressions.remove_silence(silence_id):
                raise NotFound(f"no silence {silence_id}")
            u.commit()


@suppress_blp.route("/maintenance-windows")
class MaintenanceWindows(MethodView):
    @suppress_blp.response(200, WindowList)
    def get(self):
        """Current and future maintenance windows."""
        with uow() as u:
            return {"items": u.suppressions.windows(u.clock.now())}

    @suppress_blp.arguments(s.MaintenanceWindowSchema)
    @suppress_blp.response(201, s.MaintenanceWindowSchema)
    def post(self, body):
        """During the window, alerts of the integration or team are recorded but open no incident."""
        row = {"id": str(uuid.uuid4()), "created_by": principal().user, "created_at": uow().clock.now(),
               "integration_id": None, "team": None, "reason": None, **body}
        with uow() as u:
            _known_integration(u, row["integration_id"])
            u.suppressions.add_window(row)
            u.commit()
        return row


@suppress_blp.route("/maintenance-windows/<window_id>")
class MaintenanceWindowById(MethodView):
    @suppress_blp.response(204)
    def delete(self, window_id: str):
        """End a maintenance window early."""
        with uow() as u:
            if not u.suppressions.remove_window(window_id):
                raise NotFound(f"no maintenance window {window_id}")
            u.commit()


@incidents_blp.route("/<incident_id>/alerts")
class IncidentAlerts(MethodView):
    @incidents_blp.response(200, AlertList)
    def get(self, incident_id: str):
        """The alerts attached to an incident."""
        with uow() as u:
            load(u, incident_id, principal())
            return {"items": u.alerts.for_incident(incident_id)}
