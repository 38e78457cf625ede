"""The postmortem service on the real stack: the seed's flow from incident events to a published document,
generated while the incident service is down, and action items that become follow-up tasks exactly once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import port_for
import pytest
import requests
from kombu import Connection

from firebreak.devstack import wait_for
from libs.common.topology import EVENTS
from services.postmortem.domain.times import format_duration
from tests.integration.helpers import bearer, query

pytestmark = pytest.mark.integration
ACTION_ITEM_CREATED = "firebreak.postmortem.action_item_created.v1"


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Services:
    """The incident and postmortem services' processes, and calls to their APIs."""

    def __init__(self, stack):
        self.stack = stack
        ports = {service: str(port_for.select_random()) for service in ("incident", "postmortem")}
        # Everything starts at once; only the APIs are waited for.
        self.incident_processes = [stack.start("incident", kind) for kind in ("relay", "consumer")]
        self.incident_processes.append(stack.start("incident", "api", FIREBREAK_PORT=ports["incident"]))
        for kind in ("consumer", "relay"):
            stack.start("postmortem", kind)
        stack.start("postmortem", "api", FIREBREAK_PORT=ports["postmortem"])
        self.incidents, self.postmortems = (f"http://127.0.0.1:{ports[s]}" for s in ("incident", "postmortem"))
        for url in (self.incidents, self.postmortems):
            wait_for(lambda u=url: requests.get(f"{u}/healthz", timeout=1).ok, timeout=30,
                     what=f"{url}\n{stack.logs()}")

    def call(self, base: str, method: str, path: str, expect: int = 200, role: str = "responder", **body):
        response = requests.request(method, f"{base}{path}", json=body or None, headers=bearer(role, "alice"),
                                    timeout=15)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def incident(self, method: str, path: str, expect: int = 200, **body) -> dict:
        return self.call(self.incidents, method, f"/v1/incidents{path}", expect, **body).json()

    def postmortem(self, method: str, path: str, expect: int = 200, **body):
        return self.call(self.postmortems, method, path, expect, **body)

    def wait_for_copy(self, incident_id: str, entries: int) -> None:
        """Until the postmortem service holds the resolved incident and all its timeline entries."""
        url = self.stack.env["FIREBREAK_POSTMORTEM_DATABASE_URL"]

        def complete():
            status = query(url, "SELECT status FROM incident_copies WHERE incident_id = :i", i=incident_id)
            count = query(url, "SELECT count(*) FROM timeline_copies WHERE incident_id = :i", i=incident_id)[0][0]
            return status and status[0][0] == "resolved" and count == entries
        wait_for(complete, timeout=30, what=f"the postmortem copy of {incident_id}\n{self.stack.logs()}")


def test_seed_flow_generated_while_the_incident_service_is_down(stack):
    s = Services(stack)
    iid = s.incident("POST", "", 201, title="<script>alert(1)</script> Checkout errors", severity="major",
                     priority="high", team="payments")["id"]
    s.incident("POST", f"/{iid}/actions/acknowledge")
    now = datetime.now(UTC)
    s.incident("POST", f"/{iid}/timeline", 201, text="Deploy 4711 went out", important=True,
               occurred_at=(now - timedelta(minutes=20)).isoformat())
    for text in ("Looking at dashboards", "Paged the database team", "Error rate at 30%"):
        s.incident("POST", f"/{iid}/timeline", 201, text=text)
    second = s.incident("POST", f"/{iid}/timeline", 201, text="Rollback of 4711 decided")
    edited_time = now - timedelta(minutes=30)
    s.incident("PATCH", f"/{iid}/timeline/{second['id']}", important=True, occurred_at=edited_time.isoformat())
    s.incident("POST", f"/{iid}/impacts", 201, start_at=(now - timedelta(minutes=25)).isoformat(),
               end_at=(now - timedelta(minutes=5)).isoformat(), description="EU checkout failing")
    s.incident("POST", f"/{iid}/actions/start")
    s.incident("POST", f"/{iid}/actions/stabilize")
    incident = s.incident("POST", f"/{iid}/actions/resolve", resolution_code="fixed",
                          resolution_summary="Rolled back 4711")
    timeline = s.incident("GET", f"/{iid}/timeline")["items"]
    s.wait_for_copy(iid, len(timeline))

    for proc in s.incident_processes:
        proc.kill()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{s.incidents}/healthz", timeout=2)

    doc = s.postmortem("POST", "/v1/postmortems", 201, incident_id=iid, timeline="important").json()
    assert [e["summary"] for e in doc["timeline"]] == ["Rollback of 4711 decided", "Deploy 4711 went out"]
    assert when(doc["timeline"][0]["occurred_at"]) == edited_time and doc["timeline"][0]["time_edited"]
    assert not doc["timeline"][1]["time_edited"]
    assert s.postmortem("POST", "/v1/postmortems", 409, incident_id=iid).json()["postmortem_id"] == doc["id"]

    everything = s.postmortem("POST", f"/v1/postmortems/{doc['id']}/regenerate", timeline="all").json()
    assert [e["id"] for e in everything["timeline"]] == [e["id"] for e in timeline]
    assert [when(e["occurred_at"]) for e in everything["timeline"]] == [when(e["occurred_at"]) for e in timeline]

    created, acked, resolved = (when(incident[k]) for k in ("created_at", "acknowledged_at", "resolved_at"))
    stable = next(when(e["occurred_at"]) for e in timeline if e["summary"].startswith("Stable"))
    markdown = s.postmortem("GET", f"/v1/postmortems/{doc['id']}?format=markdown").text
    for heading in ("Summary", "Customer impact", "Key times", "SLA outcome", "Escalation path", "Timeline",
                    "Root cause", "Detection method", "What went well", "What went wrong", "Action items"):
        assert f"## {heading}" in markdown
    assert f"Time to acknowledge: {format_duration((acked - created).total_seconds())}" in markdown
    assert f"Time to mitigate: {format_duration((stable - created).total_seconds())}" in markdown
    assert f"Time to resolve: {format_duration((resolved - created).total_seconds())}" in markdown
    assert "Total customer impact: 20m 00s" in markdown
    html = s.postmortem("GET", f"/v1/postmortems/{doc['id']}?format=html").text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Checkout errors" in html
    assert 'id="timeline"' in html and f"Time to resolve: {format_duration((resolved - created).total_seconds())}" \
        in html
    published = s.postmortem("POST", f"/v1/postmortems/{doc['id']}/publish").json()
    assert published["status"] == "published"
    s.postmortem("PATCH", f"/v1/postmortems/{doc['id']}", 409, went_well="too late")


def republish(stack, headers: dict, body: str, new_id: bool) -> None:
    headers = {**headers, "ce-id": str(uuid.uuid4())} if new_id else headers
    with Connection(stack.rabbitmq.url) as conn:
        conn.Producer(exchange=EVENTS).publish(body.encode(), routing_key=ACTION_ITEM_CREATED, headers=headers,
                                               content_type="application/json", content_encoding="utf-8",
                                               delivery_mode=2)


def test_action_item_becomes_one_follow_up_task_even_when_delivered_twice(stack):
    s = Services(stack)
    iid = s.incident("POST", "", 201, title="Queue backlog", severity="minor", priority="low")["id"]
    s.incident("POST", f"/{iid}/actions/resolve", resolution_code="fixed", resolution_summary="Drained")
    s.wait_for_copy(iid, len(s.incident("GET", f"/{iid}/timeline")["items"]))
    pid = s.postmortem("POST", "/v1/postmortems", 201, incident_id=iid).json()["id"]
    item = s.postmortem("POST", f"/v1/postmortems/{pid}/action-items", 201, title="Alert on queue depth",
                        owner="bob", due_date="2030-01-31", priority="high").json()

    def follow_ups():
        return [t for t in s.incident("GET", f"/{iid}/tasks")["items"] if t["phase"] == "follow_up"]
    [task] = wait_for(follow_ups, timeout=30, what=f"the follow-up task\n{stack.logs()}")
    assert task["description"] == "Alert on queue depth" and task["assignee"] == "bob"

    [(headers, body)] = query(stack.env["FIREBREAK_POSTMORTEM_DATABASE_URL"],
                              "SELECT headers, body FROM outbox WHERE type = :t", t=ACTION_ITEM_CREATED)
    headers = json.loads(headers) if isinstance(headers, str) else headers
    assert json.loads(body)["action_item_id"] == item["id"]
    republish(stack, headers, body, new_id=False)  # the very same event again
    republish(stack, headers, body, new_id=True)  # the same action item, announced as a new event
    incident_db = stack.env["FIREBREAK_INCIDENT_DATABASE_URL"]
    wait_for(lambda: query(incident_db, "SELECT count(*) FROM inbox WHERE type = :t", t=ACTION_ITEM_CREATED)[0][0]
             == 2, timeout=30, what=f"the second delivery\n{stack.logs()}")
    assert len(follow_ups()) == 1
