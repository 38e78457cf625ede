"""One bus hop's latency, outbox commit -> consumer receipt, with the relay polling vs woken by NOTIFY.

Events are committed one per transaction at a paced rate; the relay (in this process, at its default idle
interval) publishes them with confirms to RabbitMQ; a kombu consumer on a queue of its own notes when each
arrives. Both modes run on one private PostgreSQL and RabbitMQ started for the run (127.0.0.1 only).
It prints figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/hop_latency.py [--rate 20] [--seconds 15]
    .venv/bin/python bench/hop_latency.py --modes wakeup,jobs --rates 5,20,50,100 --seconds 10
    .venv/bin/python bench/hop_latency.py --modes wakeup --rates 50 --profile relay   # cProfile of the loop

Per run it also prints the CPU ms per event of the loop's thread (relay or job worker, in this process) and of
PostgreSQL (every backend: the committer's too), and the loop's cycles (polls of its table) per second.
The `jobs` mode is the job worker's hop: a job enqueued and committed -> its performer called.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kombu import Connection, Consumer, Queue  # noqa: E402
from marshmallow import Schema, fields  # noqa: E402
from sqlalchemy import MetaData  # noqa: E402

from bench.incidents import machine_busy, postmaster_pid, tree_cpu  # noqa: E402
from firebreak.devstack import LocalPostgres, LocalRabbitMQ  # noqa: E402
from libs.common.catalog import EventCatalog, EventSpec  # noqa: E402
from libs.common.config import Settings  # noqa: E402
from libs.common.jobs import JobStore, JobWorker, define_jobs_table  # noqa: E402
from libs.common.relay import Relay  # noqa: E402
from libs.common.runtime import ServiceRuntime  # noqa: E402
from libs.common.tables import define_bus_tables  # noqa: E402
from libs.common.topology import EVENTS  # noqa: E402
from libs.common.uow import UnitOfWork  # noqa: E402

PINGED = "firebreak.incident.pinged.v1"


class Pinged(Schema):
    n = fields.Integer(required=True)


def postgres_cpu(pg: LocalPostgres) -> float:
    """CPU seconds used so far by the PostgreSQL server and its live backends."""
    return tree_cpu({"postgres": postmaster_pid(pg)})["postgres"]


def thread_cpu(thread: threading.Thread) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def counting(obj, name: str, counter: list[int]) -> None:
    """Count calls of obj.name (one per poll of the table: a cycle)."""
    inner = getattr(obj, name)

    def wrapper(*args, **kwargs):
        counter[0] += 1
        return inner(*args, **kwargs)

    setattr(obj, name, wrapper)


def profiled(target, profile: bool, label: str):
    if not profile:
        return target

    def run(*args):
        prof = cProfile.Profile()
        prof.enable()
        try:
            target(*args)
        finally:
            prof.disable()
            print(f"--- cProfile of the {label} thread, by own time ---")
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)

    return run


def runtime_for(url: str, amqp_url: str, data_dir: Path, wakeups: bool, jobs: bool = False) -> ServiceRuntime:
    metadata = MetaData()
    env = {"DATABASE_URL": url, "AMQP_URL": amqp_url, "FIREBREAK_DATA_DIR": str(data_dir),
           "FIREBREAK_JWT_SECRET": "b" * 40, "FIREBREAK_WAKEUPS": "1" if wakeups else "0"}
    for name in ("FIREBREAK_RELAY_IDLE_SECONDS", "FIREBREAK_WAKEUP_POLL_SECONDS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    catalog = EventCatalog("incident", publishes={PINGED: EventSpec(PINGED, Pinged, "A bench event.")})
    runtime = ServiceRuntime.build(Settings.from_env("incident", env), metadata, define_bus_tables(metadata),
                                   catalog)
    if jobs:
        define_jobs_table(metadata)
    metadata.create_all(runtime.engine)
    return runtime


def run_mode(pg: LocalPostgres, amqp_url: str, tmp: Path, wakeups: bool, rate: float, seconds: float,
             profile: bool = False) -> dict:
    runtime = runtime_for(pg.create_database("hop_" + uuid.uuid4().hex[:8]), amqp_url, tmp, wakeups)
    committed: dict[int, float] = {}
    received: dict[int, float] = {}
    total = int(rate * seconds)
    stop = threading.Event()
    queue = Queue(f"bench-hop-{uuid.uuid4().hex[:8]}", exchange=EVENTS, routing_key=PINGED, exclusive=True)

    def consume() -> None:
        with Connection(amqp_url) as conn:
            def on_message(body, message):
                received[body["n"]] = time.perf_counter()
                message.ack()

            with Consumer(conn, [queue], callbacks=[on_message], accept=["json"]):
                ready.set()
                while not stop.is_set() and len(received) < total:
                    try:
                        conn.drain_events(timeout=0.5)
                    except TimeoutError:
                        pass

    ready = threading.Event()
    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(30)
    relay_obj, cycles = Relay(runtime), [0]
    counting(relay_obj, "relay_batch", cycles)
    relay = threading.Thread(target=profiled(relay_obj.run, profile, "relay"), args=(stop,), daemon=True)
    relay.start()
    time.sleep(2)  # the relay connects and, in wake-up mode, starts listening
    before, cpu0, pg0, cycles0 = machine_busy(), thread_cpu(relay), postgres_cpu(pg), cycles[0]
    start = time.perf_counter()
    for n in range(total):
        pause = start + n / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with UnitOfWork(runtime) as uow:
            uow.emit(PINGED, {"n": n}, subject=f"inc-{n}")
            uow.commit()
        committed[n] = time.perf_counter()
    deadline = time.monotonic() + 30
    while len(received) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    after, cpu1, pg1, cycles1, span = (machine_busy(), thread_cpu(relay), postgres_cpu(pg), cycles[0],
                                       time.perf_counter() - start)
    stop.set()
    relay.join(30)
    consumer.join(30)
    runtime.dispose()
    return figures("relay, NOTIFY" if wakeups else "relay, polling", rate, total, committed, received,
                   before, after, cpu1 - cpu0, pg1 - pg0, cycles1 - cycles0, span)


def run_jobs(pg: LocalPostgres, amqp_url: str, tmp: Path, rate: float, seconds: float,
             profile: bool = False) -> dict:
    """The job worker's hop: enqueue + commit -> performer called (a performer that only notes the time)."""
    runtime = runtime_for(pg.create_database("hop_" + uuid.uuid4().hex[:8]), amqp_url, tmp, True, jobs=True)
    table = runtime.metadata.tables["jobs"]
    store = JobStore(table)
    committed: dict[int, float] = {}
    received: dict[int, float] = {}
    total = int(rate * seconds)
    stop = threading.Event()

    def perform(job):
        received[job.payload["n"]] = time.perf_counter()

    worker, cycles = JobWorker(runtime, table, {"ping": perform}), [0]
    counting(worker, "run_once", cycles)
    thread = threading.Thread(target=profiled(worker.run, profile, "job worker"), args=(stop,), daemon=True)
    thread.start()
    time.sleep(2)
    before, cpu0, pg0, cycles0 = machine_busy(), thread_cpu(thread), postgres_cpu(pg), cycles[0]
    start = time.perf_counter()
    for n in range(total):
        pause = start + n / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with runtime.session_factory() as session, session.begin():
            store.enqueue(session, "ping", f"ping-{n}", {"n": n})
        committed[n] = time.perf_counter()
    deadline = time.monotonic() + 30
    while len(received) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    after, cpu1, pg1, cycles1, span = (machine_busy(), thread_cpu(thread), postgres_cpu(pg), cycles[0],
                                       time.perf_counter() - start)
    stop.set()
    thread.join(30)
    runtime.dispose()
    return figures("jobs, NOTIFY", rate, total, committed, received, before, after, cpu1 - cpu0, pg1 - pg0,
                   cycles1 - cycles0, span)


def figures(mode: str, rate: float, total: int, committed: dict, received: dict, before, after, cpu: float,
            pg_cpu: float, cycles: int, span: float) -> dict:
    busy, ticks = (a - b for a, b in zip(after, before, strict=True))
    lat = sorted((received[n] - committed[n]) * 1000 for n in committed if n in received)
    return {"mode": mode, "rate": rate, "sent": total, "received": len(lat),
            "cpu": cpu * 1000 / max(total, 1), "pg": pg_cpu * 1000 / max(total, 1),
            "cycles": cycles / span, "per_cycle": cpu * 1000 / max(cycles, 1),
            "p50": statistics.median(lat) if lat else float("nan"),
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
            "max": lat[-1] if lat else float("nan"), "machine": busy / ticks if ticks else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="events committed per second")
    parser.add_argument("--rates", help="comma-separated rates, each run in turn (instead of --rate)")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per mode")
    parser.add_argument("--modes", default="polling,wakeup", help="any of polling, wakeup, jobs")
    parser.add_argument("--profile", choices=("relay", "jobs"), help="print a cProfile of that loop's thread")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")] if args.rates else [args.rate]
    modes = args.modes.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="firebreak-hop-"))
    pg = rmq = None
    try:
        pg = LocalPostgres().start()
        rmq = LocalRabbitMQ(tmp / "rabbitmq").start()
        rows = []
        for rate in rates:
            for mode in modes:
                if mode == "jobs":
                    rows.append(run_jobs(pg, rmq.url, tmp, rate, args.seconds, args.profile == "jobs"))
                else:
                    rows.append(run_mode(pg, rmq.url, tmp, mode == "wakeup", rate, args.seconds,
                                         args.profile == "relay"))
    finally:
        if rmq is not None:
            rmq.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    idle = os.environ.get("FIREBREAK_RELAY_IDLE_SECONDS", "0.2 (default)")
    print(f"one hop, commit -> receipt, {args.seconds:g} s per run, relay idle interval {idle} s")
    print(f"{'mode':<16}{'ev/s':>6}{'received':>11}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'cpu/ev':>8}"
          f"{'pg/ev':>7}{'cyc/s':>7}{'cpu/cyc':>8}{'machine':>8}")
    for r in rows:
        print(f"{r['mode']:<16}{r['rate']:>6g}{r['received']:>6}/{r['sent']:<4}{r['p50']:>8.1f}{r['p99']:>8.1f}"
              f"{r['max']:>8.1f}{r['cpu']:>8.2f}{r['pg']:>7.2f}{r['cycles']:>7.1f}{r['per_cycle']:>8.2f}"
              f"{r['machine']:>8.0%}")
    print("('cpu/ev', 'cpu/cyc': CPU ms of the loop's thread per event and per cycle (one poll of its table); "
          "'pg/ev': PostgreSQL CPU ms per event, every backend; 'machine': all cores busy, any process, from "
          "/proc/stat, while events flowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
