"""A database outage is waited out, not dead-lettered: every event in flight is handled once it is back."""

from __future__ import annotations

import threading
import time

from firebreak.devstack import wait_for
from firebreak.registry import definition
from firebreak.setup import declare_queues, migrate_database
from libs.common.topology import dlq_name
from tests.conftest import SECRET
from tests.integration.conftest import reset_broker
from tests.integration.helpers import query
from tests.integration.test_consumer import incident_event, publish

OUTAGE_SECONDS = 12


def test_sla_consumer_waits_out_a_database_outage_and_dead_letters_nothing(own_postgres, rabbitmq, tmp_path):
    reset_broker(rabbitmq)
    env = {"DATABASE_URL": own_postgres.create_database("sla_outage"), "AMQP_URL": rabbitmq.url,
           "FIREBREAK_JWT_SECRET": SECRET, "FIREBREAK_DATA_DIR": str(tmp_path), "FIREBREAK_DELIVERY_LIMIT": "3",
           "FIREBREAK_LOG_LEVEL": "WARNING"}
    service = definition("sla")
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    declare_queues(service, runtime.settings)
    stop = threading.Event()
    consumer = service.consumer(runtime)
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    thread.start()
    try:
        before = [incident_event(f"before {n}") for n in range(20)]
        publish(rabbitmq.url, *before)
        wait_for(lambda: query(env["DATABASE_URL"], "SELECT count(*) FROM sla_records")[0][0] == 20, timeout=30,
                 what="the first 20 SLA records")

        own_postgres.halt()
        during = [incident_event(f"during {n}") for n in range(27)]
        publish(rabbitmq.url, *during)
        time.sleep(OUTAGE_SECONDS)  # the consumer meets the outage many times over its delivery limit of 3
        own_postgres.start()

        wait_for(lambda: query(env["DATABASE_URL"], "SELECT count(*) FROM sla_records")[0][0] == 47, timeout=60,
                 what="every SLA record after the outage")
        # The broker's queue statistics trail by a few seconds: wait for them to settle, then look.
        wait_for(lambda: rabbitmq.queue_depth("firebreak.sla") == 0, timeout=30, what="the work queue to drain")
        assert rabbitmq.queue_depth(dlq_name("sla")) == 0
        assert query(env["DATABASE_URL"], "SELECT count(*) FROM sla_records")[0][0] == 47
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        runtime.dispose()

