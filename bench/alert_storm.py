"""Alert storm: 10,000 alerts over 100 dedup keys, posted as fast as possible to the real incident service.

It starts a private PostgreSQL and RabbitMQ, the incident api (gunicorn) and relay, creates a generic integration
with no rate limit, and posts the alerts from `--concurrency` threads with keep-alive sessions. It then checks in
the database that exactly `--keys` incidents were opened and that every alert was counted, and measures the same
load against a bare Flask endpoint under the same gunicorn settings (bench/bare_app.py) for the ratio.

    .venv/bin/python bench/alert_storm.py                  # 10,000 alerts, 100 keys
    .venv/bin/python bench/alert_storm.py --alerts 1000    # a quick run

Prints figures; asserts nothing. Exit 1 only when the run itself breaks.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import port_for
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.incidents import JWT_SECRET, BareProcess, BenchError, Stack, listen_on, ratio, wait_up  # noqa: E402
from firebreak.devstack import ServiceProcess  # noqa: E402
from libs.common.auth import mint  # noqa: E402
from libs.common.config import AuthSettings  # noqa: E402


@dataclass
class Load:
    path: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, -(-len(ordered) * q // 100) - 1)] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")


def storm(path: str, url: str, headers: dict[str, str], alerts: int, keys: int, concurrency: int) -> Load:
    """Post `alerts` alerts over `keys` dedup keys from `concurrency` keep-alive clients; time the lot."""
    load = Load(path)
    counter = iter(range(alerts))
    lock = threading.Lock()

    def client() -> None:
        mine, errors = [], {}
        with requests.Session() as session:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    break
                body = {"summary": f"Disk filling on db-{n % keys}", "dedup_key": f"disk-{n % keys}",
                        "severity": "critical", "labels": {"host": f"db-{n % keys}", "team": "storage"}}
                began = time.perf_counter()
                try:
                    r = session.post(url, json=body, headers=headers, timeout=60)
                    status = r.status_code
                except requests.RequestException as exc:
                    status = repr(exc)[:80]
                if status == 202:
                    mine.append(time.perf_counter() - began)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        with lock:
            load.latencies.extend(mine)
            for k, v in errors.items():
                load.errors[k] = load.errors.get(k, 0) + v

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(1800)
    load.seconds = time.perf_counter() - start
    return load


def counts(database_url: str) -> tuple[int, int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            incidents = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
            alerts = conn.execute(text("SELECT coalesce(sum(count), 0) FROM alerts")).scalar_one()
            unsent = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
    finally:
        engine.dispose()
    return incidents, int(alerts), unsent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    stack = Stack()
    try:
        print("starting PostgreSQL and RabbitMQ ...", file=sys.stderr)
        stack.start()
        env = stack.env(args.workers, args.threads)
        import subprocess

        subprocess.run([sys.executable, "-m", "firebreak", "migrate", "--service", "incident"], env=env, check=True,
                       capture_output=True, cwd=ROOT)
        port, bare_port = port_for.select_random(), port_for.select_random()
        api = stack.start_process(ServiceProcess("incident", "api", listen_on(env, port), stack.tmp / "logs"))
        stack.start_process(ServiceProcess("incident", "relay", env, stack.tmp / "logs"))
        bare = stack.start_process(BareProcess("bare", "api", listen_on(env, bare_port), stack.tmp / "logs"))
        base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
        wait_up(api, base)
        wait_up(bare, bare_base)

        admin = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": JWT_SECRET}, stack.tmp), "bench", "admin")
        created = requests.post(f"{base}/v1/integrations", json={"name": "storm", "kind": "generic",
                                                                 "rate_limit_per_minute": 0},
                                headers={"Authorization": f"Bearer {admin}"}, timeout=30)
        if created.status_code != 201:
            raise BenchError(f"could not create the integration: {created.status_code} {created.text}")
        key = created.json()["key"]

        print(f"bare Flask+gunicorn: {args.alerts} posts ...", file=sys.stderr)
        baseline = storm("bare flask+gunicorn", f"{bare_base}/v1/alerts/generic", {}, args.alerts, args.keys,
                         args.concurrency)
        print(f"firebreak: {args.alerts} alerts over {args.keys} dedup keys ...", file=sys.stderr)
        firebreak = storm("firebreak alert intake", f"{base}/v1/alerts/generic", {"X-Firebreak-Key": key},
                          args.alerts, args.keys, args.concurrency)
        deadline = time.monotonic() + 60
        while True:
            incidents, alerts, unsent = counts(env["DATABASE_URL"])
            if unsent == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)

        print()
        print(f"{args.alerts} alerts, {args.keys} dedup keys, {args.concurrency} clients, "
              f"gunicorn {args.workers} workers x {args.threads} threads")
        print(f"{'path':<24}{'ok':>8}{'seconds':>10}{'alerts/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for run in (baseline, firebreak):
            print(f"{run.path:<24}{len(run.latencies):>8}{run.seconds:>10.2f}{run.rate:>10.1f}"
                  f"{run.percentile(50):>9.1f}{run.percentile(99):>9.1f}{run.percentile(100):>9.1f}")
            if run.errors:
                print(f"  errors: {run.errors}")
        print(f"ratio firebreak/bare: throughput {ratio(firebreak.rate, baseline.rate):.2f}, "
              f"p99 {ratio(firebreak.percentile(99), baseline.percentile(99)):.2f}")
        verdict = "as expected" if (incidents, alerts) == (args.keys, args.alerts) else "MISMATCH"
        print(f"incidents opened: {incidents} (expected {args.keys}); alerts counted: {alerts} "
              f"(expected {args.alerts}); events left unpublished: {unsent} -> {verdict}")
        return 0
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
