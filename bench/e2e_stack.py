"""bench/e2e.py's Firebreak side: every process of the services on the alert-to-page path, and their set-up."""

from __future__ import annotations

import os
import subprocess
import sys

import port_for
import psycopg
import requests

from bench.incidents import JWT_SECRET, ROOT, BenchError, Stack, listen_on, wait_up
from firebreak.devstack import ServiceProcess
from firebreak.registry import definitions
from libs.common.auth import mint
from libs.common.config import AuthSettings

PATH_SERVICES = ("incident", "escalation", "notify")
# Tuning a caller may set in the environment (e.g. to compare idle intervals); the rest is set here.
PASSED_THROUGH = ("FIREBREAK_RELAY_BATCH", "FIREBREAK_RELAY_IDLE_SECONDS", "FIREBREAK_SCHEDULER_IDLE_SECONDS",
                  "FIREBREAK_PREFETCH", "FIREBREAK_LOG_LEVEL", "FIREBREAK_WEB_WORKERS", "FIREBREAK_WEB_THREADS",
                  "FIREBREAK_WAKEUPS", "FIREBREAK_WAKEUP_POLL_SECONDS")
USER, TEAM = "oncall", "e2e"


class Firebreak:
    """The services' processes (`firebreak serve SERVICE KIND`), each on its own database of one PostgreSQL."""

    def __init__(self, stack: Stack, services: tuple[str, ...]) -> None:
        self.stack, self.services = stack, services
        self.env = {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
        self.env.setdefault("FIREBREAK_LOG_LEVEL", "WARNING")
        self.env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
                         "PYTHONPATH": str(ROOT), "AMQP_URL": stack.rabbitmq.url, "FIREBREAK_JWT_SECRET": JWT_SECRET,
                         "FIREBREAK_DATA_DIR": str(stack.tmp / "data")})
        for name in services:
            self.env[f"FIREBREAK_{name.upper()}_DATABASE_URL"] = stack.postgres.create_database(f"bench_{name}")
        self.apis: dict[str, str] = {}
        self.processes: list[ServiceProcess] = []
        self.admin = {"Authorization": "Bearer " + mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": JWT_SECRET},
                                                                              stack.tmp), "bench", "admin")}

    def service_env(self, name: str) -> dict[str, str]:
        env = {**self.env, "DATABASE_URL": self.env[f"FIREBREAK_{name.upper()}_DATABASE_URL"]}
        if name != "incident":  # the intake gets the default (or the caller's) workers; the others need little
            env.setdefault("FIREBREAK_WEB_WORKERS", "1")
            env.setdefault("FIREBREAK_WEB_THREADS", "2")
        return env

    def start(self) -> None:
        """Migrate (declaring every queue before anything publishes), then start each process kind."""
        argv = [sys.executable, "-m", "firebreak", "migrate"] + [a for s in self.services for a in ("--service", s)]
        done = subprocess.run(argv, env=self.env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise BenchError(f"migrate failed:\n{done.stderr[-3000:]}")
        service_defs = definitions()
        for name in self.services:
            env = self.service_env(name)
            if "api" in service_defs[name].processes:
                port = port_for.select_random()
                self.apis[name] = f"http://127.0.0.1:{port}"
                env = listen_on(env, port)
            if name == "notify":
                env["FIREBREAK_PUBLIC_URL"] = self.apis.get("notify", "http://127.0.0.1")
            for kind in service_defs[name].processes:
                proc = ServiceProcess(name, kind, env, self.stack.tmp / "logs")
                self.processes.append(self.stack.start_process(proc))
        for proc in self.processes:
            if proc.kind == "api":
                wait_up(proc, self.apis[proc.service])
        # At WARNING the workers log nothing when they start: the warm-up's pages show that they are up.
        dead = self.dead()
        if dead:
            raise BenchError(f"exited: {dead}\n{self.logs()}")

    def post(self, service: str, path: str, body: dict, expect: int = 201) -> dict:
        response = requests.post(self.apis[service] + path, json=body, headers=self.admin, timeout=30)
        if response.status_code != expect:
            raise BenchError(f"POST {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def set_up_paging(self, receiver_url: str) -> str:
        """A team, a policy paging USER at step 1, USER's webhook contact, a generic integration; its key."""
        self.post("escalation", "/v1/teams", {"name": TEAM, "members": [{"user": USER}]})
        # One step, no repeat, a timeout far beyond the run: each incident pages exactly once.
        self.post("escalation", "/v1/escalation-policies", {"name": "e2e-policy", "team": TEAM, "repeat": 0, "steps": [
            {"targets": [{"kind": "user", "id": USER}], "timeout_seconds": 86400}]})
        self.post("notify", "/v1/contacts", {"user": USER, "methods": [
            {"kind": "webhook", "address": receiver_url, "secret": "e2e-bench-secret"}]})
        created = self.post("incident", "/v1/integrations", {"name": "e2e", "kind": "generic", "default_team": TEAM,
                                                             "rate_limit_per_minute": 0})
        return created["key"]

    def stamps(self, incidents: dict[str, str]) -> dict[str, dict[str, float]]:
        """title -> when each hop happened, from the services' own outbox and inbox rows (incident id -> title).

        committed: the intake's transaction (outbox created_at); escalation: its consumer took incident.created
        (inbox); step_fired: the chain's transaction wrote the event; notify: its consumer took step_fired.
        """
        created, step = "firebreak.incident.created.v1", "firebreak.escalation.step_fired.v1"
        hops = [("committed", "incident", "outbox", "created_at", created),
                ("escalation", "escalation", "inbox", "received_at", created),
                ("step_fired", "escalation", "outbox", "created_at", step),
                ("notify", "notify", "inbox", "received_at", step)]
        found: dict[str, dict[str, float]] = {title: {} for title in incidents.values()}
        for hop, service, table, column, kind in hops:
            url = self.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
            with psycopg.connect(url) as conn:
                rows = conn.execute(f"SELECT subject, min({column}) FROM {table} WHERE type = %s "  # noqa: S608
                                    "AND subject = ANY(%s) GROUP BY subject", (kind, list(incidents))).fetchall()
            for subject, at in rows:
                found[incidents[subject]][hop] = at.timestamp()
        return found

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()
        self.processes = []

    def logs(self) -> str:
        return "\n".join(f"--- {p.service} {p.kind}\n{p.log()[-2000:]}" for p in self.processes)

    def dead(self) -> list[str]:
        return [f"{p.service} {p.kind}" for p in self.processes if not p.alive()]

