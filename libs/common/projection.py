"""The incident projection each consuming service keeps: what it has learnt of each incident."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update

from libs.common.auth import current_principal
from libs.common.envelope import Event, as_utc, utcnow
from libs.common.errors import NotFound
from libs.common.uow import UnitOfWork

INCIDENT_CREATED = "firebreak.incident.created.v1"


def define_incident_projection(metadata: MetaData) -> Table:
    return Table(
        "known_incidents",
        metadata,
        Column("incident_id", String(36), primary_key=True),
        Column("reference", String(32), nullable=False),
        Column("title", String(300), nullable=False),
        Column("severity", String(20), nullable=False),
        Column("priority", String(20), nullable=False),
        Column("team", String(100)),
        Column("private", Integer, nullable=False, default=0),
        Column("sequence", Integer, nullable=False),
        Column("first_seen_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


class IncidentFactsSchema(Schema):
    """The fields of an incident event a consumer reads (it ignores the rest)."""

    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    priority = fields.String(required=True)
    team = fields.String(allow_none=True, load_default=None)
    private = fields.Boolean(load_default=False)


def record_incident(table: Table):
    """A handler that upserts the projection, ignoring facts older than the one it holds."""

    def handle(uow: UnitOfWork, event: Event, data: dict[str, Any]) -> None:
        session = uow.session
        sequence = event.sequence or 0
        row = session.execute(select(table.c.sequence).where(table.c.incident_id == data["id"])).first()
        values = {k: data[k] for k in ("reference", "title", "severity", "priority", "team")}
        values["private"] = int(bool(data.get("private")))
        if row is None:
            session.execute(table.insert().values(
                incident_id=data["id"], sequence=sequence, first_seen_at=utcnow(), updated_at=utcnow(), **values))
        elif row.sequence < sequence:
            session.execute(update(table).where(table.c.incident_id == data["id"]).values(
                sequence=sequence, updated_at=utcnow(), **values))

    return handle


class KnownIncidentSchema(Schema):
    incident_id = fields.String()
    reference = fields.String()
    title = fields.String()
    severity = fields.String()
    priority = fields.String()
    team = fields.String(allow_none=True)
    sequence = fields.Integer()
    first_seen_at = fields.DateTime()
    updated_at = fields.DateTime()


def projection_blueprint(service: str, url_prefix: str, table: Table) -> Blueprint:
    """GET {url_prefix}/incidents/<id>: what this service knows of an incident."""
    bp = Blueprint(f"{service}_known_incidents", __name__, url_prefix=url_prefix,
                   description=f"What the {service} service has learnt of each incident from its events.")

    @bp.route("/incidents/<incident_id>")
    class KnownIncident(MethodView):
        @bp.response(200, KnownIncidentSchema)
        def get(self, incident_id: str):
            """Get what this service knows of an incident."""

            runtime = current_app.extensions["firebreak"]
            with runtime.session_factory() as session:
                row = session.execute(select(table).where(table.c.incident_id == incident_id)).mappings().first()
            principal = current_principal()
            if row is None or not principal.can_see(bool(row["private"]), row["team"]):
                raise NotFound(f"{service} knows no incident {incident_id}")
            known = dict(row)
            known["first_seen_at"], known["updated_at"] = as_utc(row["first_seen_at"]), as_utc(row["updated_at"])
            return known

    return bp
