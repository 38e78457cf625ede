"""Alert POST to page received, on the real stack at rising rates, against the same hops done with raw psycopg+pika.

Firebreak: every process of incident, escalation and notify (`firebreak serve SERVICE KIND`: api, relay, consumer,
scheduler) on a private PostgreSQL and RabbitMQ started for the run. A generic integration routes alerts to a team
whose escalation policy pages one user at step 1; the user's contact is a signed webhook to a receiver in this
process that stamps each page on arrival and maps it back to its alert by the incident title. Alerts go to
/v1/alerts/generic open-loop (each is due at start + n/rate, sent by a pool of keep-alive connections whatever the
answers), every one with a new dedup key, so each opens an incident and pages once. Latency: from the instant an
alert was due to its page arriving. A page still missing after the drain window counts as infinitely late.
Baseline: bench/e2e_baseline.py (three commits, two confirmed publishes, one HTTP call), same sender and receiver.
It prints figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/e2e.py [--rates 5,10,20,40,80] [--seconds 60] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import port_for  # noqa: E402

from bench import e2e_baseline as baseline  # noqa: E402
from bench.e2e_load import HEADER, RateRun, Receiver, hop_breakdown, measure, ms, row  # noqa: E402
from bench.e2e_stack import PATH_SERVICES, Firebreak  # noqa: E402
from bench.incidents import BenchError, Stack, postmaster_pid  # noqa: E402
from firebreak.devstack import wait_for  # noqa: E402

TARGET_RATE, TARGET_P99, GOOD_P99 = 20.0, 0.250, 1.0


def alert_body(title: str) -> bytes:
    return json.dumps({"summary": title, "dedup_key": title, "severity": "critical",
                       "labels": {"service": "checkout", "bench": "e2e"}}).encode()


def climb(path: str, rates: list[float], args, receiver: Receiver, url: str, headers: dict[str, str],
          stamps, check=None) -> list[RateRun]:
    """A warm-up (not counted), then each rate in turn until one's p99 exceeds --stop-p99 (a backlog)."""
    stack = args.stack

    def roots() -> dict[str, int | None]:
        found = {f"{p.service} {p.kind}": p.proc.pid for p in stack.processes if p.alive()}
        return {**found, "postgres": postmaster_pid(stack.postgres), "rabbitmq": stack.rabbitmq.executor.process.pid}

    # The workers log nothing at WARNING when they are up; the warm-up's pages show that they are.
    warm = measure(RateRun(path, 2, 3), receiver, url, headers, alert_body, args.clients, 120, roots())
    if warm.missing:
        raise BenchError(f"{path}: {warm.missing} of {len(warm.due)} warm-up alerts never paged ({warm.errors})")
    runs = []
    for rate in rates:
        print(f"{path}: {rate:g} alerts/s for {args.seconds:g} s ...", file=sys.stderr)
        run = measure(RateRun(path, rate, args.seconds), receiver, url, headers, alert_body, args.clients, args.drain,
                      roots())
        runs.append(run)
        print(row(run), file=sys.stderr)
        run.hops = hop_breakdown(run, stamps(run))
        print(run.hops + "\n" + run.cpu_line(), file=sys.stderr)
        if check is not None:
            check()
        if run.percentile(99) > args.stop_p99:
            print(f"{path}: p99 over {args.stop_p99:g} s at {rate:g}/s, a backlog: not climbing further",
                  file=sys.stderr)
            break
        time.sleep(2)  # let stragglers (events other than pages) settle before the next rate
    return runs


def run_firebreak(stack: Stack, args, receiver: Receiver) -> list[RateRun]:
    services = PATH_SERVICES + (("sla", "postmortem") if args.all_services else ())
    firebreak = Firebreak(stack, services)
    print(f"starting {', '.join(services)} ...", file=sys.stderr)
    firebreak.start()
    try:
        key = firebreak.set_up_paging(receiver.url)
        time.sleep(1)  # team_changed reaches notify; the workers' first polls pass

        def check() -> None:
            if firebreak.dead():
                raise BenchError(f"processes exited: {firebreak.dead()}\n{firebreak.logs()}")

        headers = {"Content-Type": "application/json", "X-Firebreak-Key": key}

        def stamps(run: RateRun) -> dict[str, dict[str, float]]:
            pages = {t: receiver.detail[t] for t in run.pages}
            found = firebreak.stamps({page["incident"]: t for t, page in pages.items()})
            return {t: {**found[t], "arrived": page["arrived"]} for t, page in pages.items()}

        try:
            return climb("firebreak", args.rates, args, receiver,
                         f"{firebreak.apis['incident']}/v1/alerts/generic", headers, stamps, check)
        except BenchError as exc:
            raise BenchError(f"{exc}\n{firebreak.logs()}") from None
    finally:
        firebreak.stop()


def run_baseline(stack: Stack, args, receiver: Receiver) -> list[RateRun]:
    stack.postgres.create_database("bench_baseline")
    dsn = f"host=127.0.0.1 port={stack.postgres.port} user=postgres dbname=bench_baseline"
    amqp_url = stack.rabbitmq.url.rstrip("/") + "/%2F"  # pika reads kombu's trailing "//" as vhost ""
    baseline.prepare(dsn, amqp_url)
    port = port_for.select_random()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "BASELINE_DSN": dsn,
           "BASELINE_AMQP_URL": amqp_url, "BASELINE_PORT": str(port), "BASELINE_RECEIVER": receiver.url}
    stages = [stack.start_process(baseline.StageProcess("baseline", stage, env, stack.tmp / "logs"))
              for stage in ("notify", "escalation", "intake")]
    try:
        wait_for(lambda: all("ready" in s.log() or not s.alive() for s in stages), timeout=60, what="baseline")
        if not all(s.alive() for s in stages):
            raise BenchError("a baseline stage exited:\n" + "\n".join(s.log()[-2000:] for s in stages))
        def stamps(run: RateRun) -> dict[str, dict[str, float]]:
            return {t: {k: v for k, v in receiver.detail[t].items() if k != "incident"} for t in run.pages}

        return climb("baseline", args.baseline_rates, args, receiver, f"http://127.0.0.1:{port}/v1/alerts/generic",
                     {"Content-Type": "application/json"}, stamps)
    finally:
        for stage in stages:
            stage.stop()


def report(firebreak: list[RateRun], base: list[RateRun], args) -> None:
    print()
    print(f"alert POST to page received; {args.seconds:g} s per rate, {args.clients} sender connections, "
          f"drain {args.drain:g} s; relay idle {os.environ.get('FIREBREAK_RELAY_IDLE_SECONDS', 'default')}, "
          f"job worker idle {os.environ.get('FIREBREAK_SCHEDULER_IDLE_SECONDS', 'default')}, "
          f"FIREBREAK_WAKEUPS {os.environ.get('FIREBREAK_WAKEUPS', 'default')}; {os.cpu_count()} cores")
    print(HEADER)
    for run in firebreak + base:
        print(row(run))
    for run in firebreak + base:
        print(run.hops)
    for run in firebreak + base:
        print(run.cpu_line())
    print("(CPU: over the rate's load and drain, idle polling included, per alert sent)")
    print("(hops: ms since the previous stamp, wall clock. firebreak: committed = intake transaction wrote the outbox "
          "(sender lag, HTTP, request);\n escalation = its consumer took incident.created (incident relay, broker); "
          "step_fired = the chain's transaction;\n notify = its consumer took step_fired (escalation relay, broker); "
          "arrived = page at the receiver (notify consumer, job worker, HTTP).\n baseline: received = handler "
          "started; committed1; dequeued1 = a publisher took it; consumed2 = escalation got it (publish 1, broker);\n"
          " consumed3 = notify got it (commit 2, publish 2, broker); arrived = page at the receiver (commit 3, HTTP))")
    print("(acc/s: alerts answered 202; inc/s: answers that opened an incident; pages/s: pages over first send to "
          "last page;\n POST p99: alert sent to answered; lag p99: how late the sender sent; "
          "client: this process's share of one core;\n ours: this bench's processes (sender, services, PostgreSQL, "
          "RabbitMQ) as a share of all cores; "
          "machine: all cores busy, any process, /proc/stat)")
    good = [r.rate for r in firebreak if r.percentile(99) < GOOD_P99]
    print(f"highest rate with p99 under {GOOD_P99:g} s: " + (f"{max(good):g} alerts/s" if good else "none"))
    for run in firebreak:
        match = next((b for b in base if b.rate == run.rate), None)
        if match is not None:
            ratio = run.percentile(99) / match.percentile(99)
            verdict = "met" if ratio <= 2 else "NOT met"
            print(f"at {run.rate:g}/s: firebreak p99 {ms(run.percentile(99))} ms / baseline p99 "
                  f"{ms(match.percentile(99))} ms = {ratio:.1f}x (target within 2x: {verdict})")
    at_target = next((r for r in firebreak if r.rate == TARGET_RATE), None)
    if at_target is not None:
        p99 = at_target.percentile(99)
        print(f"target: alert to page p99 under {TARGET_P99 * 1000:.0f} ms at {TARGET_RATE:g} new incidents/s: "
              f"p99 {ms(p99)} ms -> {'met' if p99 < TARGET_P99 else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,10,20,40,80", help="new incidents/s, climbed in turn")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load per rate")
    parser.add_argument("--quick", action="store_true", help="10 s per rate, a 15 s drain")
    parser.add_argument("--baseline-rates", default="auto",
                        help="rates for the baseline; 'auto': those Firebreak ran, and 20; 'same': as --rates")
    parser.add_argument("--only", choices=("firebreak", "baseline"), help="run one path only")
    parser.add_argument("--clients", type=int, default=16, help="sender connections (keep-alive)")
    parser.add_argument("--drain", type=float, default=30, help="seconds to wait for missing pages after a rate")
    parser.add_argument("--stop-p99", type=float, default=5.0, help="stop climbing after a rate with p99 above it")
    parser.add_argument("--all-services", action="store_true", help="also run sla and postmortem (off the path)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.drain = 10, min(args.drain, 15)
    args.rates = [float(r) for r in args.rates.split(",")]
    if args.baseline_rates not in ("auto", "same"):
        args.baseline_rates = [float(r) for r in args.baseline_rates.split(",")]
    elif args.baseline_rates == "same":
        args.baseline_rates = args.rates

    stack = args.stack = Stack()
    receiver = Receiver()
    try:
        print("starting PostgreSQL and RabbitMQ ...", file=sys.stderr)
        stack.start()
        firebreak = [] if args.only == "baseline" else run_firebreak(stack, args, receiver)
        if args.baseline_rates == "auto":
            args.baseline_rates = sorted({r.rate for r in firebreak} | {TARGET_RATE})
        base = [] if args.only == "firebreak" else run_baseline(stack, args, receiver)
        report(firebreak, base, args)
        if receiver.duplicates:
            print(f"duplicate pages received: {receiver.duplicates}")
        return 0
    except (BenchError, TimeoutError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        receiver.close()
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
