"""Set a service's stores up: run its migrations and declare its broker queues."""

from __future__ import annotations

import logging

from kombu import Connection

from libs.common.config import Settings
from libs.common.migrations import upgrade
from libs.common.service import ServiceDefinition
from libs.common.topology import declare

logger = logging.getLogger(__name__)


def migrate_database(service: ServiceDefinition, settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(service.migrations_dir, settings.database_url)


def declare_queues(service: ServiceDefinition, settings: Settings, connection: Connection | None = None) -> None:
    """Declare the service's queue before any relay publishes, so no early event is unroutable."""
    if not service.catalog.consumes:
        return
    conn = connection or Connection(settings.amqp_url, heartbeat=0)
    try:
        conn.ensure_connection(max_retries=10, interval_start=1, interval_step=2, interval_max=10)
        declare(conn.default_channel, service.name, sorted(service.catalog.consumes), settings.delivery_limit)
    finally:
        if connection is None:
            conn.release()
