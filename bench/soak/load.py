"""The soak's traffic: alerts sent as Alertmanager sends them (retried on errors), and people answering pages."""

from __future__ import annotations

import heapq
import random
import re
import threading
import time
from dataclasses import dataclass, field

import requests

from bench.soak.receiver import Page

TEAM, USER = "soak", "oncall"
RETRYABLE = (requests.ConnectionError, requests.Timeout)


def kind_of(n: int) -> str:
    """quick: acknowledged when paged, resolved soon after; late: acknowledged between warning and breach of
    the response target, never resolved; ignored: nobody answers."""
    return ("quick", "quick", "quick", "quick", "late", "late", "ignored", "ignored", "ignored", "ignored")[n % 10]


@dataclass
class Alert:
    n: int
    first_sent: float = 0.0  # monotonic, first attempt
    attempts: int = 0
    incident_id: str | None = None
    outcomes: list[str] = field(default_factory=list)
    error: str | None = None


class Sender:
    """POSTs generic alerts (one dedup key each) at `rate` per second from a few threads; like Alertmanager it
    retries connection errors and 5xx with exponential backoff, and the retry deduplicates by key."""

    def __init__(self, url: str, key: str, count: int, rate: float, threads: int = 16, give_up_after: float = 600):
        self.url, self.key, self.rate, self.threads, self.give_up_after = url, key, rate, threads, give_up_after
        self.alerts = [Alert(n) for n in range(count)]
        self.by_title = {self.title(a.n): a for a in self.alerts}
        self.retries = 0
        self.lock = threading.Lock()
        self._next = iter(self.alerts)
        self.started = self.finished = 0.0
        self._threads: list[threading.Thread] = []

    @staticmethod
    def title(n: int) -> str:
        return f"soak alert {n}"

    def start(self) -> Sender:
        self.started = time.monotonic()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for t in self._threads:
            t.start()
        return self

    def join(self) -> None:
        for t in self._threads:
            t.join()
        self.finished = time.monotonic()

    def _run(self) -> None:
        with requests.Session() as session:
            while True:
                with self.lock:
                    alert = next(self._next, None)
                if alert is None:
                    return
                time.sleep(max(0.0, self.started + alert.n / self.rate - time.monotonic()))
                self._send(session, alert)

    def _send(self, session: requests.Session, alert: Alert) -> None:
        body = {"summary": self.title(alert.n), "dedup_key": f"soak-{alert.n}", "severity": "critical",
                "labels": {"team": TEAM, "alertname": "SoakAlert", "instance": f"host-{alert.n % 50}"}}
        alert.first_sent = time.monotonic()
        backoff = 0.25
        while True:
            alert.attempts += 1
            try:
                r = session.post(self.url, json=body, headers={"X-Firebreak-Key": self.key}, timeout=15)
                if r.status_code < 500:
                    if r.status_code == 202:
                        got = r.json()
                        alert.incident_id = (got.get("incidents") or [None])[0]
                        alert.outcomes = got.get("outcomes") or []
                    else:
                        alert.error = f"{r.status_code} {r.text[:200]}"
                    return
                reason = f"{r.status_code}"
            except RETRYABLE as exc:
                reason = type(exc).__name__
                session.close()
            if time.monotonic() - alert.first_sent > self.give_up_after:
                alert.error = f"gave up after {alert.attempts} attempts ({reason})"
                return
            with self.lock:
                self.retries += 1
            time.sleep(backoff * random.uniform(0.5, 1.5))
            backoff = min(backoff * 2, 5.0)


class Responder:
    """Acts on pages as people would: one worker thread over a queue of actions due at given instants."""

    def __init__(self, sender: Sender, incident_url: str, token: str, response_target: float):
        self.sender, self.incident_url, self.response_target = sender, incident_url, response_target
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.heap: list[tuple[float, int, str, str, str]] = []
        self.cond = threading.Condition()
        self.seq = 0
        self.done: dict[str, int] = {"ack_url": 0, "acknowledge": 0, "resolve": 0}
        self.retries = 0
        self.failed: list[str] = []
        self.stopping = False
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(4)]
        for t in self.threads:
            t.start()

    def on_page(self, page: Page) -> None:
        match = re.fullmatch(r"soak alert (\d+)", page.title)
        alert = self.sender.by_title.get(page.title) if match else None
        if alert is None:
            return
        kind = kind_of(alert.n)
        if kind == "quick" and page.ack_url:
            self._at(time.monotonic(), "ack_url", page.incident_id, page.ack_url)
            self._at(time.monotonic() + 5, "resolve", page.incident_id, "")
        elif kind == "late":
            self._at(max(time.monotonic(), alert.first_sent + 0.7 * self.response_target), "acknowledge",
                     page.incident_id, "")

    def _at(self, due: float, action: str, incident_id: str, arg: str) -> None:
        with self.cond:
            self.seq += 1
            heapq.heappush(self.heap, (due, self.seq, action, incident_id, arg))
            self.cond.notify()

    def pending(self) -> int:
        with self.cond:
            return len(self.heap)

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def _run(self) -> None:
        with requests.Session() as session:
            while True:
                with self.cond:
                    while not self.stopping and (not self.heap or self.heap[0][0] > time.monotonic()):
                        self.cond.wait(timeout=0.2 if self.heap else 1)
                    if self.stopping:
                        return
                    due, _, action, incident_id, arg = heapq.heappop(self.heap)
                self._act(session, action, incident_id, arg)

    def _act(self, session: requests.Session, action: str, incident_id: str, arg: str) -> None:
        """Do it, retrying what a person would retry (the service down or busy), for up to five minutes."""
        deadline = time.monotonic() + 300
        while True:
            try:
                if action == "ack_url":
                    r = session.post(arg, headers={"Accept": "application/json"}, timeout=15)
                else:
                    body = {"resolution_code": "fixed", "resolution_summary": "soak"} if action == "resolve" else {}
                    r = session.post(f"{self.incident_url}/v1/incidents/{incident_id}/actions/{action}",
                                     json=body, headers=self.headers, timeout=15)
                if r.status_code < 500 and r.status_code != 429:
                    if r.status_code >= 400 and r.status_code != 409:
                        self.failed.append(f"{action} {incident_id}: {r.status_code} {r.text[:200]}")
                    else:
                        self.done[action] += 1
                    return
            except RETRYABLE:
                session.close()
            if time.monotonic() > deadline:
                self.failed.append(f"{action} {incident_id}: gave up")
                return
            self.retries += 1
            time.sleep(1)
