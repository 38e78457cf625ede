"""The repository tests on its own: no file reaches outside it, and a fresh clone runs its tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHECKED_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml"}
CHECKED_NAMES = {"Makefile", "Dockerfile", "run"}
# Spellings of a path beside or above the checkout (the old sibling fixtures folder, an absolute workspace path).
OUTSIDE = re.compile(r"""\.\./shared|["']shared["']|/work/|FIREBREAK_FIXTURES|os\.pardir""")
# Path(__file__).resolve().parents[N] / "a" / "b", or .parent.parent... in place of parents[N].
ANCHORED = re.compile(r"""Path\(__file__\)(?:\.resolve\(\))?(?:\.parents\[(\d+)\]|((?:\.parent)+))"""
                      r"""((?:\s*/\s*["'][^"']+["'])*)""")
THIS = Path(__file__).resolve()


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _checkout() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    inside = _git("rev-parse", "--show-toplevel")
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != ROOT:
        pytest.skip(f"{ROOT} is not a git checkout")


def repository_files() -> list[Path]:
    """Tracked files, and new ones not ignored (what the next commit may hold), that still exist."""
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").stdout.split("\0")
    paths = (ROOT / name for name in listed if name)
    return [p for p in paths if p.is_file() and p != THIS
            and (p.suffix in CHECKED_SUFFIXES or p.name in CHECKED_NAMES)]


def test_no_file_refers_to_a_path_outside_the_repository():
    _checkout()
    found = []
    for path in repository_files():
        text = path.read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
        for match in ANCHORED.finditer(text):
            depth = int(match[1]) if match[1] is not None else match[2].count(".parent") - 1
            parts = re.findall(r"""["']([^"']+)["']""", match[3])
            base = path.parents[depth] if depth < len(path.parents) else Path("/")
            where = f"{path.relative_to(ROOT)}: {match[0]}"
            if not base.is_relative_to(ROOT):
                found.append(f"{where} leaves the repository")
            elif parts and not (base / parts[0]).exists():
                found.append(f"{where} names {base / parts[0]}, which is not there")
    assert not found, "\n".join(found)


def test_a_fresh_clone_tests_on_its_own(tmp_path):
    _checkout()
    clone = tmp_path / "firebreak"
    cloned = _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone), cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    assert not tmp_path.joinpath("shared").exists()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FIREBREAK_", "PYTEST_", "DATABASE_URL", "AMQP_URL", "PYTHON"))}
    env["PYTHONPATH"] = str(clone)
    # The venv's editable install points at this working tree; the clone must win on the path.
    where = subprocess.run(
        [sys.executable, "-c", "import firebreak, libs, services, tests; "
                               "print('\\n'.join(m.__path__[0] for m in (firebreak, libs, services, tests)))"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    assert all(Path(p).resolve().is_relative_to(clone) for p in where.stdout.split()), where.stdout
    # A slice that reads every sender fixture, kept small so this stays quick.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "tests/unit/incident/test_alert_intake.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
