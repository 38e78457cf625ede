"""The calls to the outside world: HTTP POST of JSON (webhooks and chat), SMTP e-mail, Apprise."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from ipaddress import IPv4Network, IPv6Network, ip_address
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from libs.common.jobs import PermanentFailure

USER_AGENT = "Firebreak-Notify/1"
RETRYABLE_STATUS = (408, 425, 429)


class _NoRedirects(HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: a webhook moved must be re-entered (and re-checked)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = build_opener(_NoRedirects)


class DeliveryError(Exception):
    """A failed call worth retrying (network trouble, a timeout, a 5xx, a 429)."""


class HttpSender:
    """POSTs JSON with a timeout: 2xx succeeds, 408/425/429/5xx retry, other statuses and denied hosts are final."""

    # Private and loopback targets are allowed (self-hosted installs deliver inside their own network);
    # `deny` (FIREBREAK_NOTIFY_DENY_CIDRS) refuses hosts resolving into any of those networks.

    def __init__(self, timeout: float = 10.0, deny: tuple[IPv4Network | IPv6Network, ...] = ()):
        self.timeout, self.deny = timeout, deny

    def _check_host(self, host: str | None) -> None:
        if not self.deny or not host:
            return
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except OSError as exc:
            raise DeliveryError(f"cannot resolve {host}: {exc}") from None
        for address in addresses:
            ip = ip_address(address.split("%")[0])
            if any(ip in network for network in self.deny):
                raise PermanentFailure(f"{host} resolves to {ip}, in a denied network")

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> dict:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise PermanentFailure(f"not an http(s) URL: {url[:100]}")
        self._check_host(parts.hostname)
        request = Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:  # scheme checked above
                response.read(65536)
                return {"status": response.status}
        except HTTPError as exc:
            detail = exc.read(300).decode(errors="replace").strip()
            message = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
            if exc.code in RETRYABLE_STATUS or exc.code >= 500:
                raise DeliveryError(message) from None
            raise PermanentFailure(message) from None
        except (URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None


class SmtpSender:
    """Sends plain-text mail through FIREBREAK_SMTP_URL: smtp://[user:pass@]host[:port][?starttls=…] or smtps://."""

    # smtp: port 25 by default, 587 implies STARTTLS, starttls=auto upgrades when offered; smtps: TLS, port 465.

    def __init__(self, url: str | None, sender: str, timeout: float = 10.0):
        self.url, self.sender, self.timeout = url, sender, timeout

    def send(self, to: str, subject: str, text: str, idempotency_key: str) -> dict:
        if not self.url:
            raise PermanentFailure("no SMTP server configured (FIREBREAK_SMTP_URL)")
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise PermanentFailure("FIREBREAK_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        message = EmailMessage()
        message["From"] = unquote(options.get("from", "")) or self.sender
        message["To"] = to
        message["Subject"] = subject.replace("\n", " ")[:900]
        message["Message-ID"] = make_msgid(idstring=idempotency_key.replace(":", "-")[:60], domain="firebreak")
        message["X-Firebreak-Idempotency-Key"] = idempotency_key
        message.set_content(text)
        try:
            with self._connect(parts, options) as smtp:
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if refused:
            raise PermanentFailure(f"recipient refused: {refused}")
        return {"message_id": message["Message-ID"]}

    def _connect(self, parts, options: dict[str, str]) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if parts.scheme == "smtps":
            return smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=self.timeout)
        mode = options.get("starttls", "true" if parts.port == 587 else "auto")
        smtp.ehlo()
        if mode in ("true", "1", "yes") or (mode == "auto" and smtp.has_extn("starttls")):
            smtp.starttls(context=context)
            smtp.ehlo()
        return smtp


class AppriseSender:
    """Hands a title and body to Apprise, which knows the URL's service (ntfy, Telegram, Discord, json://…)."""

    def send(self, url: str, title: str, body: str) -> dict:
        import apprise  # heavy: loads its plugins; only the worker needs it

        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise PermanentFailure("Apprise does not understand this URL")
        if not notifier.notify(body=body, title=title):
            raise DeliveryError("Apprise could not deliver the message (see the worker log)")
        return {"delivered": True}
