"""A real SMTP server on loopback (aiosmtpd) with AUTH, and optionally STARTTLS or implicit TLS."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.certs import self_signed

USER, PASSWORD = "mailer", "s3cret-pw"


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    port: int = 0
    client_context: ssl.SSLContext | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(tmp: Path, security: str = "none") -> Iterator[Inbox]:
    """Serve on a free loopback port; ``security`` is ``none``, ``starttls`` or ``ssl``."""
    inbox = Inbox()
    # implicit TLS is invisible to aiosmtpd, so AUTH is only held back until STARTTLS
    kwargs: dict[str, Any] = {"authenticator": _auth, "auth_require_tls": security == "starttls"}
    if security in ("starttls", "ssl"):
        cert, key = self_signed(tmp, "localhost")
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = ssl.create_default_context(cafile=str(cert))
        inbox.client_context = client_ctx
        if security == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=server_ctx)
    inbox.port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, server_hostname="localhost", **kwargs
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
