"""The SLA rules on plain objects: start, first response, priority change, hold, reopen, close, timers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.sla.domain.calendar import ALWAYS, Calendar, Window
from services.sla.domain.model import IncidentFacts, IncidentSla
from services.sla.domain.policy import BUILT_IN, AppliedPolicy, Policy, select_policy

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
TARGETS = {"critical": {"response": 60, "resolution": 240}, "high": {"response": 240, "resolution": 480},
           "medium": {"response": 480, "resolution": 1440}, "low": {"response": 1440, "resolution": 4320}}


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def policy(pause_on_hold: bool = True, calendar: Calendar = ALWAYS, warning: float = 80.0) -> AppliedPolicy:
    return AppliedPolicy("p1", "test", TARGETS, warning, pause_on_hold, None, None, calendar)


def facts(seq: int, at: float, **changes) -> IncidentFacts:
    base = IncidentFacts(id="inc-1", priority="high", status="new", created_at=T0, reference="INC-1", title="t",
                         occurred_at=s(at), sequence=seq)
    return replace(base, **changes)


def opened(**kw) -> IncidentSla:
    return IncidentSla.open(facts(1, 0), policy(**kw), s(0.01))


def kinds(sla: IncidentSla) -> list[tuple[str, str, str | None]]:
    out = [(a.kind, a.data["target"], a.data.get("outcome")) for a in sla.announcements]
    sla.announcements.clear()
    return out


def plan(sla: IncidentSla) -> dict[tuple[str, str], datetime | None]:
    return {(p.kind, p.key.split("/")[1]): p.due_at for p in sla.timer_plan()}


# -- start -------------------------------------------------------------------------------------
def test_created_starts_both_clocks_from_created_time():
    sla = opened()
    response, resolution = sla.current("response"), sla.current("resolution")
    assert response.due_at == s(240) and resolution.due_at == s(480)
    assert response.warning_at == s(192) and resolution.warning_at == s(384)
    assert plan(sla) == {("sla.warning", "response"): s(192), ("sla.breach", "response"): s(240),
                         ("sla.warning", "resolution"): s(384), ("sla.breach", "resolution"): s(480)}
    view = sla.view(s(100))
    assert view["targets"]["response"]["state"] == "ok"
    assert view["targets"]["response"]["remaining_seconds"] == 140
    assert view["targets"]["response"]["elapsed_seconds"] == 100
    assert sla.view(s(200))["targets"]["response"]["state"] == "warning"
    late = sla.view(s(250))["targets"]["response"]
    assert late["state"] == "breached" and late["overdue_seconds"] == 10


def test_business_calendar_due_counts_working_time_only():
    cal = Calendar("UTC", (Window(frozenset(range(5)), 9 * 3600, 17 * 3600),))
    friday = datetime(2026, 3, 6, 16, 59, tzinfo=UTC)
    sla = IncidentSla.open(replace(facts(1, 0), created_at=friday, occurred_at=friday), policy(calendar=cal), friday)
    assert sla.current("response").due_at == datetime(2026, 3, 9, 9, 3, tzinfo=UTC)  # 1 min Friday, 3 Monday


# -- first response and resolution -------------------------------------------------------------
def test_acknowledge_meets_response_and_cancels_its_timers():
    sla = opened()
    assert sla.apply(facts(2, 100, acknowledged_at=s(100), status="assigned"), s(100))
    assert kinds(sla) == [("met", "response", "met")]
    assert sla.current("response").elapsed_at_stop == 100
    assert sla.view(s(1000))["targets"]["response"]["state"] == "met"
    assert plan(sla)[("sla.breach", "response")] is None and plan(sla)[("sla.warning", "response")] is None
    assert plan(sla)[("sla.breach", "resolution")] == s(480)


def test_work_started_counts_as_first_response_and_late_one_is_met_late_after_a_breach():
    sla = opened()
    sla.apply(facts(2, 300, started_at=s(300), status="in_progress"), s(300))
    assert kinds(sla) == [("breached", "response", None), ("met", "response", "met_late")]
    assert sla.view(s(300))["targets"]["response"]["state"] == "met_late"
    assert sla.current("response").breached_at == s(240)


def test_resolve_meets_resolution_and_first_response_if_none_came():
    sla = opened()
    sla.apply(facts(2, 200, resolved_at=s(200), status="resolved"), s(200))
    assert kinds(sla) == [("met", "response", "met"), ("met", "resolution", "met")]
    assert all(due is None for due in plan(sla).values())


# -- priority change ---------------------------------------------------------------------------
def test_priority_change_recomputes_from_the_original_start():
    sla = opened()
    sla.apply(facts(2, 30, priority="low"), s(30))
    assert sla.current("response").due_at == s(1440)
    assert sla.current("resolution").due_at == s(4320)
    assert plan(sla)[("sla.breach", "resolution")] == s(4320)
    assert sla.current("resolution").priority == "low"


def test_stricter_priority_can_breach_at_once():
    sla = opened()
    old_version = sla.current("response").version
    sla.apply(facts(2, 100, priority="critical"), s(100))
    response = sla.current("response")
    assert response.due_at == s(60) and response.version > old_version
    assert plan(sla)[("sla.breach", "response")] == s(60)  # in the past: the scheduler fires it at once
    assert sla.view(s(100))["targets"]["response"]["state"] == "breached"
    assert not sla.fire("breached", "response", 1, old_version, s(100))  # the timer set before: stale
    assert sla.fire("breached", "response", 1, response.version, s(100.2))
    [breach] = sla.announcements
    assert breach.data["due_at"] == s(60).isoformat() and breach.data["overdue_seconds"] == 40.2


def test_priority_change_leaves_completed_targets_alone():
    sla = opened()
    sla.apply(facts(2, 10, acknowledged_at=s(10)), s(10))
    sla.apply(facts(3, 20, acknowledged_at=s(10), priority="critical"), s(20))
    assert sla.current("response").target_seconds == 240
    assert sla.current("resolution").target_seconds == 240


# -- hold --------------------------------------------------------------------------------------
def test_on_hold_pauses_and_resume_continues_with_the_remaining_time():
    sla = opened()
    sla.apply(facts(2, 10, started_at=s(10), status="in_progress"), s(10))
    sla.apply(facts(3, 100, started_at=s(10), status="on_hold"), s(100))
    resolution = sla.current("resolution")
    assert resolution.due_at is None and plan(sla)[("sla.breach", "resolution")] is None
    assert sla.view(s(5000))["targets"]["resolution"]["state"] == "paused"
    assert sla.view(s(5000))["targets"]["resolution"]["remaining_seconds"] == 380
    sla.apply(facts(4, 1000, started_at=s(10), status="in_progress"), s(1000))
    assert resolution.due_at == s(1380)  # 380 s left after 900 s on hold
    assert plan(sla)[("sla.warning", "resolution")] == s(1284)
    assert sla.view(s(1380))["targets"]["resolution"]["elapsed_seconds"] == 480


def test_hold_does_not_pause_when_the_policy_says_so():
    sla = opened(pause_on_hold=False)
    sla.apply(facts(2, 10, started_at=s(10), status="in_progress"), s(10))
    sla.apply(facts(3, 100, started_at=s(10), status="on_hold"), s(100))
    assert sla.current("resolution").due_at == s(480)


def test_priority_change_while_on_hold_keeps_it_paused():
    sla = opened()
    sla.apply(facts(2, 10, started_at=s(10), status="on_hold"), s(10))
    sla.apply(facts(3, 20, started_at=s(10), status="on_hold", priority="critical"), s(20))
    assert sla.current("resolution").due_at is None
    sla.apply(facts(4, 30, started_at=s(10), status="in_progress", priority="critical"), s(30))
    assert sla.current("resolution").due_at == s(260)  # 10 s ran before the hold, 230 s left


# -- reopen and close --------------------------------------------------------------------------
def test_reopen_starts_a_new_resolution_clock_from_the_reopen_time():
    sla = opened()
    sla.apply(facts(2, 100, acknowledged_at=s(5), resolved_at=s(100), status="resolved"), s(100))
    kinds(sla)
    sla.apply(facts(3, 1000, acknowledged_at=s(5), reopened_at=s(1000), status="in_progress"), s(1000))
    resolution = sla.current("resolution")
    assert resolution.cycle == 2 and resolution.started_at == s(1000) and resolution.due_at == s(1480)
    view = sla.view(s(1100))
    assert view["targets"]["resolution"]["state"] == "ok"
    assert [(h["target"], h["cycle"], h["state"]) for h in view["history"]] == [("resolution", 1, "met")]
    assert plan(sla)[("sla.breach", "resolution")] == s(1480)
    assert plan(sla)[("sla.breach", "response")] is None
    sla.apply(facts(4, 1200, acknowledged_at=s(5), reopened_at=s(1000), resolved_at=s(1200),
                    status="resolved"), s(1200))
    assert kinds(sla) == [("met", "resolution", "met")]


def test_closed_stops_everything():
    sla = opened()
    sla.apply(facts(2, 50, status="closed", closed_at=s(50)), s(50))
    view = sla.view(s(10_000))
    assert {t: v["state"] for t, v in view["targets"].items()} == {"response": "cancelled",
                                                                  "resolution": "cancelled"}
    assert all(due is None for due in plan(sla).values())
    assert kinds(sla) == []


def test_stale_or_repeated_snapshots_change_nothing():
    sla = opened()
    sla.apply(facts(3, 50, priority="critical"), s(50))
    assert not sla.apply(facts(2, 40, priority="low"), s(60))
    assert not sla.apply(facts(3, 50, priority="low"), s(60))
    assert sla.priority == "critical"


def test_first_event_seen_may_be_a_later_one():
    sla = IncidentSla.open(facts(4, 100, acknowledged_at=s(30), status="in_progress", started_at=s(40)),
                           policy(), s(100))
    assert sla.current("response").outcome == "met" and sla.current("response").elapsed_at_stop == 30
    assert sla.sequence == 4


# -- timers ------------------------------------------------------------------------------------
def test_each_timer_announces_once_and_warning_yields_to_a_due_breach():
    sla = opened()
    version = sla.current("response").version
    assert sla.fire("warning", "response", 1, version, s(192.1))
    assert not sla.fire("warning", "response", 1, version, s(192.2))
    assert sla.fire("breached", "response", 1, version, s(240.1))
    assert not sla.fire("breached", "response", 1, version, s(240.2))
    assert [a.kind for a in sla.announcements] == ["warning", "breached"]
    assert [a.sequence for a in sla.announcements] == [1, 2]
    assert plan(sla)[("sla.breach", "response")] is None
    # A warning whose breach is also due stays quiet: the breach says more.
    assert not sla.fire("warning", "resolution", 1, sla.current("resolution").version, datetime.now(UTC))


def test_timer_of_a_paused_or_met_clock_does_nothing():
    sla = opened()
    version = sla.current("resolution").version
    sla.apply(facts(2, 10, status="on_hold"), s(10))
    assert not sla.fire("breached", "resolution", 1, version, s(480))
    sla.apply(facts(3, 20, status="closed", closed_at=s(20)), s(20))
    assert not sla.fire("breached", "resolution", 1, sla.current("resolution").version, s(480))


# -- policy choice -----------------------------------------------------------------------------
def test_most_specific_policy_wins():
    default = Policy("d", "default")
    team = Policy("t", "team", team="payments")
    kind = Policy("k", "type", incident_type="security")
    both = Policy("b", "both", team="payments", incident_type="security")
    every = [default, team, kind, both]
    assert select_policy(every, "payments", "security") is both
    assert select_policy(every, "search", "security") is kind
    assert select_policy(every, "payments", "outage") is team
    assert select_policy(every, None, None) is default
    assert select_policy([team], "search", None) is BUILT_IN
    assert BUILT_IN.targets["critical"] == {"response": 3600, "resolution": 4 * 3600}
    assert BUILT_IN.targets["low"] == {"response": 24 * 3600, "resolution": 72 * 3600}


def test_applied_policy_round_trips():
    applied = policy(calendar=Calendar("Europe/Paris", (Window(frozenset({0}), 0, 3600),)))
    assert AppliedPolicy.from_dict(applied.to_dict()) == applied
