"""The `firebreak` command."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path


def _token(args) -> int:
    from libs.common.auth import ROLES, mint
    from libs.common.config import AuthSettings, ConfigError

    if args.role not in ROLES:
        print(f"--role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    data_dir = Path(os.environ.get("FIREBREAK_DATA_DIR", "./data")).resolve()
    try:
        settings = AuthSettings.from_env(os.environ, data_dir, create_secret=False)
    except ConfigError as exc:
        print(f"firebreak token: {exc}", file=sys.stderr)
        return 1
    print(mint(settings, args.user, args.role, args.team, timedelta(seconds=args.ttl)))
    return 0


def _migrate(args) -> int:
    from firebreak.registry import definition, definitions
    from firebreak.setup import declare_queues, migrate_database
    from libs.common import log

    log.configure()
    names = args.service or list(definitions())
    for name in names:
        service = definition(name)
        settings = service.runtime().settings
        migrate_database(service, settings)
        if not args.no_broker and not settings.amqp_url.startswith("memory://"):
            declare_queues(service, settings)
        print(f"{name}: migrated", file=sys.stderr)
    return 0


def _serve(args) -> int:
    from firebreak import worker
    from firebreak.registry import definition

    service = definition(args.service)
    if args.kind == "api":
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="firebreak-metrics-")
            os.environ["FIREBREAK_OWNS_METRICS_DIR"] = "1"
        conf = Path(__file__).with_name("gunicorn_conf.py")
        argv = ["gunicorn", "-c", str(conf), f"services.{service.name}.app:create_app()"]
        os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", *argv[1:]])
    if args.kind not in service.processes:
        print(f"{service.name} has no {args.kind} process; it has {', '.join(service.processes)}", file=sys.stderr)
        return 2
    from libs.common import log

    log.configure(os.environ.get("FIREBREAK_LOG_LEVEL", "INFO"))
    worker.run(service, args.kind, int(os.environ.get("FIREBREAK_PROBE_PORT", "0")))
    return 0


def _port_problem(host: str, port: int) -> str | None:
    """Why host:port cannot be listened on (taken, no such address…), checked before anything else starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"unknown host ({exc})"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no clash
        try:
            probe.bind(address)
        except OSError as exc:
            return "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
    return None


def _run(args) -> int:
    from firebreak.embedded import serve
    from libs.common.auth import mint
    from libs.common.config import AuthSettings

    data_dir = Path(os.environ.get("FIREBREAK_DATA_DIR", "./data")).resolve()
    os.environ["FIREBREAK_DATA_DIR"] = str(data_dir)
    port = args.port or int(os.environ.get("FIREBREAK_PORT", "8080"))
    problem = _port_problem(args.host, port)
    if problem:
        print(f"firebreak run: cannot listen on {args.host}:{port}: {problem}. Stop whatever uses the port, or "
              "choose another with FIREBREAK_PORT=8081 (or --port).", file=sys.stderr)
        return 1
    token = mint(AuthSettings.from_env(os.environ, data_dir), "admin", "admin", [], timedelta(days=1))
    print(f"Firebreak is running at http://{args.host}:{port}  (data in {data_dir})", file=sys.stderr)
    print(f"Admin token (24 h): {token}", file=sys.stderr)
    print("More tokens: firebreak token --user NAME --role viewer|responder|admin [--team T]", file=sys.stderr)
    try:
        serve(args.host, port)
    except KeyboardInterrupt:
        pass
    return 0


def _events_doc(args) -> int:
    from firebreak.events_doc import render_catalog

    text = render_catalog()
    if args.check:
        current = Path(args.output).read_text() if Path(args.output).exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run `firebreak events-doc`", file=sys.stderr)
            return 1
        return 0
    Path(args.output).write_text(text)
    return 0


def _dlq(args) -> int:
    import json

    from firebreak.registry import definition
    from libs.common import dlq

    settings = definition(args.service).runtime().settings
    if settings.amqp_url.startswith("memory://"):
        print("dead letters live on RabbitMQ: set AMQP_URL to the broker the service uses", file=sys.stderr)
        return 2
    if args.action == "list":
        letters = dlq.list_dead_letters(settings.amqp_url, args.service, args.limit)
    elif args.action == "replay":
        letters = dlq.replay(settings.amqp_url, args.service, args.id)
    else:
        if not args.id and not args.all:
            print("dlq drop needs --id EVENT_ID (repeatable) or --all", file=sys.stderr)
            return 2
        letters = dlq.drop(settings.amqp_url, args.service, args.id, everything=args.all)
    for letter in letters:
        print(json.dumps(letter.summary(), default=str))
    verb = {"list": "waiting", "replay": "replayed", "drop": "dropped"}[args.action]
    print(f"{args.service}: {len(letters)} dead letter(s) {verb}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firebreak", description="Firebreak incident response platform.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("token", help="print a signed bearer token")
    t.add_argument("--user", required=True)
    t.add_argument("--role", required=True, help="viewer, responder or admin")
    t.add_argument("--team", action="append", default=[], help="a team the user belongs to (repeatable)")
    t.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds (default 12 h)")
    t.set_defaults(func=_token)

    m = sub.add_parser("migrate", help="migrate service databases and declare their queues")
    m.add_argument("--service", action="append", help="only this service (repeatable; default all)")
    m.add_argument("--no-broker", action="store_true", help="skip declaring broker queues")
    m.set_defaults(func=_migrate)

    s = sub.add_parser("serve", help="run one process of one service")
    s.add_argument("service")
    s.add_argument("kind", choices=["api", "consumer", "relay", "scheduler"])
    s.set_defaults(func=_serve)

    r = sub.add_parser("run", help="run all services in one process (embedded mode)")
    r.add_argument("--host", default=os.environ.get("FIREBREAK_HOST", "127.0.0.1"))
    r.add_argument("--port", type=int, default=None)
    r.set_defaults(func=_run)

    d = sub.add_parser("dlq", help="list, replay or drop a service's dead letters")
    d.add_argument("action", choices=["list", "replay", "drop"])
    d.add_argument("--service", required=True)
    d.add_argument("--id", action="append", default=[], help="only this event id (repeatable)")
    d.add_argument("--all", action="store_true", help="with drop: every dead letter")
    d.add_argument("--limit", type=int, default=100, help="with list: at most this many")
    d.set_defaults(func=_dlq)

    e = sub.add_parser("events-doc", help="write docs/events.md from the services' event declarations")
    e.add_argument("--output", default="docs/events.md")
    e.add_argument("--check", action="store_true", help="fail if the file is out of date")
    e.set_defaults(func=_events_doc)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
