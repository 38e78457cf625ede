"""Rules with team recipients from escalation's team events, private incidents, and quiet hours."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.notify.test_paging import CREATED, INCIDENT, contact

TEAM_CHANGED = "firebreak.escalation.team_changed.v1"
RESOLVED = "firebreak.incident.resolved.v1"


def team(notify, name: str, members: list[str], version: int) -> None:
    notify.deliver(TEAM_CHANGED, {"name": name, "parent": None, "version": version, "at": "2026-03-10T12:00:00Z",
                                  "members": [{"user": u, "role": "member"} for u in members]})


def rule(notify, token, **body) -> None:
    response = notify.client.post("/v1/notification-rules", json={"name": "r", "event_types": ["declared"],
                                                                   **body}, headers=token("admin"))
    assert response.status_code == 201, response.json


def recipients(notify) -> list[str]:
    return sorted(r[0] for r in notify.rows("SELECT recipient FROM deliveries"))


def test_team_recipients_follow_escalations_team_members_newest_version_only(notify, token):
    for user in ("alice", "bob", "carol"):
        contact(notify.client, token, user, [{"kind": "slack", "address": f"https://hooks.slack.test/{user}"}])
    team(notify, "sre", ["alice", "bob"], 2)
    team(notify, "sre", ["carol"], 1)  # older: ignored
    rule(notify, token, recipients=[{"team": "sre"}])
    notify.deliver(CREATED, INCIDENT, sequence=1)
    assert recipients(notify) == ["alice", "bob"]


def test_a_private_incident_reaches_its_team_only(notify, token):
    for user in ("alice", "mallory"):
        contact(notify.client, token, user, [{"kind": "slack", "address": f"https://hooks.slack.test/{user}"}])
    team(notify, "sre", ["alice"], 1)
    rule(notify, token, recipients=[{"contact": "alice"}, {"contact": "mallory"},
                                    {"channel": "teams", "address": "https://teams.test/hook"}])
    notify.deliver(CREATED, {**INCIDENT, "private": True}, sequence=1)
    assert recipients(notify) == ["alice"]


def test_quiet_hours_hold_updates_but_not_critical_ones(notify, token):
    quiet = {"start": "11:00", "end": "13:00", "timezone": "UTC"}  # the fake clock stands at 12:00 UTC
    contact(notify.client, token, "alice", [{"kind": "slack", "address": "https://hooks.slack.test/a"}],
            quiet_hours=quiet)
    rule(notify, token, event_types=["declared", "resolved"], recipients=[{"contact": "alice"}])
    notify.deliver(CREATED, {**INCIDENT, "priority": "high", "severity": "major"}, sequence=1)
    notify.deliver(CREATED, {**INCIDENT, "id": "inc-2"}, sequence=1)  # critical: not held
    assert notify.work() == 1
    notify.clock.advance(timedelta(hours=1, seconds=1))
    assert notify.work() == 1
    assert len(notify.senders.calls) == 2
