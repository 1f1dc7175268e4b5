"""Mail over SMTP (aiosmtplib): a subject, a plain-text body and an HTML alternative.

The server is the operator's (LOOKOUT_SMTP_*), never the user's, so it is not guarded.
TLS: `tls` (implicit, port 465), `starttls` (required), `none`, or unset: STARTTLS when
the server offers it, plain otherwise.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from lookout.notify.base import DeliveryFailed, Outgoing


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    sender: str = "lookout@localhost"
    tls: str | None = None  # "starttls" | "tls" | "none" | None (opportunistic)
    timeout_s: float = 30.0
    ca_file: str | None = None


class MailChannel:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.rendered.subject
        mail["From"] = self._config.sender
        mail["To"] = str(message.destination.get("mail", ""))
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain="lookout")
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.rendered.text)
        mail.add_alternative(message.rendered.html, subtype="html")
        return mail

    async def send(self, message: Outgoing) -> None:
        config = self._config
        if not config.host:
            raise DeliveryFailed("no SMTP server configured (LOOKOUT_SMTP_HOST)")
        use_tls = config.tls == "tls"
        start_tls: bool | None = {"starttls": True, "none": False, "tls": False}.get(config.tls or "")
        context = ssl.create_default_context(cafile=config.ca_file) if config.ca_file else None
        port = config.port or (465 if use_tls else 25)
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=config.host,
                port=port,
                username=config.user or None,
                password=config.password or None,
                use_tls=use_tls,
                start_tls=start_tls,
                timeout=config.timeout_s,
                tls_context=context,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"recipient refused: {list(exc.recipients)[:1]}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}") from None
