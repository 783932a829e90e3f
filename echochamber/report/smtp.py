"""Sending over SMTP: STARTTLS, implicit TLS or plain, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from echochamber.errors import ReportError


def send_message(
    msg: EmailMessage,
    *,
    host: str,
    port: int,
    security: str = "starttls",
    username: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> None:
    """Send ``msg``; any failure becomes one :class:`ReportError` line (never the password)."""
    ctx = context or ssl.create_default_context()
    where = f"SMTP {host}:{port} ({security})"
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ctx)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            client.ehlo()
            if security == "starttls":
                client.starttls(context=ctx)
                client.ehlo()
            if username:
                if password is None:
                    raise ReportError(
                        f"{where}: report.email.username is set but "
                        "ECHOCHAMBER_SMTP_PASSWORD is not"
                    )
                client.login(username, password)
            refused = client.send_message(msg)
            if refused:
                raise ReportError(f"{where}: recipients refused: {', '.join(refused)}")
    except smtplib.SMTPAuthenticationError as exc:
        raise ReportError(f"{where}: login as {username!r} refused ({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise ReportError(f"{where}: {type(exc).__name__}: {str(exc)[:200]}") from None
    except (OSError, ssl.SSLError) as exc:
        raise ReportError(f"{where}: cannot connect: {exc}") from None
