"""Leased jobs for calls to the outside world: claimed and leased in one short transaction,
performed outside any transaction, their outcome recorded in another. See docs/architecture.md."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import String, Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.exc import OperationalError

from libs.common.clock import Clock, SystemClock
from libs.common.envelope import as_utc
from libs.common.job_store import (
    CANCELLED,
    DEAD,
    PENDING,
    RETRYING,
    RUNNING,
    STATUSES,
    SUCCEEDED,
    Job,
    JobOutcome,
    JobStore,
    Performer,
    PermanentFailure,
    Recorder,
    define_jobs_table,
)
from libs.common.metrics import job_attempts, jobs_finished
from libs.common.wakeup import JOBS_CHANNEL, listener

if TYPE_CHECKING:
    from libs.common.runtime import ServiceRuntime

__all__ = [
    "CANCELLED", "DEAD", "PENDING", "RETRYING", "RUNNING", "STATUSES", "SUCCEEDED", "Job", "JobOutcome", "JobStore",
    "JobWorker", "PendingJobsGauge", "PermanentFailure", "Performer", "Recorder", "backoff_delay", "define_jobs_table",
]

logger = logging.getLogger(__name__)

# Seconds between tries at recording an outcome while the database is unreachable (None: give up).
RECORD_RETRY_WAITS = (0.5, 1.0, 2.0, None)


def backoff_delay(attempts: int, base_delay: float, max_delay: float, rng: random.Random) -> float:
    """Seconds to wait after the `attempts`-th failure: exponential backoff with full jitter above a floor.

    cap = min(max_delay, base_delay * 2 ** (attempts - 1)); the delay is uniform in [min(base_delay, cap), cap].
    The jitter spreads retries of many jobs failing at once (a receiver coming back is not stampeded);
    the floor keeps a retry from landing immediately after a failure.
    """
    cap = min(max_delay, base_delay * 2.0 ** min(max(attempts - 1, 0), 60))
    return rng.uniform(min(base_delay, cap), cap)


@dataclass(frozen=True)
class _Claim:
    job: Job
    max_attempts: int
    leased_by: str | None
    lease_until: datetime | None
    lost: bool  # the lease of the job's last attempt expired: its worker died, no attempt is left


class JobWorker:
    """Claims due jobs, performs each outside any transaction, and records what came of it.

    A performer sets its own network timeouts; `lease_seconds` must exceed the longest call it can make plus
    the time to record the outcome, or a slow call may be performed again by another worker once its lease
    expires. The jobs of one batch are performed in parallel (one thread each), so the lease covers one call.
    `clock=None` takes "now" from `runtime.clock`.
    """

    def __init__(self, runtime: ServiceRuntime, table: Table, performers: dict[str, Performer],
                 recorder: Recorder | None = None, lease_seconds: float = 60, max_attempts: int = 5,
                 base_delay: float = 1.0, max_delay: float = 600.0, batch: int = 20, *,
                 clock: Clock | None = None, worker_id: str | None = None, idle_seconds: float | None = None,
                 rng: random.Random | None = None):
        self.runtime, self.table, self.performers, self.recorder = runtime, table, performers, recorder
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts, self.base_delay, self.max_delay, self.batch = max_attempts, base_delay, max_delay, batch
        self.clock = clock or getattr(runtime, "clock", None) or SystemClock()
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")[:200]
        settings = getattr(runtime, "settings", None)
        self.idle_seconds = idle_seconds or getattr(settings, "scheduler_idle_seconds", 0.5)
        # While listening for enqueues, sleep this long at most (unless a job falls due sooner).
        self.listen_seconds = max(self.idle_seconds, getattr(settings, "wakeup_poll_seconds", 1.0))
        self.wakeups = getattr(settings, "wakeups", True)
        self.rng = rng or random.Random()
        self.service = getattr(runtime, "service", "unknown")
        self._executor: ThreadPoolExecutor | None = None
        self._statements: tuple[Any, Any, Any] | None = None

    def run_once(self) -> int:
        """Claim and lease due jobs (short tx), perform them outside any tx, record each (another tx)."""
        claims = self._claim()
        live = [c for c in claims if not c.lost]
        for claim in claims:
            if claim.lost:
                self._finish(claim, self._outcome(claim, DEAD, "LeaseExpired: the worker was lost during "
                                                  "the last attempt"))
        if len(live) == 1:
            self._attempt(live[0])
        elif live:
            list(self._pool().map(self._attempt, live))
        return len(claims)

    def run(self, stop: threading.Event) -> None:
        """Work jobs until `stop` is set; database errors are logged and retried.

        Idle, it sleeps until the next job is due, woken early by an enqueue's NOTIFY (PostgreSQL), so a job
        due now starts within milliseconds; without a listener it polls every `idle_seconds`.
        """
        wakeup = listener(self.runtime.engine, JOBS_CHANNEL, self.wakeups)
        try:
            while not stop.is_set():
                try:
                    if self.run_once() >= self.batch:
                        continue
                    cap = self.listen_seconds if wakeup.listening else self.idle_seconds
                    wakeup.wait(stop, self.idle_for(cap), self.idle_seconds)
                except Exception as exc:  # noqa: BLE001 - keep the loop alive through outages
                    logger.warning("job worker error", extra={"fields": {"service": self.service,
                                                                         "error": repr(exc)}})
                    stop.wait(1.0)
        finally:
            wakeup.close()
            self.close()

    def idle_for(self, cap: float | None = None) -> float:
        """Seconds to sleep: until the next job is due or lease expires, capped by `cap` (the idle interval)."""
        cap = self.idle_seconds if cap is None else cap
        engine, _, next_due = self._prepared()
        with engine.connect() as conn:
            nxt = conn.execute(next_due).scalar_one()
        if nxt is None:
            return cap
        return max(0.0, min(cap, (as_utc(nxt) - self.clock.now()).total_seconds()))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.batch, thread_name_prefix=f"jobs-{self.service}")
        return self._executor

    def _prepared(self) -> tuple[Any, Any, Any]:
        """(engine for claims, claim statement, next-due query), built once: a cycle only binds values."""
        if self._statements is None:
            t, engine = self.table, self.runtime.engine
            now, until = bindparam("now", type_=t.c.due_at.type), bindparam("until", type_=t.c.lease_until.type)
            due = or_(and_(t.c.status == PENDING, t.c.due_at <= now),
                      and_(t.c.status == RUNNING, t.c.lease_until < now))
            batch = select(t.c.id).where(due).order_by(t.c.due_at).limit(self.batch)
            if engine.dialect.name != "sqlite":
                # Replicas share the table; each row goes to the one that locked it.
                batch = batch.with_for_update(skip_locked=True)
                # One statement is its own transaction: no BEGIN/COMMIT round trips. (Not on SQLite, whose
                # engine opens every transaction with BEGIN IMMEDIATE.)
                engine = engine.execution_options(isolation_level="AUTOCOMMIT")
            # A running row out of attempts is lost (its worker died): returned as it is, to be recorded dead.
            lost = and_(t.c.status == RUNNING, t.c.attempts >= func.coalesce(t.c.max_attempts, self.max_attempts))
            claim = (update(t).where(t.c.id.in_(batch)).values(
                status=RUNNING, lease_until=case((lost, t.c.lease_until), else_=until),
                leased_by=case((lost, t.c.leased_by), else_=bindparam("me", type_=String)),
                attempts=case((lost, t.c.attempts), else_=t.c.attempts + 1),
                updated_at=case((lost, t.c.updated_at), else_=now),
            ).returning(t.c.id, t.c.kind, t.c.key, t.c.group, t.c.payload, t.c.attempts, t.c.max_attempts,
                        t.c.due_at, t.c.lease_until, t.c.leased_by))
            when = func.min(case((t.c.status == PENDING, t.c.due_at), else_=t.c.lease_until))
            self._statements = engine, claim, select(when).where(t.c.status.in_((PENDING, RUNNING)))
        return self._statements

    def _claim(self) -> list[_Claim]:
        """Claim and lease due jobs in one UPDATE … RETURNING (values after it: attempts counts this one)."""
        engine, claim, _ = self._prepared()
        now = self.clock.now()
        until = now + self.lease
        with engine.begin() as conn:
            rows = conn.execute(claim, {"now": now, "until": until, "me": self.worker_id}).all()
        claims = []
        for row in sorted(rows, key=lambda r: (as_utc(r.due_at), r.id)):
            # A claimed row's lease starts now; a lost row keeps its expired one.
            lost = as_utc(row.lease_until) < now
            job = Job(row.id, row.kind, row.key, row.group, row.payload, row.attempts, as_utc(row.due_at))
            claims.append(_Claim(job, row.max_attempts or self.max_attempts, row.leased_by,
                                 None if lost else until, lost))
        return claims

    def _attempt(self, claim: _Claim) -> None:
        job = claim.job
        if claim.lease_until is not None and self.clock.now() >= claim.lease_until:
            # Too late to start: another worker may hold the job now.
            job_attempts.labels(self.service, job.kind, "lease_lost").inc()
            return
        performer = self.performers.get(job.kind)
        try:
            if performer is None:
                raise LookupError(f"no performer for job kind {job.kind!r}")
            result = performer(job)
        except PermanentFailure as exc:
            outcome = self._outcome(claim, DEAD, _describe(exc))
        except Exception as exc:  # noqa: BLE001 - any failure of the call is retried
            final = job.attempts >= claim.max_attempts
            outcome = self._outcome(claim, DEAD if final else RETRYING, _describe(exc))
        else:
            outcome = self._outcome(claim, SUCCEEDED, None, result)
        self._finish(claim, outcome)

    def _outcome(self, claim: _Claim, status: str, error: str | None,
                 result: dict[str, Any] | None = None) -> JobOutcome:
        now = self.clock.now()
        retry_at = None
        if status == RETRYING:
            retry_at = now + timedelta(seconds=backoff_delay(claim.job.attempts, self.base_delay,
                                                             self.max_delay, self.rng))
        return JobOutcome(status, claim.job.attempts, error, result, now, retry_at)

    def _finish(self, claim: _Claim, outcome: JobOutcome) -> bool:
        """Record the outcome if the row is still this attempt's; the recorder runs in the same transaction."""
        t, job = self.table, claim.job
        values: dict[str, Any] = {"updated_at": outcome.at, "lease_until": None}
        if outcome.status == SUCCEEDED:
            values.update(status=SUCCEEDED, result=outcome.result, finished_at=outcome.at)
        elif outcome.status == DEAD:
            values.update(status=DEAD, last_error=outcome.error, finished_at=outcome.at)
        else:
            values.update(status=PENDING, last_error=outcome.error, due_at=outcome.retry_at)
        mine = and_(t.c.id == job.id, t.c.status == RUNNING, t.c.leased_by == claim.leased_by,
                    t.c.attempts == job.attempts)
        for wait in RECORD_RETRY_WAITS:
            try:
                with self.runtime.session_factory() as session, session.begin():
                    if session.execute(update(t).where(mine).values(**values)).rowcount != 1:
                        job_attempts.labels(self.service, job.kind, "lease_lost").inc()
                        logger.warning("job lease lost before its outcome was recorded", extra={"fields": {
                            "service": self.service, "kind": job.kind, "key": job.key, "attempts": job.attempts}})
                        return False
                    if self.recorder is not None:
                        self.recorder(session, job, outcome)
                break
            except Exception as exc:  # noqa: BLE001 - at worst the lease expires and the job runs again
                if isinstance(exc, OperationalError) and wait is not None:
                    time.sleep(wait)  # the database may be back in a moment; the call is already made
                    continue
                logger.error("job outcome not recorded; it runs again after its lease", exc_info=exc,
                             extra={"fields": {"service": self.service, "kind": job.kind, "key": job.key}})
                return False
        self._observe(job, outcome)
        return True

    def _observe(self, job: Job, outcome: JobOutcome) -> None:
        job_attempts.labels(self.service, job.kind, outcome.status).inc()
        fields = {"service": self.service, "kind": job.kind, "key": job.key, "attempts": job.attempts,
                  "error": outcome.error}
        if outcome.status == RETRYING:
            logger.warning("job failed, retrying", extra={"fields": {**fields, "retry_at": outcome.retry_at}})
        elif outcome.status == DEAD:
            jobs_finished.labels(self.service, job.kind, DEAD).inc()
            logger.error("job dead", extra={"fields": fields})
        else:
            jobs_finished.labels(self.service, job.kind, SUCCEEDED).inc()


class PendingJobsGauge:
    """firebreak_jobs_pending{service,kind}: jobs not finished yet (pending or running), counted at scrape time."""

    def __init__(self, runtime: ServiceRuntime, table: Table):
        self.runtime, self.store = runtime, JobStore(table)

    def collect(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("firebreak_jobs_pending", "Leased jobs not finished yet (pending or running).",
                                   labels=["service", "kind"])
        try:
            with self.runtime.session_factory() as session:
                counts = self.store.pending_by_kind(session)
        except Exception:  # noqa: BLE001 - a broken store must not break the scrape
            return []
        for kind, count in sorted(counts.items()):
            family.add_metric([self.runtime.service, kind], count)
        return [family]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
