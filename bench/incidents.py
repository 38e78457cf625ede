"""Incidents created per second over HTTP on the real stack, against a bare Flask+gunicorn endpoint in the same run.

Firebreak: `firebreak serve incident api` (gunicorn, gthread, firebreak/gunicorn_conf.py) and `firebreak serve
incident relay` as subprocesses, on a private PostgreSQL and RabbitMQ started for the run (firebreak.devstack).
POST /v1/incidents with a responder's bearer token -> 201: JWT check, schema load, one transaction writing the
incident, its timeline entry, its commander role and its incident.created outbox row; the relay publishes.
Baseline: bench/bare_app.py, a Flask app whose POST /v1/incidents parses the JSON body and returns 201 (no
database), served by the same gunicorn config with the same workers, threads and worker class.

Both get the same requests from --concurrency client threads, a requests.Session (keep-alive) each, after a
warm-up that is not counted (--no-keepalive: a new connection per request). Besides requests/s and latency it
prints CPU time per request of each component, how the keep-alive connections fell on the gunicorn workers,
what one POST does in the database (counted in-process) and whether the relay published every event.
Everything listens on 127.0.0.1 only and is stopped at the end, on error too.
It prints figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/incidents.py [--requests 2000] [--concurrency 8] [--workers 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
import port_for  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, ServiceProcess, wait_for  # noqa: E402
from libs.common.auth import mint  # noqa: E402
from libs.common.config import AuthSettings  # noqa: E402
from libs.common.topology import EVENTS  # noqa: E402

JWT_SECRET = "bench-secret-" + "x" * 40
GUNICORN_CONF = ROOT / "firebreak" / "gunicorn_conf.py"
BENCH_QUEUE = "bench.incident-events"
PROBE_REQUESTS = 50
# Tuning a caller may set in the environment; everything else the benchmark sets itself.
PASSED_THROUGH = ("FIREBREAK_RELAY_BATCH", "FIREBREAK_RELAY_IDLE_SECONDS", "FIREBREAK_LOG_LEVEL")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A server did not come up, or a phase could not run."""


# -- the stack ---------------------------------------------------------------------------------

class Stack:
    """A private PostgreSQL and RabbitMQ, listening on 127.0.0.1 only; stop() tolerates half a start."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="firebreak-bench-"))
        self.postgres: LocalPostgres | None = None
        self.rabbitmq: LocalRabbitMQ | None = None
        self.processes: list[ServiceProcess] = []

    def start(self) -> Stack:
        self.postgres = LocalPostgres()
        self.postgres.start()
        self.rabbitmq = LocalRabbitMQ(self.tmp / "rabbitmq")
        self.rabbitmq.start()
        return self

    def env(self, workers: int, threads: int) -> dict[str, str]:
        """The environment of every server process (and of the in-process probe)."""
        database_url = self.postgres.create_database("bench_incident")
        env = {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
        env.setdefault("FIREBREAK_LOG_LEVEL", "WARNING")
        env.update({
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.tmp)),
            "PYTHONPATH": str(ROOT),
            "AMQP_URL": self.rabbitmq.url,
            "FIREBREAK_JWT_SECRET": JWT_SECRET,
            "FIREBREAK_DATA_DIR": str(self.tmp / "data"),
            "FIREBREAK_INCIDENT_DATABASE_URL": database_url,
            "DATABASE_URL": database_url,
            "FIREBREAK_WEB_WORKERS": str(workers),
            "FIREBREAK_WEB_THREADS": str(threads),
        })
        return env

    def start_process(self, proc: ServiceProcess) -> ServiceProcess:
        self.processes.append(proc)
        return proc.start()

    def stop(self) -> None:
        for proc in self.processes:
            try:
                proc.stop()
            except Exception as exc:  # noqa: BLE001 - stop the rest regardless
                print(f"warning: could not stop {proc.service} {proc.kind}: {exc!r}", file=sys.stderr)
        for server in (self.rabbitmq, self.postgres):
            if server is None:
                continue
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - stop the other one regardless
                print(f"warning: could not stop {type(server).__name__}: {exc!r}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)


class BareProcess(ServiceProcess):
    """bench/bare_app.py under gunicorn with firebreak's gunicorn config; stop(), log() as ServiceProcess."""

    def start(self) -> BareProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "bench.bare_app:app"]
        self.proc = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        return self


def listen_on(env: dict[str, str], port: int) -> dict[str, str]:
    """gunicorn_conf.py binds 0.0.0.0; GUNICORN_CMD_ARGS comes after the config file, so 127.0.0.1 wins."""
    return {**env, "FIREBREAK_PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"}


def wait_up(proc: ServiceProcess, url: str) -> None:
    def up() -> bool:
        if not proc.alive():
            raise BenchError(f"{proc.service} {proc.kind} exited:\n{proc.log()[-3000:]}")
        return requests.get(url + "/healthz", timeout=1).ok

    try:
        wait_for(up, timeout=60, what=f"{proc.service} {proc.kind} at {url}")
    except TimeoutError as exc:
        raise BenchError(f"{exc}\n{proc.log()[-3000:]}") from None


# -- CPU time per component, from /proc ----------------------------------------------------------

def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime + stime in clock ticks) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # fields from the 3rd (state) on
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree_cpu(roots: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds used so far by each named root process and its descendants (live ones)."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for name, root in roots.items():
        ticks, todo, seen = 0, [root] if root else [], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            ticks += table[pid][1]
            todo.extend(children.get(pid, ()))
        out[name] = ticks / CLOCK_TICKS
    return out


def machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat (iowait counts as idle)."""
    with open("/proc/stat") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    return user + nice + system + irq + softirq + steal, sum(ticks)


def connections_per_worker(master: int, port: int) -> list[int]:
    """Established connections to `port` each gunicorn worker (child of `master`) holds, most first."""
    inodes = set()
    with open("/proc/net/tcp") as fh:
        for line in fh.readlines()[1:]:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":  # 01: ESTABLISHED
                inodes.add(cols[9])
    counts = []
    for pid, (ppid, _) in _process_table().items():
        if ppid != master:
            continue
        held = 0
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                held += link.startswith("socket:[") and link[8:-1] in inodes
        except OSError:
            continue
        counts.append(held)
    return sorted(counts, reverse=True)


def postmaster_pid(pg: LocalPostgres) -> int | None:
    try:
        return int((pg.datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# -- the load --------------------------------------------------------------------------------------

@dataclass
class Result:
    path: str
    latencies: list[float] = field(default_factory=list)  # seconds, of the 201s
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    response_bytes: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per component during the timed part
    machine: float = float("nan")  # share of all cores busy (any process) during the timed part
    connections: list[int] | None = None  # keep-alive connections per gunicorn worker, after the warm-up

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else float("nan")

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100)
        return ordered[int(rank) - 1] * 1000


def run_load(path: str, url: str, token: str, requests_total: int, concurrency: int, warmup: int,
             cpu_roots: dict[str, int | None], keepalive: bool = True,
             after_warmup: Callable[[], list[int]] | None = None) -> Result:
    """`warmup` requests (not counted), then `requests_total` from `concurrency` threads, a Session each.
    Without keepalive every request asks the server to close the connection, so each opens a new one."""
    result = Result(path)
    headers = {"Authorization": f"Bearer {token}"}
    if not keepalive:
        headers["Connection"] = "close"
    numbers = itertools.count()
    lock = threading.Lock()
    warmed = threading.Barrier(concurrency + 1, timeout=120)
    go = threading.Event()

    def post(session: requests.Session, number: int) -> tuple[int | None, float, bytes | str]:
        body = {"title": f"Checkout p99 latency above SLO (bench {number})", "severity": "major",
                "priority": "high"}
        began = time.perf_counter()
        try:
            response = session.post(url, json=body, headers=headers, timeout=30)
        except requests.RequestException as exc:
            return None, time.perf_counter() - began, repr(exc)
        return response.status_code, time.perf_counter() - began, response.content

    def client(index: int) -> None:
        mine: list[float] = []
        errors: Counter = Counter()
        with requests.Session() as session:
            for n in range(index, warmup, concurrency):
                status, _, content = post(session, -1 - n)
                if status != 201:
                    errors[f"warm-up {status}: {str(content)[:200]}"] += 1
            try:
                warmed.wait()
            except threading.BrokenBarrierError:
                return
            go.wait()
            while (number := next(numbers)) < requests_total:
                status, seconds, content = post(session, number)
                if status == 201:
                    mine.append(seconds)
                    if not result.response_bytes:
                        result.response_bytes = len(content)
                else:
                    errors[f"{status}: {str(content)[:200]}"] += 1
        with lock:
            result.latencies.extend(mine)
            result.errors.update(errors)

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}", daemon=True)
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        warmed.wait()
    except threading.BrokenBarrierError:
        raise BenchError(f"{path}: the warm-up did not finish within 120s") from None
    if after_warmup is not None:
        result.connections = after_warmup()
    cpu_before, client_before, machine_before = tree_cpu(cpu_roots), time.process_time(), machine_busy()
    start = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join(600)
        if thread.is_alive():
            raise BenchError(f"{path}: {thread.name} still running after 600s")
    result.seconds = time.perf_counter() - start
    client_after, cpu_after, machine_after = time.process_time(), tree_cpu(cpu_roots), machine_busy()
    busy, total = (after - before for after, before in zip(machine_after, machine_before, strict=True))
    result.machine = busy / total if total else float("nan")
    result.cpu = {"client": client_after - client_before,
                  **{name: cpu_after[name] - cpu_before[name] for name in cpu_roots}}
    return result


# -- what one POST does in the database, counted in-process ---------------------------------------

_STATEMENT = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT\b.*?\bFROM)\s+\"?(\w+)", re.S | re.I)


def _statement_kind(statement: str) -> str:
    if statement.lstrip().upper().startswith("WITH"):  # data-modifying CTEs: one statement, several tables
        tables = re.findall(r"INSERT INTO\s+\"?(\w+)", statement, re.I)
        if tables:
            return "INSERT " + "+".join(tables)
    match = _STATEMENT.match(statement)
    if not match:
        return statement.split(None, 1)[0].upper()
    verb = match[1].split()[0].upper()
    return f"{verb} {match[2]}"


@dataclass
class Probe:
    requests: int
    seconds: float
    statements: Counter
    transactions: int
    pings: int


def probe_statements(env: dict[str, str], token: str, count: int) -> Probe:
    """POST /v1/incidents `count` times through Flask's test client on the same database, one thread,
    counting SQL statements, transactions and pool_pre_ping round trips."""
    from services.incident.app import SERVICE

    app = SERVICE.create_app(env)
    runtime = app.extensions["firebreak"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Checkout p99 latency above SLO (probe)", "severity": "major", "priority": "high"}
    statements: Counter = Counter()
    counts = Counter()
    try:
        response = client.post("/v1/incidents", json=body, headers=headers)  # imports, first connection
        if response.status_code != 201:
            raise BenchError(f"in-process probe: {response.status_code} {response.get_data(as_text=True)[:300]}")

        def on_statement(_conn, _cursor, statement, *_args) -> None:
            statements[_statement_kind(statement)] += 1

        def on_commit(_conn) -> None:
            counts["commit"] += 1

        def on_checkout(*_args) -> None:
            counts["checkout"] += 1

        event.listen(runtime.engine, "before_cursor_execute", on_statement)
        event.listen(runtime.engine, "commit", on_commit)
        event.listen(runtime.engine.pool, "checkout", on_checkout)
        began = time.perf_counter()
        for _ in range(count):
            response = client.post("/v1/incidents", json=body, headers=headers)
            if response.status_code != 201:
                raise BenchError(f"in-process probe: {response.status_code}")
        seconds = time.perf_counter() - began
    finally:
        runtime.dispose()
    # pool_pre_ping pings on every checkout; without it (libs.common.db) a connection is pinged only after
    # 10 s idle or when its socket turned readable while idle, which a probe of back-to-back POSTs never meets.
    pings = counts["checkout"] if getattr(runtime.engine.pool, "_pre_ping", False) else 0
    return Probe(count, seconds, statements, counts["commit"], pings)


# -- the outbox and the broker ----------------------------------------------------------------------

def pika_parameters(rmq: LocalRabbitMQ) -> pika.ConnectionParameters:
    # pika reads the vhost of kombu's "amqp://...//" URL as "", so spell it out.
    return pika.ConnectionParameters(host="127.0.0.1", port=rmq.port, virtual_host="/",
                                     credentials=pika.PlainCredentials("guest", "guest"))


def declare_bench_queue(rmq: LocalRabbitMQ) -> None:
    """A classic queue bound to every incident event, so the broker's side can be counted too."""
    conn = pika.BlockingConnection(pika_parameters(rmq))
    try:
        channel = conn.channel()
        channel.exchange_declare(EVENTS.name, exchange_type=EVENTS.type, durable=True)
        channel.queue_declare(BENCH_QUEUE, durable=True)
        channel.queue_bind(BENCH_QUEUE, EVENTS.name, routing_key="firebreak.incident.#")
    finally:
        conn.close()


def bench_queue_depth(rmq: LocalRabbitMQ) -> int:
    conn = pika.BlockingConnection(pika_parameters(rmq))
    try:
        return conn.channel().queue_declare(BENCH_QUEUE, passive=True).method.message_count
    finally:
        conn.close()


@dataclass
class Outbox:
    rows: int
    unsent: int
    waited: float


def drain_outbox(env: dict[str, str], timeout: float) -> Outbox:
    """Wait up to `timeout` seconds for the relay to have published every outbox row."""
    from services.incident.app import SERVICE

    runtime = SERVICE.runtime(env)
    outbox = runtime.tables.outbox
    began = time.perf_counter()
    try:
        while (unsent := runtime.outbox_pending()) and time.perf_counter() - began < timeout:
            time.sleep(0.1)
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    finally:
        runtime.dispose()
    return Outbox(rows, unsent, time.perf_counter() - began)


# -- main ------------------------------------------------------------------------------------------

def server_version(pg: LocalPostgres) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def print_results(results: list[Result], cores: int) -> None:
    print(f"{'path':<12}{'requests':>9}{'errors':>8}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'resp B':>8}")
    for r in results:
        print(f"{r.path:<12}{r.ok:>9}{sum(r.errors.values()):>8}{r.seconds:>9.2f}{r.rate:>9.1f}"
              f"{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}{r.percentile(100):>9.1f}{r.response_bytes:>8}")
    names = list(dict.fromkeys(name for r in results for name in r.cpu))
    print()
    print(f"{'CPU ms/req':<12}" + "".join(f"{n:>10}" for n in names) + f"{'total':>10}{'ours':>8}{'machine':>9}")
    for r in results:
        per = {n: r.cpu[n] * 1000 / r.ok if n in r.cpu and r.ok else None for n in names}
        cells = "".join(f"{v:>10.2f}" if v is not None else f"{'-':>10}" for v in per.values())
        share = sum(r.cpu.values()) / (cores * r.seconds) if r.seconds else float("nan")
        print(f"{r.path:<12}{cells}{sum(v for v in per.values() if v):>10.2f}{share:>8.0%}{r.machine:>9.0%}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per path (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of both servers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--warmup", type=int, default=50, help="requests before the clock starts (default 50)")
    parser.add_argument("--no-keepalive", dest="keepalive", action="store_false",
                        help="a new connection per request (Connection: close) instead of one per client thread")
    parser.add_argument("--drain-timeout", type=float, default=30.0,
                        help="seconds to wait for the relay to empty the outbox (default 30)")
    args = parser.parse_args(argv)
    for name in ("requests", "concurrency", "workers", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cores = os.cpu_count() or 1
    stack = Stack()
    try:
        print("starting PostgreSQL and RabbitMQ on 127.0.0.1 ...", flush=True)
        stack.start()
        env = stack.env(args.workers, args.threads)
        migrated = subprocess.run([sys.executable, "-m", "firebreak", "migrate", "--service", "incident"],
                                  env=env, cwd=ROOT, capture_output=True, text=True)
        if migrated.returncode != 0:
            raise BenchError(f"migrate failed:\n{migrated.stderr[-3000:]}")
        token = mint(AuthSettings.from_env(env, Path(env["FIREBREAK_DATA_DIR"])), "bench", "responder")
        pg_root, rmq_root = postmaster_pid(stack.postgres), stack.rabbitmq.executor.process.pid
        print(f"PostgreSQL {server_version(stack.postgres)} (fsync off), {cores} cores; gunicorn gthread, "
              f"{args.workers} workers x {args.threads} threads; {args.concurrency} client threads, "
              f"{args.warmup} warm-up + {args.requests} timed requests per path, "
              f"{'keep-alive' if args.keepalive else 'a new connection per request'}", flush=True)

        port = port_for.select_random()
        bare_env = listen_on({**env, "PROMETHEUS_MULTIPROC_DIR": str(stack.tmp / "bare-metrics")}, port)
        Path(bare_env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
        bare = stack.start_process(BareProcess("bare", "api", bare_env, stack.tmp / "logs"))
        url = f"http://127.0.0.1:{port}"
        wait_up(bare, url)
        print(f"running the bare baseline (load {loadavg()}) ...", flush=True)
        bare_result = run_load("bare flask", url + "/v1/incidents", token, args.requests, args.concurrency,
                               args.warmup, {"server": bare.proc.pid}, args.keepalive,
                               lambda: connections_per_worker(bare.proc.pid, port))
        bare.stop()

        declare_bench_queue(stack.rabbitmq)
        port = port_for.select_random()
        relay = stack.start_process(ServiceProcess("incident", "relay", env, stack.tmp / "logs"))
        api = stack.start_process(ServiceProcess("incident", "api", listen_on(env, port), stack.tmp / "logs"))
        url = f"http://127.0.0.1:{port}"
        wait_up(api, url)
        if not relay.alive():
            raise BenchError(f"the relay exited:\n{relay.log()[-3000:]}")
        print(f"running firebreak (load {loadavg()}) ...", flush=True)
        fb_result = run_load("firebreak", url + "/v1/incidents", token, args.requests, args.concurrency,
                             args.warmup, {"server": api.proc.pid, "relay": relay.proc.pid,
                                           "postgres": pg_root, "rabbitmq": rmq_root}, args.keepalive,
                             lambda: connections_per_worker(api.proc.pid, port))
        api.stop()

        probe = probe_statements(env, token, PROBE_REQUESTS)
        outbox = drain_outbox(env, args.drain_timeout)
        queued = bench_queue_depth(stack.rabbitmq)
        relay_alive = relay.alive()
        relay.stop()

        print()
        print_results([bare_result, fb_result], cores)
        print(f"(CPU time of each component's processes during the timed part; 'ours': their sum over {cores} "
              "cores x wall time; 'machine': all cores busy, any process, from /proc/stat)")
        print()
        if args.keepalive:
            print("keep-alive connections per gunicorn worker after the warm-up: " + "; ".join(
                f"{r.path} {'/'.join(map(str, r.connections or []))}" for r in (bare_result, fb_result)))
        print(f"ratio firebreak/bare: throughput {ratio(fb_result.rate, bare_result.rate):.2f}, "
              f"p99 {ratio(fb_result.percentile(99), bare_result.percentile(99)):.2f}")
        per = {k: n / probe.requests for k, n in probe.statements.items()}
        kinds = ", ".join(f"{n:g} x {k}" if n != 1 else k for k, n in sorted(per.items()))
        statements, commits, pings = (sum(per.values()), probe.transactions / probe.requests,
                                      probe.pings / probe.requests)
        print(f"per POST in-process (Flask test client, one thread, same database): "
              f"{probe.seconds * 1000 / probe.requests:.1f} ms; {statements:g} statements ({kinds}) in "
              f"{commits:g} transaction; {pings + commits + statements + commits:g} round trips to PostgreSQL "
              f"({pings:g} pool_pre_ping, {commits:g} BEGIN, {statements:g} statements, {commits:g} COMMIT)")
        print(f"outbox: {outbox.rows} events, {outbox.rows - outbox.unsent} published, {outbox.unsent} unsent "
              f"after {outbox.waited:.1f}s of waiting (relay {'running' if relay_alive else 'EXITED'}); "
              f"{queued} in the broker's {BENCH_QUEUE} queue")
        for result in (bare_result, fb_result):
            for error, n in result.errors.most_common(5):
                print(f"{result.path} error x{n}: {error}")
        for result, proc in ((bare_result, bare), (fb_result, api)):
            if result.errors:
                print(f"--- {proc.service} {proc.kind} log (tail)\n{proc.log()[-2000:]}")
        return 0
    except BenchError as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping the servers, RabbitMQ and PostgreSQL ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
