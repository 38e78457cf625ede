"""Row locks on escalation step timers, taken before chain rows so schedulers and consumers never deadlock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from libs.common.envelope import utcnow
from libs.common.timers import TimerStore

STEP_TIMER = "escalation.step"


def lock_step_timers(session: Session, store: TimerStore, chain_ids: list[str]) -> dict[str, tuple[datetime, Any]]:
    """Lock the step timers of these chains (FOR UPDATE); each one's due_at and payload by chain id."""
    if not chain_ids:
        return {}
    keys = [(STEP_TIMER, chain_id) for chain_id in sorted(chain_ids)]
    return {key: value for (_, key), value in store.lock(session, keys).items()}



def add_step_timer(session: Session, store: TimerStore, chain_id: str, due_at: datetime, payload: Any) -> None:
    """Set the step timer of a chain this transaction inserted: no earlier timer can exist to replace."""
    session.execute(store.table.insert(), {"kind": STEP_TIMER, "key": chain_id, "due_at": due_at,
                                           "payload": payload, "attempts": 0, "created_at": utcnow()})
