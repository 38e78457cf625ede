"""The whole lifecycle on the `make up` topology, once per real sender: alert → incident → SLA clocks →
escalation steps → pages by e-mail and signed webhook → acknowledged through the page's ack_url → resolved →
postmortem generated, reviewed and published, and its publication announced."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.senders import fixture
from tests.system.client import PRIORITIES, Platform

pytestmark = pytest.mark.system

# Alice is paged at once and bob after FIRST seconds; after bob's SECOND seconds an unanswered chain pages
# alice again. SECOND leaves room for the acknowledgement to cross three services before that would happen.
FIRST, SECOND = 2, 8
SENDERS = {
    "alertmanager": ("alertmanager-v4-firing.json", "/v1/alerts/alertmanager"),
    "grafana": ("grafana-webhook-firing.json", "/v1/alerts/grafana"),
    "datadog": ("datadog-webhook-triggered.json", "/v1/alerts/datadog"),
    "pagerduty": ("pagerduty-v2-trigger.json", "/v2/enqueue"),
}


def send_alert(p: Platform, kind: str, key: str, name: str | None = None) -> requests.Response:
    """The sender's payload unchanged, but for PagerDuty's routing_key, which is where its key goes."""
    name, path = (name, "/v2/enqueue") if name else SENDERS[kind]
    body = fixture(name)
    headers = {"X-Firebreak-Key": key}
    if kind == "pagerduty":
        body["routing_key"], headers = key, {}
    return requests.post(p.urls["incident"] + path, json=body, headers=headers, timeout=15)


def the_incident_of(p: Platform, team: str) -> dict:
    [incident] = p.wait("the incident", lambda: p.get("incident", "/v1/incidents", team=team)["items"])
    return incident


@pytest.fixture(scope="module")
def lifecycles(platform: Platform):
    """The four senders' lifecycles, run at once on the shared platform: most of each is waiting for a step
    timeout, and the waits overlap. Each test takes its sender's outcome (re-raising its failed assertion);
    all four run even when `-k` selects one."""
    with ThreadPoolExecutor(len(SENDERS)) as pool:
        yield {kind: pool.submit(lifecycle, platform, kind) for kind in SENDERS}


@pytest.mark.parametrize("kind", SENDERS)
def test_alert_to_published_postmortem(lifecycles, kind: str):
    lifecycles[kind].result(timeout=300)


def lifecycle(p: Platform, kind: str) -> None:
    team = f"sys-{kind}"
    alice, bob = f"{team}-alice", f"{team}-bob"
    secrets = {alice: f"{alice}-s3cret", bob: f"{bob}-s3cret"}
    p.on_call(team, alice, bob, FIRST, SECOND)
    p.contact(alice, {"kind": "webhook", "address": f"{p.http.url}/{alice}", "secret": secrets[alice]})
    p.contact(bob, {"kind": "webhook", "address": f"{p.http.url}/{bob}", "secret": secrets[bob]},
              {"kind": "email", "address": f"{bob}@example.com"})
    # Response due 1 s after declaration: nobody acknowledges that fast here, so it is late, deterministically.
    p.sla_policy(team, response=1, resolution=3600)
    p.announce(team, "postmortem_published", f"/{team}/announce", "announce-s3cret")
    key = p.integration(team, kind)

    # The alert opens an incident for the team.
    accepted = send_alert(p, kind, key)
    assert accepted.status_code == 202, accepted.text
    incident = the_incident_of(p, team)
    if kind != "pagerduty":
        assert accepted.json()["incidents"] == [incident["id"]]
    iid = incident["id"]
    assert incident["status"] == "new" and incident["team"] == team and incident["acknowledged_at"] is None

    # The SLA service started both clocks under the team's policy.
    sla = p.wait("the SLA clocks", lambda: p.sla(iid))
    assert sla["policy"]["name"] == team and set(sla["targets"]) == {"response", "resolution"}
    assert sla["targets"]["resolution"]["state"] == "ok" and sla["targets"]["resolution"]["target_seconds"] == 3600

    # Step 1 pages alice at once; step 2 pages bob after FIRST seconds, by webhook and e-mail.
    state = p.wait("step 1", lambda: (s := p.escalation(iid)) and s["items"] and s)
    assert state["status"] == "active" and state["items"][0]["steps"][0]["users"] == [alice]
    [alice_page] = p.wait("alice's page", lambda: p.pages(f"/{alice}"))
    [bob_page] = p.wait("bob's page", lambda: p.pages(f"/{bob}"))
    bob_paged = time.monotonic()
    for page, user in ((alice_page, alice), (bob_page, bob)):
        assert p.signed(page, secrets[user]) and page.headers["Idempotency-Key"]
        assert page.json()["incident"]["id"] == iid and page.json()["ack_url"]
    [email] = p.wait("bob's e-mail", lambda: p.emails_to(f"{bob}@example.com"))
    assert bob_page.json()["ack_url"] in email.get_content()
    steps = p.escalation(iid)["items"][0]["steps"]
    assert [s["users"] for s in steps] == [[alice], [bob]]

    # Bob acknowledges through the link in his page: the incident is his, the chain stops. Opening the link
    # (what a mail scanner does) only shows the confirmation page.
    ack_url = bob_page.json()["ack_url"]
    assert requests.get(ack_url, timeout=15).status_code == 200 and p.incident(iid)["acknowledged_at"] is None
    done = requests.post(ack_url, headers={"Accept": "application/json"}, timeout=15)
    assert done.status_code == 200 and done.json()["acknowledged"] is True, done.text
    incident = p.wait("the acknowledgement", lambda: (i := p.incident(iid))["acknowledged_at"] and i)
    assert incident["status"] != "resolved"
    timeline = p.get("incident", f"/v1/incidents/{iid}/timeline")["items"]
    assert [e["actor"] for e in timeline if e["kind"] == "acknowledged"] == [bob]
    p.wait("the chain to stop", lambda: p.escalation(iid)["status"] == "acknowledged")

    # Resolved through the incident API; the SLA records a late response and a resolution in time.
    p.post("incident", f"/v1/incidents/{iid}/actions/resolve",
           {"resolution_code": "fixed", "resolution_summary": "Restarted the node"}, expect=200)
    assert p.incident(iid)["status"] == "resolved"
    sla = p.wait("the clocks to stop", lambda: (s := p.sla(iid))["targets"]["resolution"]["state"] == "met" and s)
    assert sla["targets"]["response"]["state"] == "met_late"

    # The postmortem: generated once the postmortem service has the resolved incident, reviewed, published.
    doc = p.wait("the postmortem", lambda: (r := p.call("postmortem", "POST", "/v1/postmortems", None,
                                                        json={"incident_id": iid})).status_code == 201 and r.json())
    assert doc["status"] == "draft" and doc["incident_id"] == iid and doc["key_times"]["acknowledged"]
    assert doc["text"]["root_cause"] == "Restarted the node"
    # The escalation path comes from escalation's events, which may still be on their way: regenerate until in.
    def paged_in_postmortem():
        regenerated = p.post("postmortem", f"/v1/postmortems/{doc['id']}/regenerate", expect=200)
        return [s["users"] for s in regenerated["escalation_path"] if s.get("users")] == [[alice], [bob]]
    p.wait("the escalation path", paged_in_postmortem)
    assert p.post("postmortem", f"/v1/postmortems/{doc['id']}/review", expect=200)["status"] == "in_review"
    assert p.post("postmortem", f"/v1/postmortems/{doc['id']}/publish", expect=200)["status"] == "published"
    listed = p.get("postmortem", "/v1/postmortems", incident_id=iid)["items"]
    assert [(d["id"], d["status"]) for d in listed] == [(doc["id"], "published")]

    # postmortem.published crossed the bus: notify announced it to the team's webhook.
    [announced] = p.wait("the publication announced", lambda: p.pages(f"/{team}/announce"))
    assert p.signed(announced, "announce-s3cret") and announced.json()["incident"]["id"] == iid

    # Past bob's step timeout: a chain still running would have paged alice again by now.
    time.sleep(max(0.0, bob_paged + SECOND + 1 - time.monotonic()))
    assert len(p.pages(f"/{alice}")) == 1 and len(p.pages(f"/{bob}")) == 1
    assert len(p.emails_to(f"{bob}@example.com")) == 1
    assert [s["users"] for s in p.escalation(iid)["items"][0]["steps"]] == [[alice], [bob]]
    log = p.get("notify", "/v1/notifications", incident_id=iid)["items"]
    pages = sorted((d["recipient"], d["method_kind"], d["status"]) for d in log if d["category"] == "page")
    assert pages == [(alice, "webhook", "sent"), (bob, "email", "sent"), (bob, "webhook", "sent")]


def test_pagerduty_resolve_resolves_its_incident(platform: Platform):
    p, team = platform, "sys-pagerduty-resolve"
    key = p.integration(team, "pagerduty")
    assert send_alert(p, "pagerduty", key).status_code == 202
    iid = the_incident_of(p, team)["id"]
    resolved = send_alert(p, "pagerduty", key, "pagerduty-v2-resolve.json")
    assert resolved.status_code == 202 and resolved.json()["dedup_key"] == "db-primary-replication-lag"
    incident = p.incident(iid)
    assert incident["status"] == "resolved" and incident["resolution_code"] == "fixed"
    sla = p.wait("the resolution clock to stop", lambda: (s := p.sla(iid)) and s["targets"]["resolution"]["state"]
                 in ("met", "met_late") and s)
    assert sla["priority"] in PRIORITIES
