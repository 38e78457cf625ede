"""A local PostgreSQL and RabbitMQ from Debian's binaries, for tests and `make up` (processes: firebreak.topology)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import port_for

PG_USER = "postgres"


def _find(*patterns: str) -> str:
    for pattern in patterns:
        hits = sorted(glob.glob(pattern)) or ([shutil.which(pattern)] if shutil.which(pattern) else [])
        if hits:
            return hits[-1]
    raise FileNotFoundError(f"none of {patterns} found; install the Debian packages (scripts/system-deps.sh)")


class LocalPostgres:
    """A throwaway PostgreSQL cluster. initdb refuses root, so as root it runs as `postgres`."""

    def __init__(self, base: Path | None = None, port: int | None = None):
        # The postgres user must reach the directory, so a temporary one goes straight under /tmp.
        self._temporary = base is None
        self.base = Path(base) if base is not None else Path(tempfile.mkdtemp(prefix="firebreak-pg-"))
        self.datadir = self.base / "pgdata"
        self.port = port or port_for.select_random()
        self.bindir = Path(_find("/usr/lib/postgresql/*/bin/pg_ctl", "pg_ctl")).parent
        self._run_as = PG_USER if os.geteuid() == 0 else None

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self._run_as, "--", *args] if self._run_as else list(args)

    def start(self) -> LocalPostgres:
        self.base.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            user = pwd.getpwnam(self._run_as)
            os.chown(self.base, user.pw_uid, user.pw_gid)
        if not (self.datadir / "PG_VERSION").exists():
            subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--no-sync"),
                           check=True, stdout=subprocess.DEVNULL)
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options,
                                 "-l", str(self.base / "postgres.log"), "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL)
        return self

    def halt(self) -> None:
        """Stop the server fast (every backend terminated, as in a failover), keeping its data for `start()`."""
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self._temporary:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class LocalRabbitMQ:
    """A RabbitMQ node of its own (pytest-rabbitmq's executor), with its own ports and data dir."""

    def __init__(self, base: Path, port: int | None = None):
        from pytest_rabbitmq.factories.executor import RabbitMqExecutor

        self.base = Path(base)
        self.port = port or port_for.select_random()
        self.dist_port = port_for.select_random(exclude_ports=[self.port])
        plugins = self.base / "plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        (plugins / "plugins").write_text("[].\n")
        self.executor = RabbitMqExecutor(
            _find("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server"), "127.0.0.1", self.port, self.dist_port,
            _find("/usr/lib/rabbitmq/bin/rabbitmqctl", "rabbitmqctl"), logpath=self.base / "logs", path=self.base,
            plugin_path=plugins, node_name=f"firebreak-{self.port}@localhost")
        # Listen on loopback only, for AMQP and for Erlang distribution.
        self.executor._envvars.update({
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> LocalRabbitMQ:
        self.executor.start()
        return self

    def stop(self) -> None:
        self.executor.stop()

    def ctl(self, *args: str) -> str:
        return self.executor.rabbitctl_output(*args)

    def queue_depth(self, queue: str) -> int:
        for line in self.ctl("list_queues", "name", "messages").splitlines():
            parts = line.split("\t")
            if parts[0] == queue and len(parts) == 2:
                return int(parts[1])
        raise LookupError(queue)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll until predicate() is truthy; return its value or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - keep polling through transient errors
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))


class ServiceProcess:
    """One `firebreak serve SERVICE KIND` process, its output in a log file."""

    def __init__(self, service: str, kind: str, env: dict[str, str], log_dir: Path):
        self.service, self.kind, self.env = service, kind, env
        self.log_path = Path(log_dir) / f"{service}-{kind}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "firebreak", "serve", self.service, self.kind],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = 9) -> None:
        if self.alive():
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(9)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def main() -> None:
    """`make up`: a local PostgreSQL and RabbitMQ, and every process of every service, until Ctrl-C."""
    from firebreak.topology import Topology

    base = Path(os.environ.get("FIREBREAK_DATA_DIR", "./data")).resolve() / "up"
    base.mkdir(parents=True, exist_ok=True)
    pg = LocalPostgres(base / "postgres", port=int(os.environ.get("FIREBREAK_UP_PG_PORT", "55432"))).start()
    rmq = LocalRabbitMQ(base / "rabbitmq", port=int(os.environ.get("FIREBREAK_UP_AMQP_PORT", "55672"))).start()
    topology = Topology(pg, rmq, base, first_port=int(os.environ.get("FIREBREAK_PORT", "8080")))
    try:
        topology.start()
        for name, url in topology.urls.items():
            print(f"{name:<11} api  {url}", file=sys.stderr)
        print(f"logs in {base / 'logs'}; RabbitMQ {rmq.url}; PostgreSQL port {pg.port}. Ctrl-C stops.",
              file=sys.stderr)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            stop.wait(0.5)
    finally:
        topology.stop()
        rmq.stop()
        pg.stop()


if __name__ == "__main__":
    main()
