"""The pool's checkout check: no round trip for a busy, quiet connection; a ping for a doubtful one."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy.exc import DisconnectionError

from libs.common import db


class FakeDriverConnection:
    """A DB-API connection whose socket is one end of a socketpair; counts the pings it is sent."""

    def __init__(self, fails: bool = False):
        self.sock, self.server = socket.socketpair()
        self.fails = fails
        self.pings = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def cursor(self):
        connection = self

        class Cursor:
            def execute(self, _sql):
                connection.pings += 1
                if connection.fails:
                    raise OSError("server closed the connection unexpectedly")

            def close(self):
                pass

        return Cursor()

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        self.sock.close()
        self.server.close()


class Record:
    def __init__(self, checked_in: float | None):
        self.info = {} if checked_in is None else {"checked_in": checked_in}


@pytest.fixture
def conn():
    connection = FakeDriverConnection()
    yield connection
    connection.close()


def test_a_new_connection_is_not_pinged(conn):
    db._check_on_checkout(conn, Record(None), None)
    assert conn.pings == 0


def test_a_recently_returned_quiet_connection_is_not_pinged(conn):
    db._check_on_checkout(conn, Record(time.monotonic()), None)
    assert conn.pings == 0


def test_a_connection_the_server_wrote_to_while_idle_is_pinged(conn):
    conn.server.sendall(b"E")  # e.g. "terminating connection due to administrator command"
    db._check_on_checkout(conn, Record(time.monotonic()), None)
    assert conn.pings == 1


def test_a_connection_idle_for_long_is_pinged(conn):
    db._check_on_checkout(conn, Record(time.monotonic() - db.PING_AFTER_IDLE_SECONDS - 1), None)
    assert conn.pings == 1


def test_a_failed_ping_asks_the_pool_for_another_connection():
    conn = FakeDriverConnection(fails=True)
    conn.server.close()  # EOF: the server went away
    try:
        with pytest.raises(DisconnectionError):
            db._check_on_checkout(conn, Record(time.monotonic()), None)
    finally:
        conn.sock.close()


def test_a_closed_socket_asks_the_pool_for_another_connection():
    conn = FakeDriverConnection()
    conn.close()
    with pytest.raises(DisconnectionError):
        db._check_on_checkout(conn, Record(time.monotonic()), None)


def test_checkin_stamps_the_time():
    record = Record(None)
    db._stamp_checkin(None, record)
    assert time.monotonic() - record.info["checked_in"] < 60
