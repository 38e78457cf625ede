"""The named-resource helper on PostgreSQL: racing writers get a 409 problem, never a 500 or a lost update."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from libs.common.catalog import EventCatalog, EventSpec, publishes
from libs.common.clock import FakeClock
from libs.common.errors import Conflict
from libs.common.resources import Change, Resource
from libs.common.runtime import ServiceRuntime
from libs.common.uow import UnitOfWork
from tests.unit.common.test_resources import CHANGED, TEAMS, TeamChangedSchema, bus, metadata, teams

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(postgres):
    engine = create_engine(postgres.create_database("resources_" + uuid.uuid4().hex[:10]))
    metadata.create_all(engine)
    catalog = EventCatalog("escalation", publishes=publishes(EventSpec(CHANGED, TeamChangedSchema, "A team changed.")))
    yield ServiceRuntime(None, engine, sessionmaker(engine), metadata, bus, catalog,
                         FakeClock(datetime(2026, 3, 1, tzinfo=UTC)))
    engine.dispose()


def outcome(call) -> str:
    try:
        call()
        return "ok"
    except Conflict as exc:
        return f"409 {exc.detail}"


def test_two_creates_of_one_name_make_one_row_and_one_conflict(runtime):
    both_checked = threading.Barrier(2, timeout=30)

    def wait_for_the_other(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TEAMS"):
            both_checked.wait()  # both passed every check (the name was free) before either inserts

    event.listen(runtime.engine, "before_cursor_execute", wait_for_the_other)
    try:
        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(lambda _: outcome(lambda: TEAMS.create(UnitOfWork(runtime), {
                "name": "payments", "members": []})), range(2)))
    finally:
        event.remove(runtime.engine, "before_cursor_execute", wait_for_the_other)
    assert results[0] == "409 another team with this name or key was just saved; reload and retry"
    assert results[1] == "ok"
    assert [t["name"] for t in TEAMS.list(UnitOfWork(runtime))["items"]] == ["payments"]


def test_two_writers_with_one_if_match_make_one_change_and_one_conflict(runtime):
    TEAMS.create(UnitOfWork(runtime), {"name": "payments", "members": []})

    def slow(change: Change) -> dict:
        time.sleep(0.3)  # widen the window a missing row lock would lose an update in
        return change.values

    racing = Resource(teams, "team", lookup=("name", "id"), validate=slow)
    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda user: outcome(lambda: racing.replace(
            UnitOfWork(runtime), "payments", {"name": "payments", "members": [user]}, expected=1)), ["a", "b"]))
    assert results[0].startswith("409 the team changed: you sent version 1, it is now at 2")
    assert results[1] == "ok"
    assert TEAMS.get(UnitOfWork(runtime), "payments")["version"] == 2
