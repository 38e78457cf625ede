"""Teams: members with roles, and the parent chain used by hierarchical escalation."""

from __future__ import annotations

from collections.abc import Mapping

ROLES = ("member", "lead")


class HierarchyCycle(ValueError):
    """Setting this parent would make a team its own ancestor."""

    def __init__(self, path: list[str]):
        super().__init__(" → ".join(path))
        self.path = path


def check_parent(parents: Mapping[str, str | None], team: str, parent: str | None) -> None:
    """Refuse a parent that is the team itself or one of its descendants; `parents` maps team → parent."""
    path = [team]
    current = parent
    while current is not None:
        path.append(current)
        if current == team:
            raise HierarchyCycle(path)
        if len(path) > len(parents) + 2:
            raise HierarchyCycle(path)  # an existing loop: never walk it for ever
        current = parents.get(current)


def ancestors(parents: Mapping[str, str | None], team: str) -> list[str]:
    """The team's parent, grandparent, … up to the top."""
    out: list[str] = []
    current = parents.get(team)
    while current is not None and current not in out and current != team:
        out.append(current)
        current = parents.get(current)
    return out


def users_of(members: list[dict], role: str | None = None) -> list[str]:
    """The team's users in order, or only those with `role`."""
    return [m["user"] for m in members if role is None or m.get("role", "member") == role]
