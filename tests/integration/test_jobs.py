"""Leased jobs on PostgreSQL: shared by workers, each run once, survivors of a killed worker, real receivers."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import MetaData, distinct, func, select

from firebreak.devstack import wait_for
from libs.common.catalog import EventCatalog
from libs.common.config import Settings
from libs.common.jobs import Job, JobStore, JobWorker, PermanentFailure, define_jobs_table
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables

pytestmark = pytest.mark.integration


def make_runtime(url: str, data_dir: str) -> tuple[ServiceRuntime, JobStore]:
    metadata = MetaData()
    jobs = define_jobs_table(metadata)
    env = {"DATABASE_URL": url, "FIREBREAK_DATA_DIR": data_dir, "FIREBREAK_JWT_SECRET": "s" * 40,
           "FIREBREAK_LOG_LEVEL": "WARNING"}
    runtime = ServiceRuntime.build(Settings.from_env("notify", env), metadata, define_bus_tables(metadata),
                                   EventCatalog("notify"))
    return runtime, JobStore(jobs)


@pytest.fixture
def db(postgres, tmp_path):
    url = postgres.create_database("jobs_" + uuid.uuid4().hex[:10])
    runtime, store = make_runtime(url, str(tmp_path / "data"))
    runtime.metadata.create_all(runtime.engine)
    yield runtime, store
    runtime.dispose()


class Receiver:
    """A webhook receiver on 127.0.0.1 answering from a script of statuses, logging each request."""

    def __init__(self, statuses: list[int], then: int = 200):
        self.statuses, self.then, self.log, self.lock = list(statuses), then, [], threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.then
                    receiver.log.append((self.headers["Idempotency-Key"], status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def successes(self) -> list[str]:
        return [key for key, status in self.log if status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(statuses=(), then=200) -> Receiver:
        made.append(Receiver(list(statuses), then))
        return made[-1]

    yield make
    for r in made:
        r.close()


def post_webhook(job: Job) -> dict:
    """The performer: POST the payload with the job's key; 4xx is permanent, anything else is retried."""
    request = urllib.request.Request(job.payload["url"], data=json.dumps(job.payload).encode(), method="POST",
                                     headers={"Idempotency-Key": job.key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return {"status": response.status}
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            raise PermanentFailure(f"receiver answered {exc.code}") from exc
        raise


def run_until(worker: JobWorker, done, what: str, timeout: float = 60) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(done, timeout=timeout, what=what)
    finally:
        stop.set()
        thread.join(timeout=30)


def enqueue(runtime, store, key, payload, group=None, **kw) -> bool:
    with runtime.session_factory() as s, s.begin():
        return store.enqueue(s, "webhook", key, payload, None, group=group, **kw)


def job(runtime, store, key) -> dict:
    with runtime.session_factory() as s:
        return store.get(s, key)


def finished(runtime, store, *keys) -> bool:
    return all(job(runtime, store, k)["status"] in ("succeeded", "dead") for k in keys)


def test_two_workers_never_run_one_job_at_once(db):
    runtime, store = db
    keys = [f"job-{n}" for n in range(300)]
    for key in keys:
        enqueue(runtime, store, key, {"n": key})
    lock, running, runs, overlaps = threading.Lock(), set(), {}, []

    def perform(job: Job):
        with lock:
            if job.key in running:
                overlaps.append(job.key)
            running.add(job.key)
        time.sleep(0.002)
        with lock:
            running.discard(job.key)
            runs.setdefault(job.key, []).append(job.attempts)
        if job.attempts == 1 and hash(job.key) % 5 == 0:
            raise ConnectionError("flaky receiver")  # some jobs go round twice
        return {"ok": True}

    workers = [JobWorker(runtime, store.table, {"webhook": perform}, lease_seconds=30, base_delay=0.01,
                         max_delay=0.05, batch=8, worker_id=f"w{i}", idle_seconds=0.02) for i in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: finished(runtime, store, *keys), timeout=90, what="all jobs finished")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert overlaps == []
    with runtime.session_factory() as s:
        shared = s.execute(select(func.count(distinct(store.table.c.leased_by)))).scalar_one()
    assert shared == 2  # the work really was shared
    for key in keys:
        row = job(runtime, store, key)
        assert row["status"] == "succeeded"
        assert runs[key] == list(range(1, row["attempts"] + 1))  # one run per attempt, in order


def child_worker(url: str, data_dir: str, started: str, send_first: str) -> None:
    """A worker process whose performer blocks (optionally after sending) until it is killed."""
    runtime, store = make_runtime(url, data_dir)

    def perform(job: Job):
        if send_first:
            post_webhook(job)
        Path(started).write_text(job.key)
        while True:
            time.sleep(0.05)

    worker = JobWorker(runtime, store.table, {"webhook": perform}, lease_seconds=2, worker_id="doomed",
                       idle_seconds=0.05)
    worker.run(threading.Event())


@pytest.mark.parametrize("send_first", [False, True], ids=["killed-before-sending", "killed-after-sending"])
def test_a_killed_worker_leaves_the_job_to_be_retried_after_its_lease(db, receiver_factory, tmp_path, send_first):
    runtime, store = db
    receiver = receiver_factory()
    enqueue(runtime, store, "page-1", {"url": receiver.url})
    started = tmp_path / "started"
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=child_worker,
                        args=(runtime.settings.database_url, str(tmp_path / "data"), str(started),
                              "yes" if send_first else ""))
    child.start()
    try:
        wait_for(started.exists, timeout=60, what="the child worker to start the call")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    row = job(runtime, store, "page-1")
    assert (row["status"], row["leased_by"], row["attempts"]) == ("running", "doomed", 1)

    survivor = JobWorker(runtime, store.table, {"webhook": post_webhook}, lease_seconds=30,
                         worker_id="survivor", idle_seconds=0.05)
    run_until(survivor, lambda: finished(runtime, store, "page-1"), "the survivor to take over")
    row = job(runtime, store, "page-1")
    assert (row["status"], row["leased_by"], row["attempts"]) == ("succeeded", "survivor", 2)
    assert row["result"] == {"status": 200}
    # Killed after sending: the receiver saw the key twice, which is what Idempotency-Key is for.
    assert receiver.successes() == ["page-1"] * (2 if send_first else 1)


def test_a_receiver_failing_twice_then_succeeding_gets_three_attempts_and_one_success(db, receiver_factory):
    runtime, store = db
    receiver = receiver_factory([503, 502])
    enqueue(runtime, store, "page-2", {"url": receiver.url})
    outcomes = []
    worker = JobWorker(runtime, store.table, {"webhook": post_webhook}, lease_seconds=30, base_delay=0.05,
                       max_delay=0.2, idle_seconds=0.02,
                       recorder=lambda session, job, outcome: outcomes.append((outcome.status, outcome.attempts)))
    run_until(worker, lambda: finished(runtime, store, "page-2"), "the job to succeed")
    row = job(runtime, store, "page-2")
    assert (row["status"], row["attempts"], row["result"]) == ("succeeded", 3, {"status": 200})
    assert receiver.log == [("page-2", 503), ("page-2", 502), ("page-2", 200)]
    assert outcomes == [("retrying", 1), ("retrying", 2), ("succeeded", 3)]


def test_a_receiver_that_always_fails_ends_dead_with_its_error(db, receiver_factory):
    runtime, store = db
    receiver = receiver_factory(then=500)
    rejecting = receiver_factory(then=410)
    enqueue(runtime, store, "page-3", {"url": receiver.url}, max_attempts=4)
    enqueue(runtime, store, "page-4", {"url": rejecting.url})
    worker = JobWorker(runtime, store.table, {"webhook": post_webhook}, lease_seconds=30, base_delay=0.02,
                       max_delay=0.1, idle_seconds=0.02)
    run_until(worker, lambda: finished(runtime, store, "page-3", "page-4"), "the jobs to die")
    row = job(runtime, store, "page-3")
    assert (row["status"], row["attempts"]) == ("dead", 4)
    assert "HTTP Error 500" in row["last_error"] and row["finished_at"] is not None
    assert len(receiver.log) == 4 and receiver.successes() == []
    row = job(runtime, store, "page-4")
    assert (row["status"], row["attempts"]) == ("dead", 1)  # a 4xx is not retried
    assert row["last_error"] == "PermanentFailure: receiver answered 410"


def test_one_key_makes_one_job_even_when_enqueued_at_once_and_groups_cancel(db):
    runtime, store = db
    created, barrier = [], threading.Barrier(8)

    def add():
        barrier.wait()
        created.append(enqueue(runtime, store, "inc-1/alice/sms", {"n": 1}, group="inc-1/alice"))

    threads = [threading.Thread(target=add) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(created) == [False] * 7 + [True]
    enqueue(runtime, store, "inc-1/alice/email", {"n": 2}, group="inc-1/alice")
    enqueue(runtime, store, "inc-1/bob/sms", {"n": 3}, group="inc-1/bob")
    with runtime.session_factory() as s, s.begin():
        assert store.cancel_group(s, "inc-1/alice") == 2
    statuses = [job(runtime, store, k)["status"] for k in ("inc-1/alice/sms", "inc-1/alice/email", "inc-1/bob/sms")]
    assert statuses == ["cancelled", "cancelled", "pending"]
