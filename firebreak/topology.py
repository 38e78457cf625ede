"""The `make up` topology: every process of every service, shared by `make up`, the system tests and the soak."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import port_for

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, ServiceProcess


class Topology:
    """Every process of every service as `make up` runs it, on one PostgreSQL and one RabbitMQ the caller owns.

    `make up`, the system tests and the soak start the platform through this one class:

        topology = Topology(pg, rmq, base, first_port=8080).start()
        topology.urls["incident"]   # "http://127.0.0.1:8080": each service's api
        topology.processes          # ServiceProcess per `firebreak serve <service> <kind>` (kill one, start it again)
        topology.stop()             # every process; PostgreSQL and RabbitMQ stay the caller's

    - One process per kind in `definitions()[name].processes`; api ports are `first_port` + the service's
      index in `definitions()`, or free ports picked at random when `first_port` is None.
    - Logs are `base/logs/<service>-<kind>.log`; `FIREBREAK_DATA_DIR` is `base`.
    - `env` is added to every process's environment (over os.environ); `service_env[name]` to that service's.
    - Databases are `<db_prefix>_<service>`, created when missing (kept between `make up` runs), then migrated.
    - Notify's processes build `ack_url` links on notify's api unless `FIREBREAK_PUBLIC_URL` is given.
    - start() starts every process at once, then waits until each api answers /healthz and each worker has
      logged that it started; a process that exits meanwhile fails it with its log.
    """

    def __init__(self, pg: LocalPostgres, rmq: LocalRabbitMQ, base: Path, first_port: int | None = 8080,
                 env: dict[str, str] | None = None, service_env: dict[str, dict[str, str]] | None = None,
                 db_prefix: str = "firebreak"):
        from firebreak.registry import definitions

        self.pg, self.rmq, self.base, self.db_prefix = pg, rmq, Path(base), db_prefix
        self.definitions = definitions()
        self.ports: dict[str, int] = {}
        for offset, name in enumerate(self.definitions):
            self.ports[name] = first_port + offset if first_port is not None else port_for.select_random(
                exclude_ports=list(self.ports.values()))
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.env = {**os.environ, "AMQP_URL": rmq.url, "FIREBREAK_DATA_DIR": str(self.base), **(env or {})}
        for name in self.definitions:
            self.env[f"FIREBREAK_{name.upper()}_DATABASE_URL"] = pg.url(f"{db_prefix}_{name}")
        self.service_env = service_env or {}
        self.processes: list[ServiceProcess] = []

    def process_env(self, service: str, kind: str) -> dict[str, str]:
        """The environment of one process: the shared one, its database, its port, its service's extras."""
        env = {**self.env, "DATABASE_URL": self.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"]}
        if service == "notify":
            env.setdefault("FIREBREAK_PUBLIC_URL", self.urls["notify"])
        if kind == "api":
            env["FIREBREAK_PORT"] = str(self.ports[service])
        return {**env, **self.service_env.get(service, {})}

    def start(self, timeout: float = 300) -> Topology:
        self.base.mkdir(parents=True, exist_ok=True)
        for name in self.definitions:
            if not _database_exists(self.pg, f"{self.db_prefix}_{name}"):
                self.pg.create_database(f"{self.db_prefix}_{name}")
        migrated = subprocess.run([sys.executable, "-m", "firebreak", "migrate"], env=self.env, capture_output=True,
                                  text=True)
        if migrated.returncode:
            raise RuntimeError(f"firebreak migrate failed:\n{migrated.stdout}{migrated.stderr}")
        # Started all at once: each process spends seconds importing, and they overlap.
        marks = []
        for name, service in self.definitions.items():
            for kind in service.processes:
                proc = ServiceProcess(name, kind, self.process_env(name, kind), self.base / "logs")
                marks.append(proc.log_path.stat().st_size if proc.log_path.exists() else 0)
                self.processes.append(proc.start())
        try:
            self._wait(marks, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, marks: list[int], timeout: float) -> None:
        deadline, pending = time.monotonic() + timeout, list(zip(self.processes, marks, strict=True))
        while pending:
            for proc, _ in pending:
                if not proc.alive():
                    raise RuntimeError(f"{proc.service} {proc.kind} exited while starting:\n{proc.log()[-3000:]}")
            pending = [(proc, mark) for proc, mark in pending if not self._started(proc, mark)]
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not started: {', '.join(f'{p.service} {p.kind}' for p, _ in pending)}")
            time.sleep(0.1)

    def _started(self, proc: ServiceProcess, mark: int) -> bool:
        if proc.kind != "api":
            return b'"message": "started"' in proc.log_path.read_bytes()[mark:]
        try:
            with urllib.request.urlopen(self.urls[proc.service] + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        for proc in self.processes:  # SIGTERM to all first: each takes a moment to finish its work
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.proc.pid, signal.SIGTERM)
        for proc in self.processes:
            proc.stop()



def _database_exists(pg: LocalPostgres, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
