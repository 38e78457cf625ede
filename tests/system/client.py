"""The platform seen from outside: calls to each service's public API, and the pages people receive."""

from __future__ import annotations

import requests

from firebreak.devstack import wait_for
from firebreak.topology import Topology
from tests.integration.helpers import bearer
from tests.integration.notify_support import readme_verifier
from tests.integration.receivers import HttpReceiver, Received, SmtpReceiver

ADMIN = bearer("admin", "root")
PRIORITIES = ("critical", "high", "medium", "low")


class Platform:
    """The running topology, its receivers, and the HTTP calls the system tests make."""

    def __init__(self, topology: Topology, http: HttpReceiver, smtp: SmtpReceiver):
        self.topology, self.http, self.smtp = topology, http, smtp
        self.urls = topology.urls
        self.verify = readme_verifier()  # the signature check as services/notify/README.md documents it

    def call(self, service: str, method: str, path: str, expect: int | None = 200, **kwargs) -> requests.Response:
        response = requests.request(method, self.urls[service] + path, headers=kwargs.pop("headers", ADMIN),
                                    timeout=15, **kwargs)
        assert expect is None or response.status_code == expect, f"{method} {path}: {response.text}"
        return response

    def get(self, service: str, path: str, **params) -> dict:
        return self.call(service, "GET", path, params=params).json()

    def post(self, service: str, path: str, body: dict | None = None, expect: int = 201) -> dict:
        return self.call(service, "POST", path, expect, json=body or {}).json()

    def wait(self, what: str, predicate, timeout: float = 30):
        """Poll until predicate() is truthy (its value is returned); on timeout the processes' logs say why."""
        return wait_for(predicate, timeout=timeout, what=f"{what}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {p.service} {p.kind}\n{p.log()[-2000:]}" for p in self.topology.processes)

    def pages(self, path: str) -> list[Received]:
        return self.http.at(path)

    def emails_to(self, address: str) -> list:
        return [message for rcpt, message in list(self.smtp.messages) if address in rcpt]

    def integration(self, team: str, kind: str, **extra) -> str:
        """An integration whose alerts all go to `team` (a catch-all routing rule); returns its key."""
        body = {"name": team, "kind": kind, "routing_rules": [{"matchers": [], "team": team}], **extra}
        return self.post("incident", "/v1/integrations", body)["key"]

    def on_call(self, team: str, first: str, second: str, first_timeout: int, second_timeout: int) -> None:
        """`first` is paged at once, `second` after first_timeout; unacknowledged, `first` again after
        second_timeout (repeat 1), so a page after an acknowledgement would show."""
        self.post("escalation", "/v1/teams", {"name": team, "members": [{"user": first}, {"user": second}]})
        self.post("escalation", "/v1/escalation-policies", {"name": team, "team": team, "repeat": 1, "steps": [
            {"targets": [{"kind": "user", "id": first}], "timeout_seconds": first_timeout},
            {"targets": [{"kind": "user", "id": second}], "timeout_seconds": second_timeout}]})

    def contact(self, user: str, *methods: dict) -> None:
        self.post("notify", "/v1/contacts", {"user": user, "methods": list(methods)})

    def sla_policy(self, team: str, response: int, resolution: int) -> None:
        targets = {p: {"response": response, "resolution": resolution} for p in PRIORITIES}
        self.post("sla", "/v1/sla/policies", {"name": team, "team": team, "targets": targets})

    def announce(self, team: str, event: str, path: str, secret: str) -> None:
        """A notification rule sending the team's `event` announcements to a webhook."""
        self.post("notify", "/v1/notification-rules", {"name": f"{team}-{event}", "event_types": [event],
                  "teams": [team], "recipients": [{"channel": "webhook", "address": self.http.url + path,
                                                   "secret": secret}]})

    def incident(self, incident_id: str) -> dict:
        return self.get("incident", f"/v1/incidents/{incident_id}")

    def sla(self, incident_id: str) -> dict | None:
        response = self.call("sla", "GET", f"/v1/sla/incidents/{incident_id}", expect=None)
        return response.json() if response.status_code == 200 else None

    def escalation(self, incident_id: str) -> dict | None:
        response = self.call("escalation", "GET", "/v1/escalations", expect=None, params={"incident_id": incident_id})
        return response.json() if response.status_code == 200 else None

    def signed(self, page: Received, secret: str) -> bool:
        return self.verify(secret, page.body, page.headers.get("Firebreak-Signature", ""))
