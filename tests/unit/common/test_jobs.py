"""Leased jobs on SQLite with a fake clock: leasing, backoff, dead jobs, stale outcomes, wiring."""

from __future__ import annotations

import dataclasses
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import OperationalError

from firebreak import worker
from libs.common import jobs as jobs_module
from libs.common.catalog import EventCatalog
from libs.common.clock import FakeClock
from libs.common.config import Settings
from libs.common.jobs import (
    JobOutcome,
    JobStore,
    JobWorker,
    PendingJobsGauge,
    PermanentFailure,
    backoff_delay,
    define_jobs_table,
)
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from services.sla.app import SERVICE as SLA

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Setup:
    def __init__(self, base_env):
        self.clock = FakeClock(START)
        metadata = MetaData()
        self.jobs = define_jobs_table(metadata)
        self.log = Table("deliveries", metadata, Column("key", String(255), primary_key=True),
                         Column("status", String(20)))
        settings = Settings.from_env("notify", base_env)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.runtime = ServiceRuntime.build(settings, metadata, define_bus_tables(metadata), EventCatalog("notify"),
                                            clock=self.clock)
        metadata.create_all(self.runtime.engine)
        self.store = JobStore(self.jobs, self.clock)

    def enqueue(self, key="k1", kind="webhook", due_in=0.0, group=None, **kw) -> bool:
        with self.runtime.session_factory() as s, s.begin():
            return self.store.enqueue(s, kind, key, {"to": key}, self.clock.now() + timedelta(seconds=due_in),
                                      group=group, **kw)

    def get(self, key="k1") -> dict:
        with self.runtime.session_factory() as s:
            return self.store.get(s, key)

    def worker(self, performers, **kw) -> JobWorker:
        kw.setdefault("rng", random.Random(7))
        return JobWorker(self.runtime, self.jobs, performers, **kw)


@pytest.fixture
def setup(base_env) -> Setup:
    return Setup(base_env)


def failing(job):
    raise ConnectionError("receiver down")


def test_one_key_makes_one_job(setup):
    assert setup.enqueue("k1")
    assert not setup.enqueue("k1")
    with setup.runtime.session_factory() as s:
        assert s.execute(select(setup.jobs.c.id)).all() == [(1,)]
    assert setup.get("k1")["status"] == "pending"
    assert setup.get("missing") is None


def test_cancel_group_cancels_only_its_pending_jobs(setup):
    setup.enqueue("a1", group="inc-1/alice")
    setup.enqueue("a2", group="inc-1/alice", due_in=300)
    setup.enqueue("b1", group="inc-1/bob")
    with setup.runtime.session_factory() as s, s.begin():
        assert setup.store.cancel_group(s, "inc-1/alice") == 2
        assert setup.store.cancel_group(s, "inc-1/alice") == 0
    assert [setup.get(k)["status"] for k in ("a1", "a2", "b1")] == ["cancelled", "cancelled", "pending"]
    seen = []
    assert setup.worker({"webhook": lambda job: seen.append(job.key)}).run_once() == 1
    assert seen == ["b1"]


def test_success_records_result_and_recorder_runs_in_the_outcome_transaction(setup):
    setup.enqueue("k1")
    outcomes: list[JobOutcome] = []

    def recorder(session, job, outcome):
        outcomes.append(outcome)
        session.execute(setup.log.insert().values(key=job.key, status=outcome.status))

    w = setup.worker({"webhook": lambda job: {"status": 200, "to": job.payload["to"]}}, recorder=recorder)
    assert w.run_once() == 1
    assert w.run_once() == 0
    row = setup.get()
    assert (row["status"], row["attempts"], row["result"]) == ("succeeded", 1, {"status": 200, "to": "k1"})
    assert row["finished_at"] == START and row["lease_until"] is None
    assert [(o.status, o.attempts, o.at) for o in outcomes] == [("succeeded", 1, START)]
    with setup.runtime.session_factory() as s:
        assert s.execute(select(setup.log.c.status)).scalars().all() == ["succeeded"]


def test_future_job_waits_for_its_due_time(setup):
    setup.enqueue("k1", due_in=30)
    w = setup.worker({"webhook": lambda job: None})
    assert w.run_once() == 0
    assert w.idle_for() <= w.idle_seconds
    setup.clock.advance(30)
    assert w.run_once() == 1


def test_backoff_schedule_grows_exponentially_with_jitter_up_to_the_cap(setup):
    setup.enqueue("k1")
    w = setup.worker({"webhook": failing}, max_attempts=7, base_delay=1.0, max_delay=8.0)
    delays = []
    for attempt in range(1, 7):
        assert w.run_once() == 1
        row = setup.get()
        assert (row["status"], row["attempts"]) == ("pending", attempt)
        assert row["last_error"] == "ConnectionError: receiver down"
        delay = (row["due_at"] - setup.clock.now()).total_seconds()
        cap = min(8.0, 2.0 ** (attempt - 1))
        assert min(1.0, cap) <= delay <= cap
        delays.append(delay)
        assert w.run_once() == 0  # not due yet
        setup.clock.set(row["due_at"])
    assert max(delays) > 4.0  # it did grow towards the cap


def test_backoff_delay_bounds():
    rng = random.Random(1)
    for attempts in range(1, 80):
        cap = min(600.0, 2.0 ** (attempts - 1))
        for _ in range(20):
            assert min(1.0, cap) <= backoff_delay(attempts, 1.0, 600.0, rng) <= cap
    assert backoff_delay(1, 5.0, 2.0, rng) == 2.0  # max_delay below base_delay wins


def test_dead_after_max_attempts_with_the_last_error(setup):
    setup.enqueue("k1")
    statuses = []
    w = setup.worker({"webhook": failing}, max_attempts=3, base_delay=1.0, max_delay=1.0,
                     recorder=lambda s, job, o: statuses.append((o.status, o.attempts, o.error)))
    for _ in range(3):
        assert w.run_once() == 1
        setup.clock.advance(1)
    assert w.run_once() == 0
    row = setup.get()
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 3, "ConnectionError: receiver down")
    assert row["finished_at"] is not None
    assert [s for s, _, _ in statuses] == ["retrying", "retrying", "dead"]


def test_per_job_max_attempts_overrides_the_worker(setup):
    setup.enqueue("k1", max_attempts=1)
    setup.worker({"webhook": failing}, max_attempts=5).run_once()
    assert setup.get()["status"] == "dead"


def test_permanent_failure_is_dead_at_once(setup):
    setup.enqueue("k1")

    def rejected(job):
        raise PermanentFailure("410 Gone")

    setup.worker({"webhook": rejected}).run_once()
    row = setup.get()
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, "PermanentFailure: 410 Gone")


def test_unknown_kind_is_retried_not_lost(setup):
    setup.enqueue("k1", kind="pigeon")
    setup.worker({"webhook": lambda job: None}).run_once()
    row = setup.get()
    assert (row["status"], row["last_error"]) == ("pending", "LookupError: no performer for job kind 'pigeon'")


def test_expired_lease_is_reclaimed_and_the_stale_outcome_is_ignored(setup):
    setup.enqueue("k1")
    dying = setup.worker({}, worker_id="dying", lease_seconds=10)
    [claim] = dying._claim()  # leased, then the worker "dies" before recording
    row = setup.get()
    assert (row["status"], row["leased_by"], row["attempts"]) == ("running", "dying", 1)
    survivor = setup.worker({"webhook": lambda job: {"attempt": job.attempts}}, worker_id="survivor")
    assert survivor.run_once() == 0  # the lease still holds
    setup.clock.advance(11)
    assert survivor.run_once() == 1
    row = setup.get()
    assert (row["status"], row["attempts"], row["result"]) == ("succeeded", 2, {"attempt": 2})
    late = JobOutcome("dead", 1, "late", None, setup.clock.now())
    assert dying._finish(claim, late) is False
    assert setup.get()["status"] == "succeeded"


def test_lease_lost_on_the_last_attempt_makes_the_job_dead(setup):
    setup.enqueue("k1", max_attempts=1)
    setup.worker({}, worker_id="dying", lease_seconds=5)._claim()
    setup.clock.advance(6)
    calls = []
    assert setup.worker({"webhook": calls.append}).run_once() == 1
    row = setup.get()
    assert calls == []
    assert row["status"] == "dead" and row["last_error"].startswith("LeaseExpired")


def test_a_failing_recorder_leaves_the_job_to_its_lease_and_a_brief_outage_is_retried(setup, monkeypatch):
    monkeypatch.setattr(jobs_module, "RECORD_RETRY_WAITS", (0.0, None))
    setup.enqueue("k1")
    setup.enqueue("k2")
    fail = {"k1": [ValueError("bug")], "k2": [OperationalError("UPDATE", {}, Exception("gone"))]}
    recorded = []

    def recorder(session, job, outcome):
        if fail[job.key]:
            raise fail[job.key].pop()
        recorded.append(job.key)

    w = setup.worker({"webhook": lambda job: None}, recorder=recorder, lease_seconds=10, batch=1)
    w.run_once()
    w.run_once()
    assert recorded == ["k2"] and setup.get("k2")["status"] == "succeeded"
    assert setup.get("k1")["status"] == "running"  # the call was made; only the lease can tell
    setup.clock.advance(11)
    w.run_once()
    assert recorded == ["k2", "k1"] and setup.get("k1")["attempts"] == 2


def test_a_batch_runs_in_parallel_and_each_job_once(setup):
    for n in range(12):
        setup.enqueue(f"k{n}")
    seen, lock = [], threading.Lock()

    def perform(job):
        with lock:
            seen.append(job.key)

    w = setup.worker({"webhook": perform}, batch=5)
    total = 0
    while (n := w.run_once()):
        total += n
    w.close()
    assert total == 12 and sorted(seen) == sorted(f"k{n}" for n in range(12))


def test_pending_gauge_counts_unfinished_jobs_by_kind(setup):
    setup.enqueue("a", kind="email")
    setup.enqueue("b", kind="email")
    setup.enqueue("c", kind="webhook")
    [family] = PendingJobsGauge(setup.runtime, setup.jobs).collect()
    assert {(s.labels["kind"], s.value) for s in family.samples} == {("email", 2), ("webhook", 1)}


def test_scheduler_process_runs_the_job_worker_beside_the_timers(setup):
    def job_worker(runtime):
        return JobWorker(runtime, setup.jobs, {"webhook": lambda job: None}, idle_seconds=0.05)

    no_timers = dataclasses.replace(SLA, timer_handlers=dict, batch_timer_handlers=dict)
    assert "scheduler" not in no_timers.processes
    assert "scheduler" in dataclasses.replace(no_timers, job_worker=job_worker).processes
    for service, names in ((dataclasses.replace(SLA, job_worker=job_worker), ["sla-jobs", "sla-scheduler"]),
                           (dataclasses.replace(no_timers, job_worker=job_worker), ["sla-jobs"])):
        stop, collectors = threading.Event(), []
        threads = worker.start(service, setup.runtime, "scheduler", stop, collectors)
        try:
            assert sorted(t.name for t in threads) == names
            assert all(t.is_alive() for t in threads)
            assert [type(c) for c in collectors] == [PendingJobsGauge]
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
        assert not any(t.is_alive() for t in threads)
