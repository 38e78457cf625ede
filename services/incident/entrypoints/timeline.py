"""Routes: an incident's timeline and notes."""

from __future__ import annotations

from flask.views import MethodView

from services.incident.entrypoints import schemas as s
from services.incident.entrypoints.common import principal, uow
from services.incident.entrypoints.incidents import blp
from services.incident.service_layer import queries
from services.incident.service_layer.access import load
from services.incident.service_layer.commands import AddNote
from services.incident.service_layer.timeline import add_note, edit_entry


@blp.route("/<incident_id>/timeline")
class Timeline(MethodView):
    @blp.arguments(s.TimelineArgsSchema, location="query")
    @blp.response(200, s.TimelineSchema)
    def get(self, args, incident_id: str):
        """The timeline in order of occurrence; filter by kind and importance."""
        who = principal()
        with uow() as u:
            load(u, incident_id, who)
            entries = u.timeline.list(incident_id, args.get("kind"), args.get("important"))
        return {"items": queries.visible_timeline(entries, who)}

    @blp.arguments(s.NoteCreateSchema)
    @blp.response(201, s.TimelineEntrySchema)
    def post(self, body, incident_id: str):
        """Add a note, optionally dated in the past and flagged important."""
        return add_note(AddNote(incident_id, principal(), body["text"], body.get("occurred_at"), body["important"]),
                        uow())


# Ids past BIGINT are no row of ours: 404 from routing, not an overflow in the driver.
@blp.route("/<incident_id>/timeline/<int(max=9223372036854775807):entry_id>")
class TimelineEntry(MethodView):
    @blp.arguments(s.EntryPatchSchema)
    @blp.response(200, s.TimelineEntrySchema)
    def patch(self, body, incident_id: str, entry_id: int):
        """Flag an entry important; re-date or re-word a note."""
        return edit_entry(uow(), incident_id, entry_id, principal(), **body)
