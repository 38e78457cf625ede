"""The rendered manifests match the code: every container the chart renders, run locally with its own command, args,
env and ports against a real RabbitMQ and PostgreSQL, comes up and answers its probes; and every metric the
dashboards and rules query is one the running processes export.

Nothing here is a hand copy of the chart: the chart is rendered with ci/local-values.yaml (URLs replaced by this
test's servers), each container's env is resolved like the kubelet does (secretKeyRef against the rendered Secrets,
$(VAR) expansion), each emptyDir mount becomes a fresh local directory, each container port is moved to a free local
port through the env var that carries it, and the image's firebreak command becomes the venv's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import port_for
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, wait_for
from libs.common.auth import mint
from libs.common.config import SERVICES, AuthSettings
from tests.chart.conftest import Rendered, image_env, pod_containers, render_named
from tests.chart.promql import metric_names, queries, recorded

pytestmark = pytest.mark.integration

IMAGE_COMMAND = "/opt/firebreak/bin/firebreak"
# Series Prometheus makes itself rather than scraping them.
PROMETHEUS_SERIES = {"up"}


def _venv_firebreak() -> str:
    path = Path(sys.prefix) / "bin" / "firebreak"
    return str(path) if path.exists() else shutil.which("firebreak")


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes $(VAR) expansion: VAR defined earlier in the list is replaced, $$ escapes."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


class LocalContainer:
    """One rendered container as a local process."""

    def __init__(self, owner: dict, container: dict, secrets: dict[str, dict[str, str]], workdir: Path):
        self.owner, self.spec = owner, container
        self.name = f"{owner['kind']}/{owner['metadata']['name']}"
        self.workdir = workdir
        volumes = {v["name"]: v for v in owner["spec"]["template"]["spec"]["volumes"]}
        self.mounts: dict[str, Path] = {}
        for mount in container.get("volumeMounts", []):
            assert "emptyDir" in volumes[mount["name"]], f"{self.name}: only emptyDir volumes can be run locally"
            local = workdir / mount["name"]
            local.mkdir(parents=True, exist_ok=True)
            self.mounts[mount["mountPath"]] = local
        env: dict[str, str] = {}
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = _expand(var["value"], env)
                continue
            ref = var["valueFrom"]["secretKeyRef"]
            data = secrets.get(ref["name"], {})
            if ref["key"] not in data:
                assert ref.get("optional"), f"{self.name}: {var['name']} needs key {ref['key']} of {ref['name']}"
                continue
            env[var["name"]] = data[ref["key"]]
        self.env = {k: self._local_path(v) for k, v in {**image_env(), **env}.items()}
        # Each container port is carried by exactly one env var (FIREBREAK_PORT, FIREBREAK_PROBE_PORT): move it.
        self.ports: dict[str | int, int] = {}
        for port in container.get("ports", []):
            carriers = [k for k, v in env.items() if v == str(port["containerPort"])]
            assert len(carriers) == 1, f"{self.name}: port {port['containerPort']} is set by env {carriers}"
            local = port_for.select_random()
            self.env[carriers[0]] = str(local)
            self.ports[port["name"]] = self.ports[port["containerPort"]] = local
        assert container["command"] == [IMAGE_COMMAND], f"{self.name}: command {container['command']}"
        self.argv = [_venv_firebreak(), *container.get("args", [])]
        self.log_path = workdir / "output.log"
        self.proc: subprocess.Popen | None = None

    def _local_path(self, value: str) -> str:
        for mount_path, local in self.mounts.items():
            if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
                return str(local) + value[len(mount_path.rstrip("/")):]
        return value

    def process_env(self) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.workdir), **self.env}
        if "/tmp" in self.mounts:
            env["TMPDIR"] = str(self.mounts["/tmp"])
        return env

    def start(self) -> LocalContainer:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.process_env(), stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.workdir, start_new_session=True)
        return self

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return -1

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def probes(self) -> list[tuple[str, str]]:
        found = []
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = self.spec.get(kind)
            if probe:
                get = probe["httpGet"]
                found.append((kind, f"http://127.0.0.1:{self.ports[get['port']]}{get['path']}"))
        return found


class ChartStack:
    """PostgreSQL, RabbitMQ, the chart rendered for them, its migration Jobs run, its Deployments running."""

    def __init__(self, base: Path):
        self.base = base
        self.postgres = LocalPostgres().start()
        self.rabbitmq = LocalRabbitMQ(base / "rabbitmq").start()
        self.urls = {s: self.postgres.create_database(f"chart_{s}") for s in SERVICES}
        self.rendered = self.render()
        self.jobs = self.local(self.rendered, "Job", base / "install")
        self.containers = self.local(self.rendered, "Deployment", base / "pods")
        self.job_results: dict[str, int] = {}

    def render(self, **options) -> Rendered:
        return render_named("local", {
            "rabbitmq": {"url": self.rabbitmq.url},
            "postgresql": {"urls": self.urls},
            "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
        }, **options)

    @staticmethod
    def local(rendered: Rendered, kind: str, base: Path) -> list[LocalContainer]:
        secrets = {s["metadata"]["name"]: rendered.secret_data(s["metadata"]["name"]) for s in rendered.kind("Secret")}
        return [LocalContainer(o, c, secrets, base / o["metadata"]["name"])
                for o in rendered.kind(kind) for c in pod_containers(o)]

    @staticmethod
    def run_jobs(jobs: list[LocalContainer]) -> dict[str, int]:
        for job in jobs:
            job.start()
        return {job.name: job.wait(timeout=180) for job in jobs}

    def start(self) -> None:
        for container in self.containers:
            container.start()

    def container(self, service: str, kind: str) -> LocalContainer:
        return next(c for c in self.containers if c.spec["args"] == ["serve", service, kind])

    def stop(self) -> None:
        running = [c for c in self.containers + self.jobs if c.proc and c.proc.poll() is None]
        for item in running:
            os.killpg(item.proc.pid, signal.SIGTERM)
        for item in running:
            item.stop()
        self.rabbitmq.stop()
        self.postgres.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = ChartStack(tmp_path_factory.mktemp("chart-stack"))
    try:
        s.job_results = s.run_jobs(s.jobs)
        if all(rc == 0 for rc in s.job_results.values()):
            s.start()
        yield s
    finally:
        s.stop()


def test_migration_jobs_succeed(stack):
    assert len(stack.jobs) == len(SERVICES)
    assert not _failed(stack.jobs, stack.job_results), _failed(stack.jobs, stack.job_results)
    # The migrations declared the queue of every service the chart runs a consumer for, as a quorum queue.
    queues = dict(line.split("\t")[:2] for line in stack.rabbitmq.ctl("list_queues", "name", "type", "--quiet")
                  .splitlines() if "\t" in line)
    for container in stack.containers:
        _, service, kind = container.spec["args"]
        if kind == "consumer":
            assert queues.get(f"firebreak.{service}") == "quorum", queues


def _failed(jobs: list[LocalContainer], results: dict[str, int]) -> str:
    return "\n".join(f"--- {job.name} exited {results.get(job.name)}\n{job.log()}"
                     for job in jobs if results.get(job.name) != 0)


def _answers_200(container: LocalContainer, what: str, url: str, deadline: float) -> None:
    last: object = None
    while time.monotonic() < deadline:
        if container.proc.poll() is not None:
            pytest.fail(f"{container.name} exited with {container.proc.returncode} before its {what} answered\n"
                        f"{container.log()}")
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:300]}"
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.3)
    pytest.fail(f"{container.name} {what} {url}: last answer {last}\n{container.log()}")


def test_every_container_answers_its_probes(stack):
    assert stack.containers, "no Deployment rendered"
    deadline = time.monotonic() + 120
    for container in stack.containers:
        probes = container.probes()
        assert probes, f"{container.name} has no probe"
        for what, url in probes:
            _answers_200(container, what, url, deadline)


def _scrape(stack: ChartStack) -> dict[str, str]:
    """/metrics of every container, on the ports and paths the rendered ServiceMonitor scrapes."""
    (monitor,) = stack.rendered.kind("ServiceMonitor")
    texts = {}
    for container in stack.containers:
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint["port"] in container.ports:
                url = f"http://127.0.0.1:{container.ports[endpoint['port']]}{endpoint['path']}"
                response = requests.get(url, timeout=10)
                assert response.status_code == 200, f"{container.name} {url}: {response.status_code}"
                texts[container.name] = response.text
    return texts


def _exported_names(texts: dict[str, str]) -> set[str]:
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
                "summary": ("_sum", "_count", "_created"), "gauge": ("",), "info": ("_info",)}
    names = set()
    for text in texts.values():
        for family in text_string_to_metric_families(text):
            names.add(family.name)
            names.update(family.name + s for s in suffixes.get(family.type, ("",)))
            names.update(sample.name for sample in family.samples)
    return names


def test_dashboards_and_rules_query_only_exported_metrics(stack):
    # A small scenario: declare an incident; its event goes out through the incident relay and is consumed by sla.
    incident_api = stack.container("incident", "api")
    settings = AuthSettings.from_env(incident_api.env, stack.base)
    token = mint(settings, "chart-test", "responder")
    response = requests.post(f"http://127.0.0.1:{incident_api.ports['http']}/v1/incidents", timeout=10,
                             headers={"Authorization": f"Bearer {token}"},
                             json={"title": "Chart wiring test", "severity": "major", "priority": "high"})
    assert response.status_code == 201, response.text

    def counted(container: LocalContainer, metric: str, service: str) -> bool:
        text = _scrape(stack)[container.name]
        return any(sample.name == metric and sample.labels.get("service") == service and sample.value > 0
                   for family in text_string_to_metric_families(text) for sample in family.samples)

    def flowed() -> bool:
        return (counted(stack.container("incident", "relay"), "firebreak_events_published_total", "incident")
                and counted(stack.container("sla", "consumer"), "firebreak_events_consumed_total", "sla"))

    wait_for(flowed, timeout=60, interval=0.5, what="the incident event to reach the sla consumer")
    exported = _exported_names(_scrape(stack))
    records = recorded(stack.rendered)
    missing: dict[str, set[str]] = {}
    for source, exprs in queries(stack.rendered).items():
        for expr in exprs:
            for name in metric_names(expr):
                known = name in records if ":" in name else (name in exported or name in PROMETHEUS_SERIES)
                if not known:
                    missing.setdefault(name, set()).add(source)
    assert not missing, "queried but not exported by the running services:\n" + "\n".join(
        f"  {name}: {', '.join(sorted(sources))}" for name, sources in sorted(missing.items()))


def test_migration_jobs_run_again_on_upgrade_while_the_old_pods_serve(stack):
    upgrade = stack.render(is_upgrade=True)
    jobs = stack.local(upgrade, "Job", stack.base / "upgrade")
    assert [j.spec["args"] for j in jobs] == [j.spec["args"] for j in stack.jobs]
    assert all("pre-upgrade" in j.owner["metadata"]["annotations"]["helm.sh/hook"] for j in jobs)
    results = stack.run_jobs(jobs)
    assert not _failed(jobs, results), _failed(jobs, results)
    for container in stack.containers:
        for what, url in container.probes():
            _answers_200(container, what, url, time.monotonic() + 30)
