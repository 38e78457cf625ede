"""Who receives a message and how: contacts' methods, a team's members, a bare channel address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from services.notify.domain.timing import QuietHours


@dataclass(frozen=True)
class Target:
    """One (recipient, method): where to send and with what delay and quiet hours."""

    recipient: str
    user: str | None
    kind: str
    address: str
    secret: str | None = None
    delay_seconds: float = 0
    quiet: QuietHours | None = None
    teams: tuple[str, ...] = ()

    @property
    def shown_address(self) -> str:
        """The address as the delivery log shows it: URLs cut to scheme and host (their paths hold tokens)."""
        if self.kind == "email":
            return self.address
        parts = urlsplit(self.address)
        return f"{parts.scheme}://{parts.hostname or ''}/…" if parts.scheme else self.address[:20] + "…"


def of_contact(contact: dict[str, Any]) -> list[Target]:
    """A contact's methods as targets, in the order given."""
    quiet = QuietHours.parse(contact.get("quiet_hours"))
    teams = tuple(contact.get("teams") or ())
    return [Target(contact["user"], contact["user"], m["kind"], m["address"], m.get("secret"),
                   float(m.get("delay_seconds") or 0), quiet, teams) for m in contact.get("methods") or []]


def resolve(uow, recipients: list[dict[str, Any]]) -> list[Target]:
    """Targets of `{"contact"}`, `{"team"}` (members and contacts listing it), `{"channel", "address"}`; each once."""
    users = [r["contact"] for r in recipients if r.get("contact")]
    found = uow.contacts.by_users(users) if users else {}
    targets: list[Target] = []
    for item in recipients:
        if item.get("contact") and item["contact"] in found:
            targets += of_contact(found[item["contact"]])
        elif item.get("team"):
            for contact in uow.contacts.by_team(item["team"], uow.teams.members(item["team"])):
                targets += of_contact(contact)
        elif item.get("channel") and item.get("address"):
            targets.append(Target(f"{item['channel']} channel", None, item["channel"], item["address"],
                                  item.get("secret")))
    unique: dict[tuple[str, str, str], Target] = {}
    for target in targets:
        unique.setdefault((target.recipient, target.kind, target.address), target)
    return list(unique.values())
