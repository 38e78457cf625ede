"""Notify's pure domain: rules, quiet hours and delays, webhook signatures, ack tokens, incident copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain import timing
from services.notify.domain.incident import IncidentCopy, normalize_links
from services.notify.domain.rules import Rule, matching
from services.notify.domain.signing import AckToken, BadToken, sign, verify
from services.notify.domain.timing import QuietHours

NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
INCIDENT = {"severity": "major", "priority": "high", "team": "sre", "incident_type": "outage"}


def rule(**kw) -> Rule:
    return Rule(id=kw.pop("id", "r1"), name=kw.pop("name", "r1"), event_types=kw.pop("event_types", ("declared",)),
                recipients=({"contact": "alice"},), **kw)


def test_a_rule_matches_its_events_and_filters_and_empty_filters_mean_any():
    assert rule().matches("declared", INCIDENT)
    assert not rule().matches("resolved", INCIDENT)
    assert rule(teams=("sre",), priorities=("high", "critical")).matches("declared", INCIDENT)
    assert not rule(teams=("payments",)).matches("declared", INCIDENT)
    assert not rule(severities=("critical",)).matches("declared", INCIDENT)
    assert not rule(incident_types=("security",)).matches("declared", INCIDENT)
    assert not rule(enabled=False).matches("declared", INCIDENT)


def test_matching_rules_come_by_name():
    rules = [rule(id="b", name="b"), rule(id="a", name="a"), rule(id="c", name="c", teams=("x",))]
    assert [r.name for r in matching(rules, "declared", INCIDENT)] == ["a", "b"]


def test_quiet_hours_across_midnight_hold_until_the_window_ends_in_local_time():
    quiet = QuietHours.parse({"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"})
    # 23:30 UTC is 00:30 in Berlin (CET): inside; released at 07:00 Berlin = 06:00 UTC.
    assert quiet.held_until(NOW) == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    assert quiet.held_until(NOW.replace(hour=12)) is None
    # 21:30 UTC = 22:30 Berlin: inside, released the next morning.
    assert quiet.held_until(NOW.replace(hour=21)) == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)


def test_quiet_hours_within_one_day_and_bad_zones():
    quiet = QuietHours.parse({"start": "12:00", "end": "13:00"})
    assert quiet.held_until(NOW.replace(hour=12, minute=10)) == NOW.replace(hour=13, minute=0)
    assert quiet.held_until(NOW.replace(hour=13, minute=0)) is None
    assert QuietHours.parse(None) is None
    with pytest.raises(ValueError):
        QuietHours.parse({"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"})


def test_delays_and_quiet_hours_hold_only_non_critical_messages():
    quiet = QuietHours.parse({"start": "22:00", "end": "07:00", "timezone": "UTC"})
    assert timing.due_at(NOW, 300) == NOW + timedelta(seconds=300)
    assert timing.due_at(NOW, 0, quiet, critical=True) == NOW
    assert timing.due_at(NOW, 0, quiet, critical=False) == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    assert timing.is_critical("page", INCIDENT)
    assert timing.is_critical("update", {**INCIDENT, "priority": "critical"})
    assert not timing.is_critical("update", INCIDENT)


def test_a_digest_waits_for_the_window_after_the_last_update():
    assert timing.digest_due(NOW, None, 60) == NOW
    assert timing.digest_due(NOW, NOW - timedelta(seconds=10), 60) == NOW + timedelta(seconds=50)
    assert timing.digest_due(NOW, NOW - timedelta(seconds=600), 60) == NOW


def test_webhook_signature_verifies_and_refuses_tampering_and_old_timestamps():
    body = b'{"a":1}'
    header = sign("s3cret", body, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret", body, header, now=1_700_000_010)
    assert not verify("s3cret", b'{"a":2}', header, now=1_700_000_010)
    assert not verify("other", body, header, now=1_700_000_010)
    assert not verify("s3cret", body, header, now=1_700_001_000)
    assert not verify("s3cret", body, "garbage", now=1_700_000_000)


def test_an_ack_token_round_trips_and_is_refused_when_altered_or_expired():
    token = AckToken("inc-1", "alice", 2_000).encode("key")
    assert AckToken.decode("key", token, now=1_000) == AckToken("inc-1", "alice", 2_000)
    with pytest.raises(BadToken) as expired:
        AckToken.decode("key", token, now=2_000)
    assert expired.value.expired
    payload, _, mac = token.partition(".")
    forged = AckToken("inc-1", "mallory", 2_000).encode("key").split(".")[0] + "." + mac
    for bad in (forged, payload + ".AAAA", token[:-2], "x", "", "a.b.c"):
        with pytest.raises(BadToken):
            AckToken.decode("key", bad, now=1_000)
    with pytest.raises(BadToken):
        AckToken.decode("another key", token, now=1_000)


def test_the_incident_copy_ignores_stale_snapshots_and_knows_when_it_is_settled():
    copy = IncidentCopy.from_snapshot({"id": "i", "reference": "INC-1", "title": "a", "severity": "major",
                                       "priority": "high", "status": "new", "team": "sre"}, 3)
    assert not copy.apply({"title": "old"}, 2)
    assert copy.title == "a"
    assert copy.apply({"title": "b", "team": None, "private": True, "commander": "bob"}, 4)
    assert (copy.title, copy.team, copy.private, copy.commander, copy.sequence) == ("b", None, True, "bob", 4)
    assert not copy.settled
    copy.apply({"acknowledged_at": "2026-01-01T00:00:00+00:00"}, 5)
    assert copy.settled
    copy.apply({"status": "in_progress", "acknowledged_at": "2026-01-01T00:00:00+00:00",
                "reopened_at": "2026-01-02T00:00:00+00:00"}, 6)
    assert not copy.settled  # reopened since: it may be paged for again
    assert IncidentCopy(id="x", status="resolved").settled


def test_links_are_normalized_and_made_absolute():
    assert normalize_links({"incident": "/v1/incidents/1"}, "https://fb.example/") == [
        {"title": "incident", "url": "https://fb.example/v1/incidents/1"}]
    assert normalize_links(["https://x.example"]) == [{"title": "https://x.example", "url": "https://x.example"}]
    assert normalize_links([{"title": "runbook", "url": "https://r"}, {"title": "empty"}]) == [
        {"title": "runbook", "url": "https://r"}]
    assert normalize_links(None) == []

