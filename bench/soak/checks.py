"""After the soak: what happened, read back through the public APIs (and SQL for outbox and jobs), checked
against what was due."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from bench.soak.faults import Faults
from bench.soak.load import TEAM, Responder, Sender
from bench.soak.receiver import Pager
from bench.soak.sla_check import Targets, check_sla
from bench.soak.stack import SoakStack


@dataclass
class Result:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self, label: str, text: str, ok: bool | None = None) -> None:
        mark = "" if ok is None else ("  ok" if ok else "  FAIL")
        self.lines.append(f"{label:<28}{text}{mark}")
        if ok is False:
            self.failures.append(label)


def _get(url: str, headers: dict, params: dict | None = None) -> requests.Response:
    for _ in range(30):
        try:
            r = requests.get(url, headers=headers, params=params, timeout=30)
            if r.status_code < 500:
                return r
        except requests.RequestException:
            pass
        __import__("time").sleep(1)
    raise RuntimeError(f"{url} did not answer")


def incidents(url: str, headers: dict) -> dict[str, dict]:
    found, cursor = {}, None
    while True:
        params = {"team": TEAM, "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = _get(f"{url}/v1/incidents", headers, params).json()
        found.update({i["id"]: i for i in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def check(stack: SoakStack, sender: Sender, pager: Pager, responder: Responder, faults: Faults, targets: Targets,
          headers: dict, quiet: dict) -> Result:
    result = Result()
    urls = stack.urls
    n = len(sender.alerts)

    # -- alerts in, incidents out ---------------------------------------------------------------
    errors = [a for a in sender.alerts if a.error or not a.incident_id]
    retried = [a for a in sender.alerts if a.attempts > 1]
    deduplicated = sum(1 for a in retried if "deduplicated" in a.outcomes)
    result.line("alerts accepted", f"{n - len(errors)}/{n}" + (f" (first error: {errors[0].error})" if errors
                                                              else ""), not errors)
    result.line("alert retries", f"{sender.retries} retries over {len(retried)} alerts; {deduplicated} retried "
                f"alerts deduplicated onto the incident their lost attempt had opened")
    found = incidents(urls["incident"], headers)
    ids = {a.incident_id for a in sender.alerts if a.incident_id}
    result.line("incidents", f"{len(found)} opened, {len(ids)} distinct in the alert answers",
                len(found) == n and ids == set(found))

    # -- SLA records ----------------------------------------------------------------------------
    def sla(incident_id: str) -> int:
        return _get(f"{urls['sla']}/v1/sla/incidents/{incident_id}", headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(sla, list(found)))
    result.line("SLA records", f"{statuses.get(200, 0)}/{len(found)} ({dict(statuses)})",
                statuses.get(200, 0) == len(found))

    # -- warnings and breaches, as published --------------------------------------------------------
    line, tally, problems = check_sla(stack, found, stack.drain_sla_announcements(), targets, faults)
    result.line("SLA warnings and breaches", line, not problems)
    result.lines.extend(f"    {t}" for t in tally)
    for p in problems[:10]:
        result.lines.append(f"    {p}")

    # -- pages -------------------------------------------------------------------------------------
    pages = pager.by_incident()
    once = twice_in_window = 0
    bad: list[str] = []
    for incident_id in found:
        got = pages.get(incident_id, [])
        keys = {p.key for p in got}
        if any(not p.signed for p in got):
            bad.append(f"{incident_id}: a page with a bad signature")
        elif len(got) == 1:
            once += 1
        elif len(got) == 2 and len(keys) == 1 and faults.near(got[0].at, ("kill notify scheduler", "restart postgres",
                                                                        "outage notify"), lead=15, lag=5):
            twice_in_window += 1
        else:
            bad.append(f"{found[incident_id]['reference']}: {len(got)} pages, {len(keys)} keys")
    strays = set(pages) - set(found)
    result.line("pages", f"{once} delivered once, {twice_in_window} twice with one Idempotency-Key in the crash "
                f"window, {len(bad)} otherwise, {len(strays)} for unknown incidents, {pager.unreadable} unreadable",
                not bad and not strays and not pager.unreadable and once + twice_in_window == len(found))
    for p in bad[:10]:
        result.lines.append(f"    {p}")
    result.line("people answering", f"{responder.done['ack_url']} ack_url POSTs, {responder.done['acknowledge']} "
                f"acknowledged in the API, {responder.done['resolve']} resolved; {responder.retries} retries",
                not responder.failed)
    for p in responder.failed[:5]:
        result.lines.append(f"    {p}")

    # -- the bus and the stores --------------------------------------------------------------------
    dlq = {k: v for k, v in quiet["queues"].items() if k.endswith(".dlq")}
    result.line("dead-letter queues", ", ".join(f"{k} {v}" for k, v in dlq.items()), not any(dlq.values()))
    work = {k: v for k, v in quiet["queues"].items() if not k.endswith(".dlq") and v}
    result.line("work queues", "empty" if not work else str(work), not work)
    result.line("outbox rows unsent", ", ".join(f"{k} {v}" for k, v in quiet["outbox"].items()),
                not any(quiet["outbox"].values()))
    dead = stack.dead_jobs()
    result.line("jobs unfinished / dead", ", ".join(f"{k} {v} / {dead.get(k, 0)}" for k, v in quiet["jobs"].items()),
                not any(quiet["jobs"].values()) and not any(dead.values()))
    if quiet.get("timed_out"):
        result.line("quiescence", "not reached before the timeout", False)
    return result
