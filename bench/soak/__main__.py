"""The soak: N incidents from alerts, each paging someone, on the whole platform while its processes are killed.

Every process of every service runs as in `make up` (devstack's Topology) on a PostgreSQL and a RabbitMQ of
the soak's own. Alerts arrive at `--rate` per second, each a new incident for team `soak`, whose escalation
policy pages `oncall`, whose contact is a signed webhook to a receiver in this process. Meanwhile each process
is SIGKILLed in turn and restarted, RabbitMQ and PostgreSQL restart once, one service's database refuses
connections for `--outage-seconds`. Then it waits for quiescence and checks (see bench/soak/checks.py); the
exit status is 1 if any check fails.

    .venv/bin/python -m bench.soak                  # 2,000 incidents at 2/s, about 25 minutes
    .venv/bin/python -m bench.soak --quick          # 200 incidents at 4/s, one round of kills, about 5 minutes
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import sys
import time
from datetime import UTC, datetime

import requests

from bench.soak.checks import check
from bench.soak.faults import Faults
from bench.soak.load import TEAM, USER, Responder, Sender
from bench.soak.receiver import SECRET, Pager
from bench.soak.sla_check import Targets
from bench.soak.stack import JWT_SECRET, SoakStack, wait_quiet
from libs.common.auth import mint
from libs.common.config import AuthSettings

PRIORITIES = ("critical", "high", "medium", "low")
BEGAN = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - BEGAN:7.1f} s] {text}", file=sys.stderr, flush=True)


def post(url: str, body: dict, headers: dict) -> dict:
    r = requests.post(url, json=body, headers=headers, timeout=30)
    if r.status_code != 201:
        raise SystemExit(f"set-up failed: POST {url} -> {r.status_code} {r.text}")
    return r.json()


def configure(urls: dict[str, str], headers: dict, pager_url: str, targets: Targets) -> str:
    """Team, escalation policy, contact, SLA policy and alert integration; returns the integration key."""
    post(f"{urls['escalation']}/v1/teams", {"name": TEAM, "members": [{"user": USER}]}, headers)
    # One step, nobody after it within the run: exactly one page per incident.
    post(f"{urls['escalation']}/v1/escalation-policies", {"name": TEAM, "team": TEAM, "repeat": 0, "steps": [
        {"targets": [{"kind": "user", "id": USER}], "timeout_seconds": 86400}]}, headers)
    post(f"{urls['notify']}/v1/contacts", {"user": USER, "methods": [
        {"kind": "webhook", "address": pager_url, "secret": SECRET}]}, headers)
    post(f"{urls['sla']}/v1/sla/policies", {
        "name": TEAM, "team": TEAM, "warning_percent": targets.warning_percent,
        "targets": {p: {"response": targets.response, "resolution": targets.resolution} for p in PRIORITIES}},
        headers)
    return post(f"{urls['incident']}/v1/integrations", {"name": "soak", "kind": "generic", "default_team": TEAM,
                                                       "rate_limit_per_minute": 0}, headers)["key"]


def cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=None, help="default 2000 (200 with --quick)")
    parser.add_argument("--seed", type=int, default=None, help="fault timing and choices (default: random)")
    parser.add_argument("--quick", action="store_true", help="200 incidents, one round of kills, short targets")
    parser.add_argument("--rate", type=float, default=None,
                        help="alerts per second (default 2, what 2 shared cores keep up with; 4 with --quick)")
    parser.add_argument("--outage-service", default="notify")
    parser.add_argument("--outage-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    n = args.incidents or (200 if args.quick else 2000)
    args.rate = args.rate or (4.0 if args.quick else 2.0)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    rng = random.Random(seed)
    targets = Targets(60, 120, 50.0) if args.quick else Targets(120, 240, 50.0)
    started_at, busy0 = datetime.now(UTC), cpu_times()
    say(f"soak: {n} incidents at {args.rate}/s, seed {seed}, response {targets.response} s, resolution "
        f"{targets.resolution} s, warnings at {targets.warning_percent:.0f}%")

    # Started in the background (`&`), the soak ignores SIGINT: SIGTERM stops it and its servers too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = SoakStack(lease_seconds=20)
    pager = faults = None
    try:
        stack.start()
        say(f"platform up: {len(stack.processes)} processes, logs in {stack.base / 'platform' / 'logs'}")
        token = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": JWT_SECRET}, stack.base), "soak", "admin")
        headers = {"Authorization": f"Bearer {token}"}
        sender_box: list[Responder] = []
        pager = Pager(lambda page: sender_box[0].on_page(page))
        key = configure(stack.urls, headers, pager.url, targets)
        sender = Sender(f"{stack.urls['incident']}/v1/alerts/generic", key, n, args.rate)
        responder = Responder(sender, stack.urls["incident"], token, targets.response)
        sender_box.append(responder)

        sending = n / args.rate
        faults = Faults(stack, rng, window=sending + targets.resolution, rounds=1 if args.quick else 2,
                        outage_service=args.outage_service, outage_seconds=args.outage_seconds, say=say)
        say(f"{len(faults.plan)} faults planned over {sending + targets.resolution:.0f} s")
        faults.start()
        sender.start()
        while any(t.is_alive() for t in sender._threads):
            time.sleep(10)
            say(f"alerts sent {sum(1 for a in sender.alerts if a.attempts)}/{n}, retries {sender.retries}, "
                f"pages {len(pager.pages)}")
        sender.join()
        last = max(a.first_sent for a in sender.alerts)
        say(f"alerts done in {sender.finished - sender.started:.0f} s; waiting for the last deadlines and faults")
        while time.monotonic() < last + targets.resolution + 5 or not faults.finished():
            time.sleep(5)
        faults.stop()
        say("waiting for quiescence")
        quiet = wait_quiet(stack, timeout=600, say=say)
        while responder.pending():
            time.sleep(1)
        responder.stop()
        result = check(stack, sender, pager, responder, faults, targets, headers, quiet)
        busy1 = cpu_times()
        machine = 100 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
        kinds = sum(1 for f in faults.done if f.what.startswith("kill"))
        print()
        print(f"soak {started_at:%Y-%m-%d %H:%M} UTC, seed {seed}, {n} incidents at {args.rate:g} alerts/s, "
              f"{time.monotonic() - BEGAN:.0f} s in all")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, busy {machine:.0f}% "
              "over the run (every process on it, not only the soak's)")
        print(f"faults: {kinds} SIGKILLs ({len(stack.processes)} processes), "
              + ", ".join(f.what for f in faults.done if not f.what.startswith("kill"))
              + f" ({args.outage_seconds:g} s); exited on their own: {len(faults.exited_on_their_own)}"
              + (f" ({', '.join(faults.exited_on_their_own)})" if faults.exited_on_their_own else ""))
        for line in result.lines:
            print(line)
        print("RESULT: " + ("all checks passed" if not result.failures else "FAILED: " + ", ".join(result.failures)))
        return 1 if result.failures else 0
    finally:
        if faults is not None:
            faults.stop()
        if pager is not None:
            pager.close()
        say("stopping the platform")
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
