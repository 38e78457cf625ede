"""The senders against real servers on 127.0.0.1: SMTP (aiosmtpd) and HTTP (status classes, redirects, deny list)."""

from __future__ import annotations

import socket
from ipaddress import ip_network

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from libs.common.jobs import PermanentFailure
from services.notify.adapters.senders import DeliveryError, HttpSender, SmtpSender
from tests.integration.receivers import Behaviour, HttpReceiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.mail, self.logins = [], []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 - aiosmtpd's name
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.mail.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
        return "250 accepted"

    def authenticate(self, server, session, envelope, mechanism, data):
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"p@ss word")


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def test_sends_with_credentials_and_the_sender_from_the_url(smtp):
    inbox, port = smtp
    sender = SmtpSender(f"smtp://pager:p%40ss%20word@127.0.0.1:{port}?starttls=false&from=ops%40example.com",
                        "fallback@localhost")
    sender.send("alice@example.com", "PAGE [INC-1] DB down", "You are paged", "d:key")
    assert inbox.logins == [("pager", "p@ss word")]
    ((mail_from, to, content),) = inbox.mail
    assert (mail_from, to) == ("ops@example.com", ["alice@example.com"])
    assert "Subject: PAGE [INC-1] DB down" in content and "X-Firebreak-Idempotency-Key: d:key" in content


def test_a_refused_recipient_is_permanent_and_an_outage_is_retried(smtp):
    inbox, port = smtp
    with pytest.raises(PermanentFailure, match="refused"):
        SmtpSender(f"smtp://127.0.0.1:{port}", "f@x").send("nobody@example.com", "s", "b", "k")
    with pytest.raises(DeliveryError):
        SmtpSender(f"smtp://127.0.0.1:{free_port()}", "f@x").send("a@example.com", "s", "b", "k")
    with pytest.raises(PermanentFailure, match="FIREBREAK_SMTP_URL"):
        SmtpSender(None, "f@x").send("a@example.com", "s", "b", "k")


def test_a_denied_network_is_refused_before_any_call():

    sender = HttpSender(1.0, (ip_network("127.0.0.0/8"),))
    with pytest.raises(PermanentFailure, match="denied"):
        sender.post("http://127.0.0.1:9/hook", b"{}", {})
    with pytest.raises(PermanentFailure, match="http"):
        HttpSender().post("file:///etc/passwd", b"{}", {})


def test_redirects_are_not_followed_and_statuses_are_classified():
    receiver = HttpReceiver()
    try:
        for path, status in (("/moved", 302), ("/gone", 404), ("/busy", 429), ("/down", 503)):
            receiver.behaviours[path] = Behaviour(always_status=status)
        sender = HttpSender(2.0)
        assert sender.post(f"{receiver.url}/ok", b"{}", {"Idempotency-Key": "k"}) == {"status": 200}
        assert receiver.at("/ok")[0].headers["Idempotency-Key"] == "k"
        for path in ("/moved", "/gone"):
            with pytest.raises(PermanentFailure):
                sender.post(f"{receiver.url}{path}", b"{}", {})
        for path in ("/busy", "/down"):
            with pytest.raises(DeliveryError):
                sender.post(f"{receiver.url}{path}", b"{}", {})
    finally:
        receiver.close()
