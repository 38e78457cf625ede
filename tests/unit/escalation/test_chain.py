"""The chain state machine and the team hierarchy, pure (now passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.domain.chain import ACKNOWLEDGED, ACTIVE, EXHAUSTED, Chain
from services.escalation.domain.policy import Policy, Step, Target, select_policy
from services.escalation.domain.teams import HierarchyCycle, ancestors, check_parent

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def policy(*users_per_step, repeat=0, timeout=60, **kw):
    steps = tuple(Step(tuple(Target("user", u) for u in users), timeout) for users in users_per_step)
    return Policy("p", "p", "ops", steps, repeat, **kw)


def resolve(targets, now):
    return [t.id for t in targets if not t.id.startswith("nobody")]


def kinds(chain):
    out = [a.kind for a in chain.announcements]
    chain.announcements.clear()
    return out


def test_start_fires_step_one_and_each_timeout_the_next():
    chain = Chain.start("c", "i", "ops", 0, policy(["a"], ["b"]), T0, resolve)
    assert kinds(chain) == ["started", "step_fired"]
    assert chain.timer() == (T0 + timedelta(seconds=60), {"escalation_id": "c", "token": 1})
    assert chain.timed_out(1, T0 + timedelta(seconds=60), resolve)
    assert kinds(chain) == ["step_fired"] and chain.token == 2
    assert not chain.timed_out(1, T0 + timedelta(seconds=61), resolve)  # stale token: nothing
    assert chain.timed_out(2, T0 + timedelta(seconds=120), resolve)
    assert kinds(chain) == ["exhausted"] and chain.status == EXHAUSTED and chain.timer() is None


def test_skipped_steps_and_repeats():
    chain = Chain.start("c", "i", "ops", 0, policy(["nobody"], ["b"], repeat=1), T0, resolve)
    assert [(f.step, f.round, f.skipped) for f in chain.fired] == [(1, 1, True), (2, 1, False)]
    chain.timed_out(chain.token, T0, resolve)
    assert [(f.step, f.round, f.skipped) for f in chain.fired][2:] == [(1, 2, True), (2, 2, False)]
    chain.timed_out(chain.token, T0, resolve)
    assert chain.status == EXHAUSTED


def test_a_chain_of_nobodies_is_exhausted_at_once():
    chain = Chain.start("c", "i", "ops", 0, policy(["nobody"], ["nobody2"], repeat=2), T0, resolve)
    assert chain.status == EXHAUSTED and len(chain.fired) == 6 and chain.timer() is None


def test_stop_ends_an_active_chain_once():
    chain = Chain.start("c", "i", "ops", 0, policy(["a"], ["b"]), T0, resolve)
    token = chain.token
    assert chain.stop(ACKNOWLEDGED, "acknowledged", T0)
    assert not chain.stop(ACKNOWLEDGED, "again", T0)
    assert not chain.timed_out(token, T0 + timedelta(seconds=60), resolve)
    assert chain.status == ACKNOWLEDGED and chain.timer() is None


def test_policy_snapshot_round_trips_and_most_specific_wins():
    p = policy(["a"], severities=("critical",), on_sla_breach="escalate_to_parent")
    assert Policy.from_dict(p.to_dict()) == p
    general = Policy("g", "general", "ops", p.steps)
    assert select_policy([general, p], "ops", "critical", None) == p
    assert select_policy([general, p], "ops", "minor", None) == general
    assert select_policy([general, p], "db", "minor", None) is None
    assert Chain.start("c", "i", "ops", 0, p, T0, resolve).status == ACTIVE


def test_hierarchy_cycles_are_refused():
    parents = {"l1": "l2", "l2": "l3", "l3": None}
    assert ancestors(parents, "l1") == ["l2", "l3"]
    check_parent(parents, "l4", "l1")
    with pytest.raises(HierarchyCycle) as refused:
        check_parent(parents, "l3", "l1")
    assert refused.value.path == ["l3", "l1", "l2", "l3"]
    with pytest.raises(HierarchyCycle):
        check_parent(parents, "l1", "l1")
