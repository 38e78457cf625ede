"""SLA breach timers on PostgreSQL: lateness and events/s of the sla scheduler against a plain polling loop.

Every path fires the same number of `sla.breach` timers, due uniformly over the same window, through
the sla service's real timer handler (lock the incident's SLA record, check the clock's version, mark
the breach, write `firebreak.sla.breached.v1` to the outbox), each on a database of its own on one
private PostgreSQL started for the run (firebreak.devstack, fsync off) and stopped at the end.

- firebreak: the sla scheduler as `firebreak serve sla scheduler` runs it, in --replicas processes:
  libs.common's Scheduler (claim up to FIREBREAK_SCHEDULER_BATCH due rows with FOR UPDATE SKIP LOCKED
  on the due_at index) with the sla's batch timer handler firing the claimed batch in one go
  (records locked in id order, clocks loaded, updated and events inserted set-wise, one DELETE, one commit).
- per-timer (with --per-timer): the same Scheduler given no batch handler: a savepoint, the handler and a
  DELETE per timer, one commit per batch.
- baseline: a plain polling loop, the way a cron-style job does it: every --poll seconds SELECT all due
  rows (no index on due_at, no SKIP LOCKED), then one transaction per row: handler, DELETE, COMMIT.
  It is stopped --grace seconds after the last due time; what it has not fired by then counts as late
  by at least (stop - due), and its figures are printed with '>='.

Each path's processes start first and poll an empty table; only then are the timers inserted, due from
3 s later on (a running scheduler, not a cold start, is what is measured).
Lateness = commit time of the transaction that wrote the event - the timer's due_at (what a consumer
of the event can observe, minus relay and broker time). Events/s = events / (last commit - first commit).
Nothing is asserted; the figures are for reading. Run from the repo root:

    .venv/bin/python bench/sla_timers.py                     # 100,000 timers over 60 s, about 3 minutes
    .venv/bin/python bench/sla_timers.py --timers 10000 --seconds 10 --per-timer --timeline
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, select, text  # noqa: E402

from firebreak.devstack import LocalPostgres  # noqa: E402
from firebreak.setup import migrate_database  # noqa: E402
from libs.common.timers import Scheduler, Timer  # noqa: E402
from services.sla.app import SERVICE  # noqa: E402
from services.sla.domain.calendar import ALWAYS  # noqa: E402
from services.sla.domain.policy import BUILT_IN, AppliedPolicy  # noqa: E402
from services.sla.service_layer.handlers import timer_fired, timers_fired  # noqa: E402
from services.sla.service_layer.unit_of_work import SlaUnitOfWork  # noqa: E402

JWT_SECRET = "bench-secret-" + "x" * 40
LEAD_SECONDS = 3.0  # between inserting the timers and the first one falling due


@dataclass
class Result:
    path: str
    fired: list[tuple[float, float]]  # (commit, due) per timer fired
    unfired: list[tuple[float, float]] = field(default_factory=list)  # (stop, due) per timer left pending

    @property
    def lateness(self) -> list[float]:
        return sorted(max(0.0, c - d) for c, d in self.fired + self.unfired)

    def pct(self, p: float) -> float:
        values = self.lateness
        rank = max(1, -(-len(values) * p // 100))  # nearest rank
        return values[int(rank) - 1]

    @property
    def rate(self) -> float:
        commits = [c for c, _ in self.fired]
        span = max(commits) - min(commits) if commits else 0
        return len(self.fired) / span if span > 0 else float("inf")


# -- set-up ------------------------------------------------------------------------------------

def env_for(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("FIREBREAK_SCHEDULER_")}
    env.update({"DATABASE_URL": url, "FIREBREAK_SLA_DATABASE_URL": url, "FIREBREAK_JWT_SECRET": JWT_SECRET,
                "FIREBREAK_DATA_DIR": str(tmp), "FIREBREAK_LOG_LEVEL": "WARNING", "AMQP_URL": "memory://"})
    return env


def prepare(env: dict[str, str], timers: int, drop_due_index: bool) -> None:
    """N incidents, each with a running resolution clock (their breach timers come later, from schedule())."""
    started = time.time()
    runtime = SERVICE.runtime(env)
    migrate_database(SERVICE, runtime.settings)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    params = {"n": timers, "t0": t0, "policy": json.dumps(AppliedPolicy.of(BUILT_IN, ALWAYS, None).to_dict()),
              "spans": json.dumps([[t0.isoformat(), None]])}
    with runtime.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sla_records (incident_id, reference, title, priority, status, team, incident_type, private,"
            " created_at, sequence, sla_sequence, policy, first_seen_at, updated_at)"
            " SELECT 'bench-' || g, 'INC-' || g, 'bench incident', 'high', 'in_progress', 'payments', NULL, false,"
            " :t0, 1, 0, CAST(:policy AS json), now(), now() FROM generate_series(1, :n) g"), params)
        conn.execute(text(
            "INSERT INTO sla_clocks (incident_id, target, cycle, priority, target_seconds, warning_seconds,"
            " started_at, spans, stage, due_at, warning_at, version)"
            " SELECT 'bench-' || g, 'resolution', 1, 'high', 28800, 23040, :t0, CAST(:spans AS json), 'running',"
            " :t0 + interval '8 hours', :t0 + interval '23040 seconds', 1 FROM generate_series(1, :n) g"), params)
        if drop_due_index:
            conn.execute(text("DROP INDEX IF EXISTS ix_timers_due_at"))
        conn.execute(text("ANALYZE"))
    runtime.dispose()
    print(f"  set up {timers:,} incidents and clocks in {time.time() - started:.1f}s", file=sys.stderr)


def schedule(url: str, timers: int, seconds: float) -> float:
    """Insert the breach timers, due uniformly over `seconds` from LEAD_SECONDS on; return the first due (epoch)."""
    engine = create_engine(url)
    first_due = time.time() + LEAD_SECONDS
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO timers (kind, key, due_at, payload, attempts, created_at)"
            " SELECT 'sla.breach', 'bench-' || g || '/resolution', to_timestamp(:first + (g - 1) * :step),"
            " json_build_object('incident_id', 'bench-' || g, 'target', 'resolution', 'cycle', 1, 'version', 1),"
            " 0, now() FROM generate_series(1, :n) g"), {"n": timers, "first": first_due, "step": seconds / timers})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE timers"))
    engine.dispose()
    if time.time() > first_due:
        print("  warning: inserting the timers took longer than the lead time", file=sys.stderr)
    return first_due


# -- the paths (each in processes of its own) --------------------------------------------------

class TimedUnitOfWork(SlaUnitOfWork):
    """Notes the commit time of every timer fired in the transaction."""

    sink: list[tuple[float, float]] = []

    def __enter__(self):
        super().__enter__()
        self.fired: list[float] = []
        return self

    def commit(self) -> None:
        super().commit()
        now = time.time()
        self.sink.extend((now, due) for due in self.fired)


def timed_handler(uow: TimedUnitOfWork, timer: Timer) -> None:
    timer_fired(uow, timer)
    uow.fired.append(timer.due_at.timestamp())


def timed_batch_handler(uow: TimedUnitOfWork, timers: list[Timer]) -> None:
    timers_fired(uow, timers)
    uow.fired.extend(timer.due_at.timestamp() for timer in timers)


def all_fired(runtime, end_after) -> bool:
    """True once every timer has fallen due (end_after, set by the parent) and none is left."""
    if not end_after.value or time.time() < end_after.value:
        return False
    with runtime.engine.connect() as conn:
        return bool(conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM timers)")).scalar())


def scheduler_replica(env: dict[str, str], deadline: float, out: str, per_timer: bool, ready, end_after) -> None:
    runtime = SERVICE.runtime(env)
    handlers = {"sla.breach": timed_handler}
    factory = lambda: TimedUnitOfWork(runtime)  # noqa: E731
    if per_timer:
        scheduler = Scheduler(runtime, handlers, factory)
    else:
        scheduler = Scheduler(runtime, handlers, factory, batch_handlers={"sla.breach": timed_batch_handler})
    scheduler.run_once()  # connected, statements compiled
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() and time.time() < deadline and not all_fired(runtime, end_after):
            stop.wait(0.5)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    ready.release()
    scheduler.run(stop)
    Path(out).write_text(json.dumps({"fired": TimedUnitOfWork.sink, "unfired": []}))
    runtime.dispose()


def baseline_loop(env: dict[str, str], poll: float, deadline: float, out: str, ready, end_after) -> None:
    """Every `poll` s SELECT the due rows, then one transaction per row; stop at the deadline."""
    runtime = SERVICE.runtime(env)
    table = runtime.tables.timers
    fired: list[tuple[float, float]] = []
    ready.release()
    while time.time() < deadline and not all_fired(runtime, end_after):
        cycle_start = time.time()
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.due_at <= datetime.now(UTC))).all()
        for row in rows:
            if time.time() >= deadline:
                break
            timer = Timer(row.id, row.kind, row.key, row.due_at, row.payload, row.attempts)
            with SlaUnitOfWork(runtime) as uow:
                timer_fired(uow, timer)
                uow.session.execute(delete(table).where(table.c.id == row.id))
                uow.commit()
            fired.append((time.time(), timer.due_at.timestamp()))
        time.sleep(max(0.0, min(deadline - time.time(), poll - (time.time() - cycle_start))))
    stopped = time.time()
    with runtime.engine.connect() as conn:
        pending = [row[0].timestamp() for row in conn.execute(select(table.c.due_at))]
    runtime.dispose()
    Path(out).write_text(json.dumps({"fired": fired, "unfired": [(stopped, due) for due in pending]}))


def run_path(path: str, url: str, args, tmp: Path) -> Result:
    """Start the path's processes, wait until they poll, schedule the timers, collect what fired."""
    env = env_for(url, tmp)
    prepare(env, args.timers, drop_due_index=path == "baseline")
    ctx = multiprocessing.get_context("spawn")
    ready, end_after = ctx.Semaphore(0), ctx.Value("d", 0.0)
    if path == "baseline":
        deadline = time.time() + 60 + LEAD_SECONDS + args.seconds + args.grace
        outs = [str(tmp / "baseline.json")]
        procs = [ctx.Process(target=baseline_loop, args=(env, args.poll, deadline, outs[0], ready, end_after))]
    else:
        deadline = time.time() + 60 + LEAD_SECONDS + args.seconds + 300
        outs = [str(tmp / f"{path}-{i}.json") for i in range(args.replicas)]
        procs = [ctx.Process(target=scheduler_replica,
                             args=(env, deadline, out, path == "per-timer", ready, end_after)) for out in outs]
    for proc in procs:
        proc.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            raise RuntimeError(f"{path}: a worker did not start")
    print(f"  running {path} ...", file=sys.stderr)
    first_due = schedule(url, args.timers, args.seconds)
    end_after.value = first_due + args.seconds
    for proc in procs:
        proc.join(max(1.0, deadline - time.time() + 30))
    result = Result(path, [])
    for out in outs:
        data = json.loads(Path(out).read_text())
        result.fired.extend(tuple(pair) for pair in data["fired"])
        result.unfired.extend(tuple(pair) for pair in data["unfired"])
    events = count_events(url)
    if events != len(result.fired) or events + len(result.unfired) != args.timers:
        print(f"  warning: {path} fired {len(result.fired)}, wrote {events} events, left {len(result.unfired)}, "
              f"expected {args.timers}", file=sys.stderr)
    return result


def count_events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM outbox WHERE type = 'firebreak.sla.breached.v1'")).scalar_one()
    finally:
        engine.dispose()


# -- report ------------------------------------------------------------------------------------

def report(results: list[Result], args) -> None:
    print()
    print(f"{args.timers:,} sla.breach timers due uniformly over {args.seconds:g}s "
          f"({args.timers / args.seconds:,.0f}/s offered); scheduler: {args.replicas} process(es), "
          f"batch {os.environ.get('FIREBREAK_SCHEDULER_BATCH', '500')}; baseline: poll every {args.poll:g}s, "
          "no due_at index, one transaction per timer")
    header = (f"{'path':<10} {'fired':>8} {'unfired':>8} {'p50 late':>10} {'p99 late':>10} {'max late':>10} "
              f"{'mean late':>10} {'events/s':>10}")
    print(header)
    print("-" * len(header))
    for r in results:
        mark = ">=" if r.unfired else ""
        values = (r.pct(50), r.pct(99), r.lateness[-1], statistics.fmean(r.lateness))
        cells = " ".join(f"{mark}{v:.3f}s".rjust(10) for v in values)
        print(f"{r.path:<10} {len(r.fired):>8,} {len(r.unfired):>8,} {cells} {r.rate:>10,.0f}")
    by_path = {r.path: r for r in results}
    if "firebreak" in by_path and "baseline" in by_path:
        fb, base = by_path["firebreak"], by_path["baseline"]
        mark = ">=" if base.unfired else ""

        def ratio(a: float, b: float) -> str:
            return f"x{a / b:,.1f}" if b else "inf"

        print(f"baseline/firebreak lateness: p50 {mark}{ratio(base.pct(50), fb.pct(50))}, "
              f"p99 {mark}{ratio(base.pct(99), fb.pct(99))}, max {mark}{ratio(base.lateness[-1], fb.lateness[-1])}"
              f" (above 1: firebreak is more punctual); events/s firebreak/baseline {ratio(fb.rate, base.rate)}")
    if any(r.unfired for r in results):
        print(f"('>=': timers still pending {args.grace:g}s after the last due time count as late by at least "
              "stop - due_at)")


def timeline(results: list[Result], step: float = 5.0) -> None:
    """p50 and max lateness per `step` seconds of due time, per path."""
    for r in results:
        pairs = r.fired + r.unfired
        first = min(d for _, d in pairs)
        buckets: dict[int, list[float]] = {}
        for commit, due in pairs:
            buckets.setdefault(int((due - first) // step), []).append(max(0.0, commit - due))
        print(f"\n{r.path}: lateness by due time")
        for index in sorted(buckets):
            values = sorted(buckets[index])
            print(f"  {index * step:>5.0f}-{(index + 1) * step:<4.0f}s  n={len(values):>6,}  "
                  f"p50 {values[len(values) // 2]:7.3f}s  max {values[-1]:7.3f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="the timers fall due uniformly over this")
    parser.add_argument("--replicas", type=int, default=1, help="scheduler processes")
    parser.add_argument("--poll", type=float, default=1.0, help="baseline poll interval, seconds")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="stop the baseline this long after the last timer's due time")
    parser.add_argument("--per-timer", action="store_true",
                        help="also run libs.common's Scheduler without batch handlers (a savepoint per timer)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--timeline", action="store_true", help="also print lateness per 5 s of due time")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="firebreak-sla-bench-"))
    pg = LocalPostgres()
    results = []
    try:
        pg.start()
        print(f"PostgreSQL on port {pg.port}; {args.timers:,} timers due over {args.seconds:g}s", file=sys.stderr)
        paths = ["firebreak"] + (["per-timer"] if args.per_timer else []) + ([] if args.skip_baseline
                                                                             else ["baseline"])
        for path in paths:
            results.append(run_path(path, pg.create_database(f"bench_sla_{path.replace('-', '_')}"), args, tmp))
    finally:
        pg.stop()
    report(results, args)
    if args.timeline:
        timeline(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
