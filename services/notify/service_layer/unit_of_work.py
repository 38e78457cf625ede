"""The notify service's unit of work: its repositories, the jobs store and its settings in one transaction."""

from __future__ import annotations

from libs.common.jobs import JobStore
from libs.common.uow import UnitOfWork
from services.notify.adapters import orm
from services.notify.adapters.repository import (
    ContactRepository,
    DeliveryRepository,
    DigestRepository,
    IncidentRepository,
    RuleRepository,
    TeamRepository,
    TemplateRepository,
    kept_secret,
)
from services.notify.adapters.templating import Renderer
from services.notify.settings import NotifySettings


class NotifyUnitOfWork(UnitOfWork):
    renderer = Renderer()

    @property
    def settings(self) -> NotifySettings:
        """The notify settings the runtime was built with."""
        return self.runtime.notify

    def ack_secret(self) -> str:
        """The ack-link key: configured (or derived from the HS256 secret), else kept in the database."""
        if self.settings.ack_secret:
            return self.settings.ack_secret
        kept = getattr(self.runtime, "kept_ack_secret", None)
        if kept is None:
            # Its own short transaction: every replica must read the one value that was committed.
            with self.runtime.session_factory() as session, session.begin():
                kept = kept_secret(session, "ack_url", self.clock.now())
            self.runtime.kept_ack_secret = kept
        return kept

    def __enter__(self):
        super().__enter__()
        s = self.session
        self.incidents = IncidentRepository(s)
        self.contacts = ContactRepository(s)
        self.teams = TeamRepository(s)
        self.rules = RuleRepository(s)
        self.templates = TemplateRepository(s)
        self.deliveries = DeliveryRepository(s)
        self.digests = DigestRepository(s)
        self.jobs = JobStore(orm.jobs, self.clock)
        return self
