"""checkov on the rendered manifests, hadolint on the Dockerfile, and the image and the chart agreeing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chart.conftest import (
    CHART,
    ROOT,
    dockerfile_instructions,
    final_stage,
    pod_containers,
    render_named,
    values_files,
)

# checkov lives in its own virtualenv (its pins clash with the project's): `make tools` makes it.
CHECKOV = Path(os.environ.get("CHECKOV", Path(sys.prefix) / "tools" / "bin" / "checkov"))


def _tool(name: str) -> str:
    path = Path(sys.prefix) / "bin" / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: `make` installs the test extra (pip install -e '.[test]')")
    return found


def test_checkov_passes_on_every_rendered_values_set(tmp_path):
    if not CHECKOV.exists():
        pytest.fail(f"checkov not found at {CHECKOV}: run `make tools` (or set CHECKOV)")
    for name in values_files():
        out = render_named(name)
        text = "\n---\n".join(v for k, v in sorted(out.manifests.items()) if k.endswith(".yaml") and v.strip())
        (tmp_path / f"{name}.yaml").write_text(text)
    result = subprocess.run(
        [str(CHECKOV), "--config-file", str(CHART / ".checkov.yaml"), "--directory", str(tmp_path),
         "--output", "json", "--quiet", "--compact", "--skip-download"],
        capture_output=True, text=True, timeout=300)
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['check_name']}: {c['resource']} ({Path(c['file_path']).name})"
              for report in reports for c in report.get("results", {}).get("failed_checks", [])]
    assert not failed, "checkov:\n" + "\n".join(failed)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    assert passed > 100, f"checkov checked next to nothing: {reports}"


def test_dockerfile_passes_hadolint():
    result = subprocess.run([_tool("hadolint"), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_and_chart_agree_on_command_user_and_paths():
    final = final_stage()
    entrypoint = json.loads(next(v for k, v in final if k == "ENTRYPOINT"))
    user = next(v for k, v in final if k == "USER")
    env = " ".join(v for k, v in final if k == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "FIREBREAK_WORKER_TMP_DIR=/dev/shm" in env
    out = render_named("local")
    for workload in out.workloads():
        pod = workload["spec"]["template"]["spec"]
        for container in pod_containers(workload):
            assert container["command"] == entrypoint, f"{workload['metadata']['name']}: not the image's entrypoint"
            assert f"{container['securityContext']['runAsUser']}:{container['securityContext']['runAsGroup']}" == user
        assert pod["securityContext"]["runAsUser"] == int(user.split(":")[0])


def test_dockerignore_keeps_what_the_image_copies():
    ignore = (ROOT / ".dockerignore").read_text().split()
    copied = [v.split()[0] for k, v in dockerfile_instructions() if k == "COPY" and not v.startswith("--from")]
    for path in copied:
        assert f"!{path.rstrip('/')}" in ignore or f"!{path.rstrip('/')}/" in ignore, f"{path} is in .dockerignore"
