"""The postmortem service's Prometheus metrics: counted in its database when scraped, plus one histogram."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from libs.common.runtime import ServiceRuntime
from services.postmortem.adapters.orm import action_items, postmortems
from services.postmortem.domain.action_items import OPEN_STATUSES
from services.postmortem.domain.document import STATUSES

# Hours to weeks: postmortems are usually published days after the incident.
resolve_to_publish = Histogram(
    "firebreak_postmortem_resolve_to_publish_seconds",
    "Seconds from an incident's resolution to its postmortem's publication.",
    buckets=(3600, 4 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 14 * 86400, 30 * 86400),
)


class PostmortemGauges:
    """firebreak_postmortems{status}, firebreak_postmortem_action_items_open and _overdue, when scraped."""

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime

    def collect(self) -> Iterable[GaugeMetricFamily]:
        by_status = GaugeMetricFamily("firebreak_postmortems", "Postmortems by status.", labels=["status"])
        open_items = GaugeMetricFamily("firebreak_postmortem_action_items_open",
                                       "Action items not done or cancelled.")
        overdue = GaugeMetricFamily("firebreak_postmortem_action_items_overdue",
                                    "Open action items whose due date has passed.")
        is_open = action_items.c.status.in_(OPEN_STATUSES)
        today = self.runtime.clock.now().date()
        try:
            with self.runtime.engine.connect() as conn:
                counts = dict(conn.execute(select(postmortems.c.status, func.count())
                                           .group_by(postmortems.c.status)).all())
                total = conn.execute(select(func.count()).where(is_open)).scalar_one()
                late = conn.execute(select(func.count()).where(is_open, action_items.c.due_date < today)).scalar_one()
        except Exception:  # noqa: BLE001 - a broken store must not break the scrape
            return []
        for status in STATUSES:
            by_status.add_metric([status], counts.get(status, 0))
        open_items.add_metric([], total)
        overdue.add_metric([], late)
        return [by_status, open_items, overdue]
