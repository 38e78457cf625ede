"""What one service process holds: settings, its database, its event catalog, bus tables and clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from libs.common.catalog import EventCatalog
from libs.common.clock import Clock, SystemClock
from libs.common.config import Settings
from libs.common.db import make_engine, make_session_factory
from libs.common.tables import BusTables


@dataclass
class ServiceRuntime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    metadata: MetaData
    tables: BusTables
    catalog: EventCatalog
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def build(cls, settings: Settings, metadata: MetaData, tables: BusTables, catalog: EventCatalog,
              clock: Clock | None = None) -> ServiceRuntime:
        engine = make_engine(settings.database_url)
        return cls(settings, engine, make_session_factory(engine), metadata, tables, catalog,
                   clock or SystemClock())

    @property
    def service(self) -> str:
        return self.settings.service

    def outbox_pending(self) -> int:
        outbox = self.tables.outbox
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()
