"""The chart rendered by the real Helm engine (helm-python-sdk), with the default values and each ci/*-values.yaml."""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import helm_python as helm
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "firebreak"
RELEASE, NAMESPACE = "fb", "firebreak"
# The Kubernetes versions the chart supports (Chart.yaml kubeVersion >= 1.27) and the newest one known.
KUBE_VERSIONS = ("1.27", "1.37")
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "RabbitmqCluster", "Cluster"}
PROCESS_KINDS = ("api", "consumer", "relay", "scheduler")


def values_files() -> dict[str, Path | None]:
    """"default" (no values file) and every ci/*-values.yaml, by name."""
    files: dict[str, Path | None] = {"default": None}
    files.update({p.name.removesuffix("-values.yaml"): p for p in sorted((CHART / "ci").glob("*-values.yaml"))})
    return files


def load_values(name: str) -> dict | None:
    path = values_files()[name]
    return yaml.safe_load(path.read_text()) if path else None


def merge(base: dict | None, override: dict) -> dict:
    """Deep-merge override into a copy of base (what a second -f file does)."""
    out = dict(base or {})
    for key, value in override.items():
        out[key] = merge(out.get(key), value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@dataclass
class Rendered:
    name: str
    values: dict | None
    manifests: dict[str, str]
    objects: list[dict] = field(default_factory=list)

    def __post_init__(self):
        for template, text in sorted(self.manifests.items()):
            if template.endswith((".yaml", ".yml")):
                self.objects.extend(doc for doc in yaml.safe_load_all(text) if doc)

    def kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        found = [o for o in self.kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: found {len(found)} in the {self.name} render"
        return found[0]

    def secret_data(self, name: str) -> dict[str, str]:
        return {k: base64.b64decode(v).decode() for k, v in (self.get("Secret", name).get("data") or {}).items()}

    def notes(self) -> str:
        return next((text for template, text in self.manifests.items() if template.endswith("NOTES.txt")), "")

    def workloads(self) -> list[dict]:
        return self.kind("Deployment") + self.kind("Job")


_chart: helm.Chart | None = None


def chart() -> helm.Chart:
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(str(CHART))
    return _chart


def render(values: dict | None, name: str = "custom", is_upgrade: bool = False) -> Rendered:
    """`helm install` (or, with is_upgrade, `helm upgrade`) as Helm would render it, offline."""
    manifests = chart().render(values, name=RELEASE, namespace=NAMESPACE, is_install=not is_upgrade,
                               is_upgrade=is_upgrade)
    return Rendered(name, values, manifests)


def render_named(name: str, extra: dict | None = None, is_upgrade: bool = False) -> Rendered:
    values = load_values(name)
    if extra:
        values = merge(values, extra)
    return render(values, name, is_upgrade)


@pytest.fixture(scope="session", params=list(values_files()))
def rendered(request) -> Rendered:
    """The chart rendered with each values set in turn."""
    return render_named(request.param)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.endswith("\\"):
            if current.strip():
                keyword, _, rest = current.strip().partition(" ")
                lines.append((keyword.upper(), rest.strip()))
            current = ""
    return lines


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    return instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM"):]


def image_env() -> dict[str, str]:
    """The ENV of the image's final stage, PATH aside (a local run keeps its own)."""
    env = {}
    for keyword, rest in final_stage():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(rest))
    env.pop("PATH", None)
    return env


def pod_containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def process_of(obj: dict) -> tuple[str, str]:
    labels = obj["spec"]["template"]["metadata"]["labels"]
    return labels["app.kubernetes.io/component"], labels["firebreak.io/process"]
