"""The postmortem service's unit of work: its repositories in one transaction."""

from __future__ import annotations

from libs.common.uow import UnitOfWork
from services.postmortem.adapters.repository import ActionItems, IncidentCopies, Postmortems, TimelineCopies


class PostmortemUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.copies = IncidentCopies(self.session)
        self.timeline = TimelineCopies(self.session)
        self.postmortems = Postmortems(self.session)
        self.action_items = ActionItems(self.session)
        return self
