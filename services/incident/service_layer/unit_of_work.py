"""The incident service's unit of work."""

from libs.common.uow import UnitOfWork
from services.incident.adapters.repository import IncidentRepository


class IncidentUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.incidents = IncidentRepository(self.session)
        return self
