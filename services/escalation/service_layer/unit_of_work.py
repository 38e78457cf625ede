"""The escalation service's unit of work: its repositories and timers in one transaction."""

from __future__ import annotations

from libs.common.timers import TimerStore
from libs.common.uow import UnitOfWork
from services.escalation.adapters.directory import Directory
from services.escalation.adapters.repository import ChainRepository, EscalationRepository, IncidentRepository


class EscalationUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.incidents = IncidentRepository(self.session)
        self.chains = ChainRepository(self.session)
        self.escalations = EscalationRepository(self.session)
        self.directory = Directory(self.session)
        self.timers = TimerStore(self.runtime.tables.timers)
        return self

    def now(self):
        """Now, from the injected clock."""
        return self.clock.now()
