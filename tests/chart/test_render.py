"""The chart lints and renders with the real Helm engine, validates against the Kubernetes schemas, and says what the
code says: the processes each service has, the routes each api serves, the dashboards it ships."""

from __future__ import annotations

import importlib.util
import json
import re

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest

from firebreak.registry import definitions
from libs.common.config import SERVICES
from tests.chart import crds
from tests.chart.conftest import (
    CHART,
    CUSTOM_KINDS,
    KUBE_VERSIONS,
    NAMESPACE,
    PROCESS_KINDS,
    RELEASE,
    chart,
    load_values,
    pod_containers,
    process_of,
    render,
    render_named,
    values_files,
)
from tests.chart.promql import metric_names, queries, recorded

FULLNAME = f"{RELEASE}-firebreak"


@pytest.mark.parametrize("name", list(values_files()))
def test_lint_is_clean(name):
    report = helm.lint(str(CHART), load_values(name), strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, f"helm lint with {name} values: {report}"


def test_objects_validate_against_kubernetes_schemas(rendered):
    for obj in rendered.objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                pytest.fail(f"{rendered.name}: {obj['kind']}/{obj['metadata']['name']} against {version}: "
                            f"{path}: {exc.message}")


def test_custom_resources_have_their_required_fields(rendered):
    for obj in rendered.objects:
        if obj["kind"] not in CUSTOM_KINDS:
            continue
        schema = crds.SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        assert schema, f"no schema for {obj['apiVersion']} {obj['kind']}"
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
        assert not errors, f"{rendered.name}: {obj['kind']}/{obj['metadata']['name']}: " + "; ".join(
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_every_kind_of_custom_resource_is_rendered_by_some_values_file():
    kinds = {o["kind"] for name in values_files() for o in render_named(name).objects}
    assert CUSTOM_KINDS <= kinds, f"never rendered: {CUSTOM_KINDS - kinds}"


@pytest.mark.parametrize("values, message", [
    ({"services": {"billing": {"api": {"enabled": True}}}}, "additional properties 'billing' not allowed"),
    ({"processDefaults": {"api": {"replicas": -1}}}, "at '/processDefaults/api/replicas': minimum"),
    ({"services": {"sla": {"consumer": {"replicas": "two"}}}}, "at '/services/sla/consumer/replicas': got string"),
    ({"services": {"sla": {"worker": {"enabled": True}}}}, "additional properties 'worker' not allowed"),
    ({"config": {"logLevel": "LOUD"}}, "at '/config/logLevel'"),
    ({"image": {"pullPolicy": "Sometimes"}}, "at '/image/pullPolicy'"),
    ({"postgresql": {"urls": {"sla": "postgres://u@db/sla"}}}, "at '/postgresql/urls/sla'"),
    ({"metrics": {"serviceMonitor": {"interval": "often"}}}, "at '/metrics/serviceMonitor/interval'"),
    ({"ingress": {"enabled": True, "hosts": []}}, "at '/ingress/hosts'"),
])
def test_schema_rejects_bad_values_with_a_clear_message(values, message):
    with pytest.raises(helm.HelmValuesError) as exc:
        render(values)
    assert message in str(exc.value)
    assert "values don't meet the specifications of the schema" in str(exc.value)


@pytest.mark.parametrize("values, message", [
    ({"auth": {"jwtSecret": "short"}}, "auth.jwtSecret must be at least 32 characters"),
    ({"auth": {"algorithm": "RS256"}}, "neither auth.jwtPublicKey"),
    ({"rabbitmq": {"cluster": {"enabled": True, "replicas": 2}}}, "rabbitmq.cluster.replicas must be odd"),
])
def test_contradicting_values_fail_with_a_clear_message(values, message):
    with pytest.raises(helm.HelmError) as exc:
        render(values)
    assert message in str(exc.value)


def test_default_values_run_exactly_the_processes_each_service_has():
    values = chart().values
    code = {name: set(service.processes) for name, service in definitions().items()}
    enabled = {name: {kind for kind in PROCESS_KINDS if values["services"][name][kind]["enabled"]}
               for name in values["services"]}
    assert set(enabled) == set(SERVICES)
    assert enabled == code, ("services.<name>.<kind>.enabled in values.yaml must match the code "
                             f"(firebreak.registry definitions().processes): chart {enabled}, code {code}")


def test_one_deployment_per_enabled_process(rendered):
    services = chart().merge_values(rendered.values)["services"]
    expected = {(name, kind) for name in SERVICES for kind in PROCESS_KINDS if services[name][kind]["enabled"]}
    deployments = rendered.kind("Deployment")
    assert {process_of(d) for d in deployments} == expected
    for deployment in deployments:
        service, kind = process_of(deployment)
        assert deployment["metadata"]["name"] == f"{FULLNAME}-{service}-{kind}"
        (container,) = pod_containers(deployment)
        assert container["args"] == ["serve", service, kind]


def test_any_service_can_enable_any_kind():
    out = render_named("local", {"services": {"sla": {"scheduler": {"enabled": True, "replicas": 2}}}})
    deployment = out.get("Deployment", f"{FULLNAME}-sla-scheduler")
    assert deployment["spec"]["replicas"] == 2
    (container,) = pod_containers(deployment)
    assert container["args"] == ["serve", "sla", "scheduler"]
    assert {"name": "FIREBREAK_PROBE_PORT", "value": "9100"} in container["env"]
    assert out.get("Service", f"{FULLNAME}-sla-scheduler")["spec"]["clusterIP"] == "None"


def test_labels_and_selectors(rendered):
    for obj in rendered.objects:
        labels = obj["metadata"].get("labels", {})
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                    "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "helm.sh/chart"):
            assert key in labels, f"{obj['kind']}/{obj['metadata']['name']} has no {key} label"
        assert obj["metadata"]["namespace"] == NAMESPACE
    for workload in rendered.workloads():
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/component"] in SERVICES
        selector = workload["spec"].get("selector", {}).get("matchLabels", {})
        assert selector.items() <= pod_labels.items()
    # Each Service selects the pods of exactly one Deployment.
    for service in rendered.kind("Service"):
        selector = service["spec"]["selector"].items()
        matches = [d for d in rendered.kind("Deployment")
                   if selector <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matches) == 1, f"Service {service['metadata']['name']} selects {len(matches)} Deployments"


def test_every_api_has_a_service_a_budget_and_an_autoscaler(rendered):
    for deployment in rendered.kind("Deployment"):
        service, kind = process_of(deployment)
        name = deployment["metadata"]["name"]
        if kind != "api":
            assert rendered.get("Service", name)["spec"]["ports"][0]["name"] == "metrics"
            continue
        assert rendered.get("Service", name)["spec"]["ports"][0]["targetPort"] == "http"
        assert rendered.get("PodDisruptionBudget", name)["spec"]["maxUnavailable"] == 1
        hpas = [h for h in rendered.kind("HorizontalPodAutoscaler") if h["metadata"]["name"] == name]
        if hpas:
            assert hpas[0]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
            assert "replicas" not in deployment["spec"], "an autoscaled Deployment must leave replicas to the HPA"
        else:
            assert deployment["spec"]["replicas"] >= 1


def test_pods_are_locked_down(rendered):
    for workload in rendered.workloads():
        pod = workload["spec"]["template"]["spec"]
        what = f"{rendered.name}: {workload['kind']}/{workload['metadata']['name']}"
        assert pod["automountServiceAccountToken"] is False, what
        assert pod["securityContext"]["runAsNonRoot"] is True, what
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, what
        mounts_ok = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, what
            assert security["allowPrivilegeEscalation"] is False, what
            assert security["capabilities"]["drop"] == ["ALL"], what
            assert container["resources"]["requests"] and container["resources"]["limits"], what
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert set(mounts.values()) <= mounts_ok, what
            # Whatever a process writes to must be a mounted emptyDir: the root filesystem is read-only.
            for env in container["env"]:
                value = env.get("value", "")
                if value.startswith("/"):
                    assert any(value == m or value.startswith(m.rstrip("/") + "/") for m in mounts), (
                        f"{what}: {env['name']}={value} is on the read-only root filesystem")
            if container["args"][-1] == "api":
                env = {e["name"]: e.get("value") for e in container["env"]}
                assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts and env["FIREBREAK_WORKER_TMP_DIR"] in mounts


def test_migrations_are_a_hook_job_per_service(rendered):
    values = rendered.values or {}
    operators = any(values.get(k, {}).get("cluster", {}).get("enabled") for k in ("rabbitmq", "postgresql"))
    hooks = "post-install,pre-upgrade" if operators else "pre-install,pre-upgrade"
    jobs = {j["metadata"]["name"]: j for j in rendered.kind("Job")}
    assert set(jobs) == {f"{FULLNAME}-migrate-{s}" for s in SERVICES}
    secret_names = {s["metadata"]["name"]: s for s in rendered.kind("Secret")}
    for service in SERVICES:
        job = jobs[f"{FULLNAME}-migrate-{service}"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == hooks
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        (container,) = pod_containers(job)
        assert container["args"] == ["migrate", "--service", service]
        # A hook cannot read the release's own Secret: it does not exist yet on install (and is stale on upgrade).
        refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
        assert f"{FULLNAME}" not in refs
        if f"{FULLNAME}-migrate" in refs:
            hook_secret = secret_names[f"{FULLNAME}-migrate"]["metadata"]["annotations"]
            assert hook_secret["helm.sh/hook"] == hooks
            assert int(hook_secret["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])


def test_secret_references_resolve(rendered):
    """Every key a container reads from the chart's Secrets is in them (the default values leave out the URLs only,
    and NOTES.txt names what is missing)."""
    chart_secrets = {s["metadata"]["name"]: rendered.secret_data(s["metadata"]["name"])
                     for s in rendered.kind("Secret")}
    missing = set()
    for workload in rendered.workloads():
        for container in pod_containers(workload):
            for env in container["env"]:
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if not ref:
                    continue
                if ref["name"] in chart_secrets:
                    if ref["key"] not in chart_secrets[ref["name"]]:
                        missing.add(ref["key"])
                else:
                    assert ref["name"].startswith(("firebreak-", f"{FULLNAME}-rabbitmq", f"{FULLNAME}-postgres")), (
                        f"{ref['name']} is neither the chart's Secret, an existingSecret nor an operator's")
    if rendered.name == "default":
        assert missing == {"amqp-url", *(f"database-url-{s}" for s in SERVICES)}
        for key in ("rabbitmq.url", *(f"postgresql.urls.{s}" for s in SERVICES)):
            assert key in rendered.notes()
    else:
        assert not missing, f"{rendered.name}: keys missing from the chart's Secret: {missing}"
        assert "WARNING" not in rendered.notes()


def test_generated_jwt_secret_is_long_and_shared_by_both_secrets():
    out = render_named("default")
    assert len(out.secret_data(FULLNAME)["jwt-secret"]) >= 32
    assert out.secret_data(FULLNAME)["jwt-secret"] == out.secret_data(f"{FULLNAME}-migrate")["jwt-secret"]


def _prefix_match(path: str, prefix: str) -> bool:
    """Kubernetes Ingress pathType Prefix: element-wise match."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def test_ingress_routes_every_api_path_to_its_own_service(tmp_path):
    out = render_named("operators")
    (ingress,) = out.kind("Ingress")
    routes = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["pathType"] == "Prefix"
            routes.setdefault(path["path"], set()).add(path["backend"]["service"]["name"])
    assert all(len(backends) == 1 for backends in routes.values()), f"a path goes to two services: {routes}"
    for a in routes:
        for b in routes:
            assert a == b or not _prefix_match(a, b), f"prefixes {a} and {b} overlap"
    env = {"FIREBREAK_DATA_DIR": str(tmp_path), "FIREBREAK_JWT_SECRET": "x" * 40, "AMQP_URL": "memory://"}
    # Every service has these; the Ingress routes by API prefix, so they are reached per service.
    common = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/reference.js"}
    for name, service in definitions().items():
        app = service.create_app(env)
        backend = f"{FULLNAME}-{name}-api"
        for rule in app.url_map.iter_rules():
            path = re.sub(r"<[^>]*>", "x", rule.rule)
            if rule.rule in common or rule.endpoint == "static":
                continue
            owners = {next(iter(b)) for p, b in routes.items() if _prefix_match(path, p)}
            assert owners == {backend}, f"{name} serves {rule.rule}, but the Ingress sends it to {owners or 'nobody'}"


def test_network_policies_limit_ingress_to_apis_and_egress_to_dependencies():
    out = render_named("operators")
    policies = {p["metadata"]["name"]: p["spec"] for p in out.kind("NetworkPolicy")}
    base = policies[FULLNAME]
    assert base["ingress"] == [] and set(base["policyTypes"]) == {"Ingress", "Egress"}
    egress_ports = {p["port"] for rule in base["egress"] for p in rule["ports"]}
    assert egress_ports == {53, 5671, 5672, 5432}
    assert policies[f"{FULLNAME}-api"]["podSelector"]["matchLabels"]["firebreak.io/process"] == "api"
    notify = policies[f"{FULLNAME}-notify"]
    assert notify["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "notify"
    assert {p["port"] for rule in notify["egress"] for p in rule["ports"]} == {25, 465, 587, 443}


def test_monitoring_objects_carry_the_extra_labels():
    out = render_named("operators")
    for kind in ("ServiceMonitor", "PrometheusRule"):
        (obj,) = out.kind(kind)
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (monitor,) = out.kind("ServiceMonitor")
    assert {e["port"] for e in monitor["spec"]["endpoints"]} == {"http", "metrics"}
    assert all(e["honorLabels"] for e in monitor["spec"]["endpoints"])
    rules = [r for g in out.kind("PrometheusRule")[0]["spec"]["groups"] for r in g["rules"]]
    alerts = {r.get("alert") for r in rules}
    assert {"FirebreakOutboxBacklog", "FirebreakDeadLetterQueueGrowing", "FirebreakConsumerDown"} <= alerts
    assert all(r["labels"]["team"] == "sre" for r in rules if "alert" in r)


def test_operator_managed_stores():
    out = render_named("operators")
    (rabbit,) = out.kind("RabbitmqCluster")
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    (cluster,) = out.kind("Cluster")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    databases = {initdb["database"], *(s.split()[2] for s in initdb["postInitApplicationSQL"])}
    assert databases == {f"firebreak_{s}" for s in SERVICES}
    deployment = out.get("Deployment", f"{FULLNAME}-sla-api")
    env = {e["name"]: e for e in pod_containers(deployment)[0]["env"]}
    assert env["DATABASE_URL"]["value"].endswith(f"@{FULLNAME}-postgres-rw:5432/firebreak_sla")
    assert env["DATABASE_URL"]["value"].startswith("postgresql+psycopg://$(FIREBREAK_DB_USER):")
    names = list(env)
    assert names.index("FIREBREAK_DB_PASSWORD") < names.index("DATABASE_URL"), "$(VAR) needs VAR defined first"
    assert env["AMQP_URL"]["value"] == (f"amqp://$(FIREBREAK_AMQP_USER):$(FIREBREAK_AMQP_PASSWORD)"
                                        f"@{FULLNAME}-rabbitmq.{NAMESPACE}.svc:5672//")


def _generator():
    spec = importlib.util.spec_from_file_location("dashboards_generate", CHART / "dashboards" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dashboards_are_generated_and_shipped_as_configmaps():
    files = {p.name: p.read_text() for p in (CHART / "dashboards").glob("*.json")}
    assert files == _generator().render(), "out of date: run python deploy/helm/firebreak/dashboards/generate.py"
    uids = {}
    for name, text in files.items():
        dashboard = json.loads(text)
        uids[dashboard["uid"]] = name
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{name}: panel ids repeat"
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], f"{name}: {panel['title']}"
    assert uids == {"firebreak-overview": "overview.json", "firebreak-pipeline": "pipeline.json"}
    out = render_named("default")
    maps = {c["metadata"]["name"]: c for c in out.kind("ConfigMap")}
    for name, text in files.items():
        configmap = maps[f"{FULLNAME}-dashboard-{name.removesuffix('.json')}"]
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert json.loads(configmap["data"][f"firebreak-{name}"]) == json.loads(text)


def test_every_query_is_valid_promql_over_firebreak_metrics():
    out = render_named("operators")
    records = recorded(out)
    for source, exprs in queries(out).items():
        for expr in exprs:
            try:
                names = metric_names(expr)
            except ValueError as exc:
                pytest.fail(f"{source}: {exc}\n{expr}")
            assert names, f"{source} selects no metric: {expr}"
            for name in names:
                assert name.startswith("firebreak_") or name in records or name == "up", f"{source}: {name}"
            assert ":" not in " ".join(n for n in names if n not in records), f"{source}: unknown recording rule"


def test_chart_packages_without_its_development_files(tmp_path):
    archive = helm.package(str(CHART), destination=str(tmp_path))
    with helm.Chart.load(archive) as packaged:
        files = {f["name"] for f in packaged.files}
        assert {"dashboards/overview.json", "dashboards/pipeline.json", "README.md"} <= files
        assert packaged.schema and packaged.schema["properties"]["services"]
        assert not {"dashboards/generate.py", ".checkov.yaml"} & files
        assert packaged.render(load_values("local"), name=RELEASE, namespace=NAMESPACE)


def test_upgrade_renders_the_same_objects():
    install, upgrade = render_named("operators"), render_named("operators", is_upgrade=True)
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, install.objects)) == sorted(map(key, upgrade.objects))
