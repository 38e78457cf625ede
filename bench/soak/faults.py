"""The faults: every process SIGKILLed in turn and restarted, RabbitMQ and PostgreSQL restarted once each, one
service's database unreachable for a while; and a watchdog that restarts a process that exits on its own."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from bench.soak.stack import SoakStack


@dataclass(frozen=True)
class Fault:
    at: float  # monotonic, when it began
    until: float  # when the process or server was back
    what: str  # "kill notify scheduler", "restart rabbitmq", "restart postgres", "outage notify database"


class Faults:
    """Plans the faults over `window` seconds from start() and carries them out, one at a time, in a thread."""

    def __init__(self, stack: SoakStack, rng: random.Random, window: float, rounds: int, outage_service: str,
                 outage_seconds: float, say):
        self.stack, self.rng, self.say = stack, rng, say
        self.done: list[Fault] = []
        self.exited_on_their_own: list[str] = []
        self._busy: set[int] = set()
        self._stop = threading.Event()
        self.plan = self._plan(window, rounds, outage_service, outage_seconds)

    def _plan(self, window: float, rounds: int, outage_service: str, outage_seconds: float) -> list[tuple]:
        plan = [(window * self.rng.uniform(0.20, 0.30), "rabbitmq", None),
                (window * self.rng.uniform(0.45, 0.55), "postgres", None),
                (window * self.rng.uniform(0.65, 0.75), "outage", (outage_service, outage_seconds))]
        procs = list(self.stack.processes)
        kills = []
        for _ in range(rounds):
            self.rng.shuffle(procs)
            kills.extend(procs)
        slot = window / max(1, len(kills))
        for i, proc in enumerate(kills):
            plan.append((slot * (i + self.rng.uniform(0.1, 0.9)), "kill", proc))
        return sorted(plan, key=lambda p: p[0])

    def start(self) -> Faults:
        self.began = time.monotonic()
        self._threads = [threading.Thread(target=self._run, daemon=True),
                         threading.Thread(target=self._watch, daemon=True)]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        """No more faults or restarts; waits for the one under way (a restart must not race the shutdown)."""
        self._stop.set()
        for t in getattr(self, "_threads", ()):
            t.join(timeout=120)

    def finished(self) -> bool:
        return len(self.done) == len(self.plan)

    def _run(self) -> None:
        for offset, what, arg in self.plan:
            if self._stop.wait(max(0.0, self.began + offset - time.monotonic())):
                return
            at = time.monotonic()
            try:
                label = self._do(what, arg)
            except Exception as exc:  # noqa: BLE001 - a fault that could not be done is reported, not fatal
                label = f"{what} FAILED: {exc!r}"
            self.done.append(Fault(at, time.monotonic(), label))
            self.say(f"fault {len(self.done)}/{len(self.plan)} at {at - self.began:6.1f} s: {label} "
                     f"({time.monotonic() - at:.1f} s)")

    def _do(self, what: str, arg) -> str:
        if what == "kill":
            self._busy.add(id(arg))
            try:
                self.stack.kill_and_restart(arg, self.rng.uniform(0.2, 3.0))
            finally:
                self._busy.discard(id(arg))
            return f"kill {arg.service} {arg.kind}"
        if what == "rabbitmq":
            self.stack.restart_rabbitmq(self.rng.uniform(1, 5))
            return "restart rabbitmq"
        if what == "postgres":
            self.stack.restart_postgres(self.rng.uniform(1, 5))
            return "restart postgres"
        service, seconds = arg
        self.stack.database_outage(service, seconds)
        return f"outage {service} database"

    def _watch(self) -> None:
        """What an orchestrator does: a process that exited by itself is started again (and reported)."""
        while not self._stop.wait(2):
            for proc in self.stack.processes:
                if id(proc) not in self._busy and not proc.alive() and not self._stop.is_set():
                    code = proc.proc.returncode if proc.proc else None
                    self.exited_on_their_own.append(f"{proc.service} {proc.kind} (exit {code})")
                    self.say(f"{proc.service} {proc.kind} exited on its own (exit {code}); starting it again")
                    proc.start()

    def near(self, instant: float, labels: tuple[str, ...], lead: float, lag: float) -> bool:
        """Whether `instant` fell within one of these faults, from `lead` seconds before it began to `lag` after
        it ended."""
        return any(f.what.startswith(labels) and f.at - lead <= instant <= f.until + lag for f in self.done)
