"""The incident service's unit of work: one transaction, its repositories and outbox."""

from libs.common.timers import TimerStore
from libs.common.uow import UnitOfWork
from services.incident.adapters import orm
from services.incident.adapters.alert_repository import AlertRepository, IntegrationRepository, SuppressionRepository
from services.incident.adapters.catalog_repository import IncidentTypeRepository, PlaybookRepository
from services.incident.adapters.children_repository import ChildRepository
from services.incident.adapters.repository import IncidentRepository
from services.incident.adapters.timeline_repository import TimelineRepository


class IncidentUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        s = self.session
        self.incidents = IncidentRepository(s)
        self.timeline = TimelineRepository(s)
        self.tasks = ChildRepository(s, orm.tasks)
        self.impacts = ChildRepository(s, orm.impacts, ("start_at", "id"))
        self.links = ChildRepository(s, orm.links)
        self.comments = ChildRepository(s, orm.comments)
        self.roles = ChildRepository(s, orm.roles)
        self.checklist = ChildRepository(s, orm.checklist_items,
                                         ("playbook_name", "stage_position", "stage", "position", "id"))
        self.playbooks = PlaybookRepository(s)
        self.incident_types = IncidentTypeRepository(s)
        self.integrations = IntegrationRepository(s)
        self.alerts = AlertRepository(s)
        self.suppressions = SuppressionRepository(s)
        self.timers = TimerStore(self.runtime.tables.timers)
        return self
