"""bench/e2e.py's load side: the page receiver, the open-loop paced sender and the per-rate figures."""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from bench.incidents import machine_busy, tree_cpu


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that stamps each page on arrival, keyed by the incident title."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        # title -> {"arrived": wall clock, "incident": id, and the stamps a baseline page carries}
        self.detail: dict[str, dict] = {}
        self.duplicates = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                at, wall = time.perf_counter(), time.time()  # request line and headers in: the page arrived
                page = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                title = (page.get("incident") or {}).get("title", "")
                with receiver.lock:
                    if title in receiver.arrived:
                        receiver.duplicates += 1
                    else:
                        receiver.arrived[title] = at
                        receiver.detail[title] = {**page.get("hops", {}), "arrived": wall,
                                                  "incident": page["incident"].get("id")}
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.request_queue_size = 256  # the job worker opens a connection per call, many at once
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class RateRun:
    """One rate's alerts: when each was due, sent and answered, and what the answers said."""

    path: str
    rate: float
    seconds: float
    due: dict[str, float] = field(default_factory=dict)  # title -> scheduled send instant (perf_counter)
    lag: list[float] = field(default_factory=list)  # actual send - scheduled send, seconds
    post: list[float] = field(default_factory=list)  # actual send to answer, seconds
    last_answer: float = 0.0
    accepted: int = 0
    opened: int = 0  # answers saying a new incident was opened
    errors: dict[str, int] = field(default_factory=dict)
    pages: dict[str, float] = field(default_factory=dict)  # title -> page arrival, for this run's titles
    drained: float = 0.0  # seconds waited after the last send for missing pages
    machine: float = float("nan")  # share of all cores busy, any process, from the first send to the drain's end
    client: float = float("nan")  # share of one core this bench process used over the same span
    ours: float = float("nan")  # share of all cores this run's processes used (bench, services, databases)
    hops: str = ""  # the per-hop breakdown, printed
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process (and its children), load + drain

    def cpu_line(self) -> str:
        """CPU ms per alert sent, per process, most first."""
        top = sorted(self.cpu.items(), key=lambda kv: -kv[1])
        return f"  {self.path} {self.rate:g}/s, CPU ms per alert: " + ", ".join(
            f"{name} {seconds * 1000 / max(1, len(self.due)):.1f}" for name, seconds in top)

    def latencies(self) -> list[float]:
        """Alert due to page received; a missing page counts as infinitely late, so it shows in the tail."""
        return sorted(self.pages[t] - d if t in self.pages else math.inf for t, d in self.due.items())

    def percentile(self, q: float) -> float:
        values = self.latencies()
        if not values:
            return math.nan
        return values[max(0, math.ceil(len(values) * q / 100) - 1)]

    @property
    def missing(self) -> int:
        return len(self.due) - len(self.pages)

    def per_second(self, count: int) -> float:
        """Over the span from the first due alert to the last answer: a slow intake stretches it."""
        return count / max(self.seconds, self.last_answer - min(self.due.values(), default=0.0))

    @property
    def pages_per_second(self) -> float:
        """Pages of this run over the span from the first due send to the last page received."""
        if not self.pages:
            return 0.0
        return len(self.pages) / (max(self.pages.values()) - min(self.due.values()))


def _poster(url: str, jobs: queue.Queue, run: RateRun, headers: dict[str, str], lock: threading.Lock) -> None:
    """One keep-alive connection; takes (title, body) off the queue until None."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    while (job := jobs.get()) is not None:
        title, body = job
        sent = time.perf_counter()
        with lock:
            run.lag.append(sent - run.due[title])
        try:
            conn.request("POST", parts.path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            status, answer = type(exc).__name__, b""
        answered = time.perf_counter()
        with lock:
            run.post.append(answered - sent)
            run.last_answer = max(run.last_answer, answered)
            if status == "202":
                run.accepted += 1
                run.opened += "new_incident" in json.loads(answer).get("outcomes", [])
            else:
                run.errors[status] = run.errors.get(status, 0) + 1
    conn.close()


def send_paced(run: RateRun, url: str, headers: dict[str, str], make_body, clients: int) -> None:
    """Open loop: alert n is due at start + n / rate whatever the answers; `clients` connections send them.

    Latency is measured from the due instant, so a sender that falls behind (every connection busy) adds
    to the latency instead of hiding it (coordinated omission).
    """
    jobs: queue.Queue = queue.Queue()
    lock = threading.Lock()
    threads = [threading.Thread(target=_poster, args=(url, jobs, run, headers, lock), daemon=True)
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    total = int(run.rate * run.seconds)
    prefix = f"{run.path}-{run.rate:g}-{time.monotonic_ns()}"
    start = time.perf_counter() + 0.05
    for n in range(total):
        due = start + n / run.rate
        title = f"{prefix}-{n}"
        body = make_body(title)
        time.sleep(max(0.0, due - time.perf_counter()))
        with lock:
            run.due[title] = due
        jobs.put((title, body))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(300)


def measure(run: RateRun, receiver: Receiver, url: str, headers: dict[str, str], make_body, clients: int,
            drain_seconds: float, roots: dict[str, int | None] | None = None) -> RateRun:
    """Send one rate's alerts, then wait up to `drain_seconds` for their pages; CPU shares over the whole span.

    `roots`: the processes (with their children) whose CPU counts as ours besides this one.
    """
    roots = roots or {}
    cpu_before = tree_cpu(roots)
    machine_before, client_before, wall_before = machine_busy(), time.process_time(), time.perf_counter()
    send_paced(run, url, headers, make_body, clients)
    sent_at = time.perf_counter()
    deadline = sent_at + drain_seconds
    while time.perf_counter() < deadline:
        with receiver.lock:
            if all(t in receiver.arrived for t in run.due):
                break
        time.sleep(0.05)
    run.drained = time.perf_counter() - sent_at
    with receiver.lock:
        run.pages = {t: receiver.arrived[t] for t in run.due if t in receiver.arrived}
    busy, total = (a - b for a, b in zip(machine_busy(), machine_before, strict=True))
    run.machine = busy / total if total else math.nan
    wall, client = time.perf_counter() - wall_before, time.process_time() - client_before
    run.client = client / wall
    cpu_after = tree_cpu(roots)
    run.cpu = {name: cpu_after[name] - cpu_before[name] for name in roots} | {"bench client": client}
    run.ours = sum(run.cpu.values()) / (wall * (os.cpu_count() or 1))
    return run


WALL_OFFSET = time.time() - time.perf_counter()


def hop_breakdown(run: RateRun, stamps: dict[str, dict[str, float]]) -> str:
    """p50/p99 in ms of each hop between wall-clock stamps (title -> {hop: instant}, in hop order), from due."""
    names = ["due"] + list(next(iter(stamps.values()), {}))
    rows = [{"due": run.due[t] + WALL_OFFSET, **stamps[t]} for t in run.pages if t in stamps]
    rows = [r for r in rows if all(isinstance(r.get(n), float) for n in names)]
    if not rows:
        return ""
    parts = []
    for before, after in zip(names, names[1:], strict=False):
        gaps = sorted(r[after] - r[before] for r in rows)
        p99 = gaps[max(0, math.ceil(len(gaps) * 0.99) - 1)]
        parts.append(f"{after} {ms(gaps[len(gaps) // 2])}/{ms(p99)}")
    return f"  {run.path} {run.rate:g}/s, hops p50/p99 ms: " + ", ".join(parts)


def ms(seconds: float) -> str:
    return "inf" if math.isinf(seconds) else "nan" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


HEADER = (f"{'path':<10}{'rate/s':>7}{'sent':>6}{'acc/s':>7}{'inc/s':>7}{'pages/s':>8}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'max ms':>8}{'missing':>8}{'POST p99':>9}{'lag p99':>8}{'client':>7}{'ours':>6}"
          f"{'machine':>8}")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)] if ordered else math.nan


def row(run: RateRun) -> str:
    line = (f"{run.path:<10}{run.rate:>7g}{len(run.due):>6}{run.per_second(run.accepted):>7.1f}"
            f"{run.per_second(run.opened):>7.1f}{run.pages_per_second:>8.1f}{ms(run.percentile(50)):>8}"
            f"{ms(run.percentile(99)):>8}{ms(run.percentile(100)):>8}{run.missing:>8}{ms(_p99(run.post)):>9}"
            f"{ms(_p99(run.lag)):>8}"
            f"{run.client:>7.0%}{run.ours:>6.0%}{run.machine:>8.0%}")
    if run.errors:
        line += f"\n  errors: {run.errors}"
    return line
