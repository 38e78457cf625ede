"""The sla service's unit of work: its repositories and timers in one transaction."""

from __future__ import annotations

from libs.common.timers import TimerStore
from libs.common.uow import UnitOfWork
from services.sla.adapters.repository import CalendarRepository, PolicyRepository, SlaRepository


class SlaUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.slas = SlaRepository(self.session)
        self.policies = PolicyRepository(self.session)
        self.calendars = CalendarRepository(self.session)
        self.timers = TimerStore(self.runtime.tables.timers)
        return self
