"""gunicorn settings for a service's api process (one per pod; scale with replicas)."""

import glob
import os
import shutil

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('FIREBREAK_PORT', '8080')}"
workers = int(os.environ.get("FIREBREAK_WEB_WORKERS", "2"))
threads = int(os.environ.get("FIREBREAK_WEB_THREADS", "4"))
worker_class = "gthread"
worker_tmp_dir = os.environ.get("FIREBREAK_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
# Load the app in each worker: nothing connects before the fork.
preload_app = False


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def on_starting(server):
    # Counters from a previous run in the same directory would be summed into this one's.
    for stale in glob.glob(os.path.join(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "/nonexistent"), "*.db")):
        os.remove(stale)


def on_exit(server):
    if os.environ.get("FIREBREAK_OWNS_METRICS_DIR") == "1":
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
