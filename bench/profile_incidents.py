"""Profile POST /v1/incidents in-process: cProfile over Flask's test client on a private PostgreSQL.

It starts its own PostgreSQL (firebreak.devstack, 127.0.0.1), migrates the incident database, builds the
incident app in this process with FIREBREAK_LOG_LEVEL=WARNING (as bench/incidents.py runs the api), sends
--warmup POSTs, then --requests POSTs one at a time, and prints the CPU time per POST without and with the
profiler, the SQL round trips per POST, and the top --top entries by cumulative and by own time.
No HTTP, no gunicorn: the figures are the request path's own. Run from the repo root:

    .venv/bin/python bench/profile_incidents.py [--requests 2000] [--top 30]
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


def posts(client, headers: dict[str, str], count: int) -> None:
    for _ in range(count):
        response = client.post("/v1/incidents", json=BODY, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"POST answered {response.status_code}: {response.get_data(as_text=True)[:300]}")


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
        posts(client, headers, args.warmup)

        counts: Counter = Counter()
        event.listen(runtime.engine, "before_cursor_execute", lambda *a: counts.update(["statement"]))
        event.listen(runtime.engine, "commit", lambda *a: counts.update(["commit"]))
        event.listen(runtime.engine.pool, "checkout", lambda *a: counts.update(["checkout"]))
        cpu, wall = time.process_time(), time.perf_counter()
        posts(client, headers, args.requests)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per = {k: v / args.requests for k, v in counts.items()}
        print(f"{args.requests} POSTs: {cpu * 1000 / args.requests:.3f} ms CPU, {wall * 1000 / args.requests:.3f} ms "
              f"wall per POST (no profiler); per POST {per.get('statement', 0):g} statements, "
              f"{per.get('commit', 0):g} commits, {per.get('checkout', 0):g} pool checkouts")

        # CPU time, not wall time: waiting on PostgreSQL's answers is not the server's CPU.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        posts(client, headers, args.requests)
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
