"""Profile POST /v1/incidents (or, --path alerts, POST /v1/alerts/generic) in-process on a private PostgreSQL.

It starts its own PostgreSQL (firebreak.devstack, 127.0.0.1), migrates the incident database, builds the
incident app in this process with FIREBREAK_LOG_LEVEL=WARNING (as bench/incidents.py runs the api), sends
--warmup POSTs, then --requests POSTs one at a time, and prints the CPU time per POST without and with the
profiler, the SQL round trips per POST, and the top --top entries by cumulative and by own time.
With --path alerts it first creates a generic integration (routing to a team, --rate-limit per minute, so the
rate window is counted) and POSTs alerts with a new dedup key each, so each opens an incident, as bench/e2e.py.
No HTTP, no gunicorn: the figures are the request path's own. Run from the repo root:

    .venv/bin/python bench/profile_incidents.py [--requests 2000] [--top 30] [--path alerts]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from firebreak.devstack import LocalPostgres  # noqa: E402
from libs.common.auth import mint  # noqa: E402
from libs.common.config import AuthSettings  # noqa: E402

BODY = {"title": "Checkout p99 latency above SLO (profile)", "severity": "major", "priority": "high"}


SENT = iter(range(10**9))


def posts(client, headers: dict[str, str], count: int, path: str = "incidents") -> None:
    for _ in range(count):
        if path == "alerts":
            n = next(SENT)
            body = {"summary": f"Checkout p99 above SLO #{n}", "dedup_key": f"profile-{n}", "severity": "critical",
                    "labels": {"service": "checkout", "env": "prod"}}
            response = client.post("/v1/alerts/generic", json=body, headers=headers)
            expected = 202
        else:
            response, expected = client.post("/v1/incidents", json=BODY, headers=headers), 201
        if response.status_code != expected:
            raise SystemExit(f"POST answered {response.status_code}: {response.get_data(as_text=True)[:300]}")


def alert_headers(client, admin_token: str, rate_limit: int) -> dict[str, str]:
    """A generic integration routing to team `profile`; the headers that authenticate as it."""
    created = client.post("/v1/integrations", headers={"Authorization": f"Bearer {admin_token}"}, json={
        "name": "profile", "kind": "generic", "default_team": "profile", "rate_limit_per_minute": rate_limit})
    if created.status_code != 201:
        raise SystemExit(f"integration: {created.status_code} {created.get_data(as_text=True)[:300]}")
    return {"X-Firebreak-Key": created.get_json()["key"]}


def by_package(profiler: cProfile.Profile) -> list[tuple[str, float]]:
    """Own (tottime) seconds summed by top-level package (site-packages) or repository directory."""
    totals: Counter = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(profiler).stats.items():
        path = Path(filename)
        if "site-packages" in path.parts:
            package = path.parts[path.parts.index("site-packages") + 1]
        elif ROOT in path.parents:
            package = "/".join(path.relative_to(ROOT).parts[:2])
        elif filename.startswith("<") or filename == "~":
            package = "builtins (C)"
        else:
            package = "stdlib"
        totals[package] += tottime
    return totals.most_common(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--path", choices=("incidents", "alerts"), default="incidents")
    parser.add_argument("--rate-limit", type=int, default=1_000_000, help="alerts: the integration's limit a minute")
    parser.add_argument("--save", type=Path, help="also write the raw profile here (pstats format)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="firebreak-profile-"))
    pg = LocalPostgres().start()
    try:
        url = pg.create_database("profile_incident")
        env = {"FIREBREAK_INCIDENT_DATABASE_URL": url, "DATABASE_URL": url, "FIREBREAK_LOG_LEVEL": "WARNING",
               "FIREBREAK_JWT_SECRET": "profile-secret-" + "x" * 40, "FIREBREAK_DATA_DIR": str(tmp),
               "AMQP_URL": "memory://", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "firebreak", "migrate", "--service", "incident"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        from services.incident.app import SERVICE

        app = SERVICE.create_app(env)
        runtime = app.extensions["firebreak"]
        client = app.test_client()
        token = mint(AuthSettings.from_env(env, tmp), "profile", "responder")
        headers = {"Authorization": f"Bearer {token}"}
        if args.path == "alerts":
            admin = mint(AuthSettings.from_env(env, tmp), "profile-admin", "admin")
            headers = alert_headers(client, admin, args.rate_limit)
        posts(client, headers, args.warmup, args.path)

        counts: Counter = Counter()
        event.listen(runtime.engine, "before_cursor_execute", lambda *a: counts.update(["statement"]))
        event.listen(runtime.engine, "commit", lambda *a: counts.update(["commit"]))
        event.listen(runtime.engine.pool, "checkout", lambda *a: counts.update(["checkout"]))
        cpu, wall = time.process_time(), time.perf_counter()
        posts(client, headers, args.requests, args.path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per = {k: v / args.requests for k, v in counts.items()}
        print(f"{args.requests} POSTs: {cpu * 1000 / args.requests:.3f} ms CPU, {wall * 1000 / args.requests:.3f} ms "
              f"wall per POST (no profiler); per POST {per.get('statement', 0):g} statements, "
              f"{per.get('commit', 0):g} commits, {per.get('checkout', 0):g} pool checkouts")

        # CPU time, not wall time: waiting on PostgreSQL's answers is not the server's CPU.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        posts(client, headers, args.requests, args.path)
        profiler.disable()
        if args.save:
            profiler.dump_stats(args.save)
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            print(f"--- top {args.top} by {order} ({args.requests} POSTs under cProfile)")
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        calls = pstats.Stats(profiler).total_calls
        print(f"--- {calls / args.requests:,.0f} Python function calls per POST (the machine's load can't skew it)")
        print(f"--- own time by package ({args.requests} POSTs under cProfile)")
        for package, seconds in by_package(profiler):
            print(f"{seconds * 1000 / args.requests:8.3f} ms/POST  {package}")
        runtime.dispose()
        return 0
    finally:
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
