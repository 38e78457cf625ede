"""CPU and Python calls per event of the escalation and notify consumers, in-process, on a real PostgreSQL.

Each event goes through `EventConsumer.on_message` as a delivery would (envelope parse, catalog load,
inbox claim, handler, commit, ack, metrics); only AMQP is left out. Escalation gets `incident.created.v1`
(a full incident snapshot; its team's policy pages one user: chain started, step 1 fired, a timer set);
notify gets `escalation.step_fired.v1` (one user with one webhook: delivery record + leased job).
CPU is this process's (`time.process_time`), so PostgreSQL's own work is not in it; calls come from
cProfile and do not depend on load. The profile's clock is CPU time too (its own overhead inflates it).
Figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/consumer_cpu.py [--events 500] [--top 25] [--only escalation|notify]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from firebreak.devstack import LocalPostgres  # noqa: E402
from firebreak.registry import definition  # noqa: E402
from firebreak.setup import migrate_database  # noqa: E402
from libs.common import log  # noqa: E402
from libs.common.auth import mint  # noqa: E402
from libs.common.envelope import Event  # noqa: E402

CREATED = "firebreak.incident.created.v1"
STEP_FIRED = "firebreak.escalation.step_fired.v1"


class Delivery:
    """What the consumer reads of a kombu message: headers, body, ack."""

    def __init__(self, event: Event):
        self.headers = event.headers()
        self.body = event.body().encode()
        self.content_type, self.content_encoding = "application/json", "utf-8"
        self.acked = False

    def ack(self) -> None:
        self.acked = True

    def requeue(self) -> None:
        raise RuntimeError("the bench's event was requeued: the handler failed")


def created(n: int) -> Event:
    incident_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    data = {"id": incident_id, "reference": f"INC-20260301-{n:06d}", "title": f"Checkout down {n}",
            "description": "Alert from the generic integration: " + "x" * 200, "category": None,
            "source": "generic", "severity": "critical", "priority": "high", "impact": None,
            "incident_type": None, "detection_method": "alert", "status": "new", "team": "bench",
            "private": False, "commander": None, "assignee": None, "assignee_team": None, "escalation_level": 0,
            "resolution_code": None, "resolution_summary": None, "hold_reason": None, "created_by": "integration",
            "created_at": now, "acknowledged_at": None, "started_at": None, "resolved_at": None,
            "closed_at": None, "reopened_at": None}
    return Event(type=CREATED, source="/firebreak/incident", data=data, subject=incident_id, sequence=1)


def step_fired(n: int) -> Event:
    incident_id = str(uuid.uuid4())
    data = {"escalation_id": str(uuid.uuid4()), "incident_id": incident_id, "team": "bench", "level": 0,
            "at": datetime.now(UTC).isoformat(), "step": 1, "round": 1, "users": ["oncall"],
            "targets": [{"kind": "user", "id": "oncall"}], "timeout_seconds": 86400, "trigger": "step", "token": 1,
            "incident": {"id": incident_id, "reference": f"INC-20260301-{n:06d}", "title": f"Checkout down {n}",
                         "severity": "critical", "priority": "high", "status": "new", "team": "bench",
                         "commander": None, "private": False,
                         "links": {"incident": f"http://127.0.0.1/v1/incidents/{incident_id}"}}}
    return Event(type=STEP_FIRED, source="/firebreak/escalation", data=data, subject=incident_id, sequence=2)


def machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat (iowait counts as idle)."""
    with open("/proc/stat") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    return user + nice + system + irq + softirq + steal, sum(ticks)


def set_up(name: str, database_url: str, tmp: Path):
    """The service's runtime on its own migrated database, with what its events need (policy or contact)."""
    env = {f"FIREBREAK_{name.upper()}_DATABASE_URL": database_url, "DATABASE_URL": database_url,
           "AMQP_URL": "memory://", "FIREBREAK_JWT_SECRET": "bench-secret-" + "x" * 40,
           "FIREBREAK_DATA_DIR": str(tmp / "data"), "FIREBREAK_LOG_LEVEL": "WARNING"}
    service = definition(name)
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    client = service.create_app(runtime=runtime).test_client()
    auth = {"Authorization": f"Bearer {mint(runtime.settings.auth, 'bench', 'admin')}"}

    def post(path: str, body: dict) -> None:
        response = client.post(path, headers=auth, json=body)
        assert response.status_code == 201, response.get_data(as_text=True)

    if name == "escalation":
        post("/v1/teams", {"name": "bench", "parent": None, "members": [{"user": "oncall", "role": "member"}]})
        post("/v1/escalation-policies", {"name": "bench-policy", "team": "bench", "repeat": 0, "steps": [
            {"targets": [{"kind": "user", "id": "oncall"}], "timeout_seconds": 86400}]})
    else:
        post("/v1/contacts", {"user": "oncall", "methods": [
            {"kind": "webhook", "address": "http://127.0.0.1:9/page", "secret": "bench-secret"}]})
    return service, runtime


def measure(name: str, database_url: str, tmp: Path, events: int, top: int) -> dict:
    service, runtime = set_up(name, database_url, tmp)
    consumer = service.consumer(runtime)
    make = created if name == "escalation" else step_fired
    for n in range(50):  # warm-up: caches, pool, compiled statements
        consumer.on_message(Delivery(make(-n - 1)))
    batch = [Delivery(make(n)) for n in range(events)]
    busy0 = machine_busy()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for delivery in batch[: events // 2]:
        consumer.on_message(delivery)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    busy1 = machine_busy()
    profile = cProfile.Profile(time.process_time)  # CPU, not wall: waits on PostgreSQL drop out
    profile.enable()
    for delivery in batch[events // 2:]:
        consumer.on_message(delivery)
    profile.disable()
    assert all(d.acked for d in batch), "an event was not acked"
    stats = pstats.Stats(profile)
    half = events // 2
    out = {"service": name, "cpu_ms": cpu / half * 1000, "wall_ms": wall / half * 1000,
           "calls": stats.total_calls / (events - half),
           "machine": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])}
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profile, stream=text).strip_dirs().sort_stats(order).print_stats(top)
        out[order] = text.getvalue()
    runtime.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500, help="per consumer: half timed, half profiled")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", choices=["escalation", "notify"])
    parser.add_argument("--quiet", action="store_true", help="figures only, no profiles")
    args = parser.parse_args()
    log.configure("WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="firebreak-bench-consumer-"))
    postgres = LocalPostgres().start()
    results = []
    try:
        for name in ("escalation", "notify"):
            if args.only in (None, name):
                results.append(measure(name, postgres.create_database(f"bench_{name}"), tmp, args.events, args.top))
    finally:
        postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for r in results:
        if not args.quiet:
            print(f"===== {r['service']} consumer: top {args.top} by tottime =====\n{r['tottime']}")
            print(f"===== {r['service']} consumer: top {args.top} by cumulative =====\n{r['cumulative']}")
    print(f"{'consumer':<12} {'CPU ms/event':>12} {'wall ms/event':>13} {'calls/event':>12} {'machine':>8}")
    for r in results:
        print(f"{r['service']:<12} {r['cpu_ms']:>12.2f} {r['wall_ms']:>13.2f} {r['calls']:>12.0f} "
              f"{r['machine']:>7.0%}")
    print("(CPU: this process only, not PostgreSQL's; calls: cProfile, load-independent; "
          "machine: all cores busy, any process, /proc/stat)")


if __name__ == "__main__":
    main()
