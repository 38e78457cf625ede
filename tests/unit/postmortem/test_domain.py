"""The postmortem domain: times and windows, the incident copy's ordering rules, sections, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.postmortem.domain.document import build_sections, check_editable, document_text, next_status
from services.postmortem.domain.errors import Refused
from services.postmortem.domain.projection import IncidentCopy, merge_entry, timeline
from services.postmortem.domain.times import format_duration, merge_windows, total_seconds

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_overlapping_windows_count_once():
    windows = [(at(0), at(30)), (at(20), at(40)), (at(60), at(70)), (at(40), at(45))]
    assert merge_windows(windows) == [(at(0), at(45)), (at(60), at(70))]
    assert total_seconds(windows) == 55 * 60


def test_durations_read_well():
    assert format_duration(None) == "n/a"
    assert format_duration(12) == "12s"
    assert format_duration(250) == "4m 10s"
    assert format_duration(3930) == "1h 05m 30s"
    assert format_duration(2 * 86400 + 3 * 3600 + 240) == "2d 3h 04m"


def snapshot(**fields) -> dict:
    return {"id": "i1", "reference": "INC-1", "title": "Checkout down", "severity": "major", "priority": "high",
            "status": "new", "team": "payments", "private": False, "created_at": at(0).isoformat(), **fields}


def test_stale_snapshots_are_ignored_and_children_keep_their_own_order():
    copy = IncidentCopy("i1")
    assert copy.apply_snapshot(snapshot(status="resolved", resolved_at=at(60).isoformat()), 5)
    assert not copy.apply_snapshot(snapshot(status="in_progress"), 3)
    assert not copy.apply_snapshot(snapshot(status="in_progress"), 5)
    assert copy.incident["status"] == "resolved"
    task = {"id": "t1", "description": "Fix it", "status": "open", "created_at": at(1).isoformat()}
    # the task's change (seq 4) arrives after the newer snapshot (seq 5): it still counts
    assert copy.apply_child({"collection": "tasks", "change": "added", "item": task}, 4)
    assert not copy.apply_child({"collection": "tasks", "change": "changed", "item": {**task, "status": "x"}}, 2)
    assert copy.apply_child({"collection": "tasks", "change": "removed", "item": task}, 6)
    assert copy.current("tasks") == []


def test_first_stable_is_the_mitigation_time_whatever_the_order():
    copy = IncidentCopy("i1")
    copy.apply_marks({"status": {"old": "in_progress", "new": "stable"}}, at(50).isoformat())
    copy.apply_marks({"status": {"old": "in_progress", "new": "stable"}}, at(30).isoformat())
    copy.apply_marks({"status": {"old": "new", "new": "in_progress"}}, at(10).isoformat())
    assert copy.marks["stable_at"] == at(30).isoformat()


def test_an_edited_entry_keeps_its_original_time_and_stale_edits_lose():
    created = {"id": 7, "kind": "note", "summary": "Deploy", "actor": "a", "occurred_at": at(20).isoformat(),
               "important": False}
    entry = merge_entry(None, created, 3, created=True)
    edited = merge_entry(entry, {**created, "occurred_at": at(5).isoformat(), "important": True}, 6, created=False)
    assert edited["occurred_at"] == at(5).isoformat() and edited["important"]
    assert edited["original_occurred_at"] == at(20).isoformat()
    assert merge_entry(edited, created, 3, created=True) is None  # the creation again: nothing changes
    # the edit arrives before the creation: the creation only supplies the original time
    early = merge_entry(None, {**created, "occurred_at": at(5).isoformat(), "important": True}, 6, created=False)
    late = merge_entry(early, created, 3, created=True)
    assert late["occurred_at"] == at(5).isoformat() and late["original_occurred_at"] == at(20).isoformat()


def test_timeline_modes_and_order():
    entries = [{"id": 1, "occurred_at": at(10).isoformat(), "important": True},
               {"id": 2, "occurred_at": at(5).isoformat(), "important": False},
               {"id": 3, "occurred_at": at(1).isoformat(), "important": True},
               {"id": 4, "occurred_at": at(2).isoformat(), "important": True, "internal": True}]
    assert [e["id"] for e in timeline(entries, "important")] == [3, 1]
    assert [e["id"] for e in timeline(entries, "all")] == [3, 2, 1]


def test_sla_outcomes_and_escalation_steps():
    copy = IncidentCopy("i1")
    met = {"target": "resolution", "cycle": 1, "outcome": "met_late", "target_seconds": 600}
    assert copy.apply_sla("met", met, 3)
    assert not copy.apply_sla("breached", {"target": "resolution", "cycle": 1}, 2)
    assert copy.sla["resolution/1"]["state"] == "met_late"
    assert copy.apply_escalation("escalated", {"at": at(9).isoformat(), "level": 2, "to_team": "sre"}, "e2")
    assert copy.apply_escalation("step_fired", {"at": at(3).isoformat(), "level": 1, "team": "web"}, "e1")
    assert not copy.apply_escalation("step_fired", {"at": at(3).isoformat()}, "e1")
    assert [s["kind"] for s in copy.escalations] == ["step_fired", "escalated"]


def test_sections_from_the_copy():
    copy = IncidentCopy("i1")
    copy.apply_snapshot(snapshot(status="resolved", acknowledged_at=at(5).isoformat(),
                                 resolved_at=at(90).isoformat(), resolution_summary="Rolled back"), 9)
    copy.apply_marks({"status": {"new": "stable"}}, at(45).isoformat())
    copy.apply_child({"collection": "impacts", "change": "added", "item": {
        "id": "m1", "start_at": at(0).isoformat(), "end_at": at(30).isoformat(), "description": "EU"}}, 2)
    copy.apply_child({"collection": "impacts", "change": "added", "item": {
        "id": "m2", "start_at": at(20).isoformat(), "end_at": None, "description": "US"}}, 3)
    sections = build_sections(copy, [], "important", now=at(500))
    assert sections["durations"] == {"time_to_acknowledge": 300.0, "time_to_mitigate": 2700.0,
                                     "time_to_resolve": 5400.0}
    # the open window ends at resolution; overlaps count once: 0..90 minutes
    assert sections["customer_impact"]["total_seconds"] == 90 * 60
    text = document_text(sections, {"went_well": "Fast rollback"})
    assert text["root_cause"] == "Rolled back" and text["went_well"] == "Fast rollback"
    assert "1h 30m 00s" in text["summary"]


def test_lifecycle():
    assert next_status("draft", "review") == "in_review"
    assert next_status("in_review", "publish") == "published"
    assert next_status("draft", "publish") == "published"
    with pytest.raises(Refused):
        next_status("published", "publish")
    with pytest.raises(Refused):
        check_editable("published")
