"""Gathers one SMTP probe with aiosmtplib: banner, EHLO, TLS, MAIL FROM:<> and RCPT; never DATA.

It connects only to the addresses it is given (the caller has checked them with handlers.netguard)
and writes what it sees into a Transcript as it goes; judging what that means is `judge`'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import socket
import ssl
from collections.abc import Callable, Sequence

import aiosmtplib
from aiosmtplib import SMTP, SMTPResponse

from handlers.request import HandlerSettings
from handlers.smtp_probe.tls import certificate, tls_context
from handlers.smtp_probe.transcript import Answer, Attempt, Certificate, Transcript

MAX_ADDRESSES = 2
"""Addresses tried before giving up when TCP connections fail (each may cost a whole timeout)."""

VERIFY, NO_VERIFY, PLAIN = "verify", "no-verify", "plain"


def _answer(response: SMTPResponse) -> Answer:
    return Answer(int(response.code), response.message)


class _Retry(Exception):
    """The TLS step failed: start a new session in `mode`."""

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode


class Session:
    """One probe of one MX host; `run` fills `transcript`."""

    def __init__(
        self, transcript: Transcript, settings: HandlerSettings, clock: Callable[[], float]
    ) -> None:
        self.t = transcript
        self.settings = settings
        self.clock = clock

    async def run(self, addresses: Sequence[str]) -> None:
        for address in addresses[:MAX_ADDRESSES]:
            sock = await self._open(address)
            if sock is None:
                continue
            self.t.address = address
            mode: str | None = VERIFY
            while sock is not None and mode is not None:
                mode = await self._converse(sock, mode)
                sock = await self._open(address) if mode is not None else None
            return

    async def _open(self, address: str) -> socket.socket | None:
        ip = ipaddress.ip_address(address)
        sock = socket.socket(socket.AF_INET6 if ip.version == 6 else socket.AF_INET)
        sock.setblocking(False)
        self.t.stage = "connect"
        try:
            async with asyncio.timeout(self.t.timeout):
                await asyncio.get_running_loop().sock_connect(sock, (str(ip), self.t.port))
        except TimeoutError:
            sock.close()
            self.t.failed.append(Attempt(address, "timeout"))
            return None
        except ConnectionRefusedError:
            sock.close()
            self.t.failed.append(Attempt(address, "refused"))
            return None
        except OSError as exc:
            sock.close()
            self.t.failed.append(Attempt(address, "unreachable", exc.strerror or str(exc)))
            return None
        return sock

    async def _converse(self, sock: socket.socket, mode: str) -> str | None:
        """One SMTP session; `mode` says how to treat TLS. Returns the mode to try again with
        (after a TLS failure), or None when done."""
        t, implicit = self.t, self.t.port == 465
        smtp = SMTP(
            hostname=t.mx_host,
            sock=sock,
            local_hostname=self.settings.probe_helo,
            timeout=t.timeout,
            start_tls=False,
            use_tls=implicit and mode != PLAIN,
            tls_context=tls_context(self.settings, verify=mode == VERIFY) if implicit else None,
        )
        try:
            if not await self._greet(smtp, mode):
                return None
            if mode != PLAIN:
                await self._tls(smtp, mode, implicit)
            await self._recipient(smtp)
            await self._quit(smtp)
        except _Retry as retry:
            return retry.mode
        except aiosmtplib.SMTPTimeoutError as exc:
            t.aborted = str(exc) or "timeout"
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            t.aborted = str(exc) or "disconnected"
        except aiosmtplib.SMTPException as exc:
            t.aborted = str(exc)
        finally:
            if isinstance(smtp.transport, asyncio.Transport):
                smtp.transport.abort()  # at once: no waiting for a TLS close_notify
            smtp.close()
            await asyncio.sleep(0)  # let the transport give the socket back before it is reused
            sock.close()
        return None

    async def _greet(self, smtp: SMTP, mode: str) -> bool:
        """Banner and EHLO; False when the session cannot go on."""
        t, first = self.t, mode == VERIFY
        t.stage = "banner"
        started = self.clock()
        try:
            banner = await smtp.connect()
        except aiosmtplib.SMTPConnectError as exc:
            cause = exc.__cause__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise self._retry_after_tls(cause) from exc
            if not first:  # a second session after a TLS failure: keep what the first one saw
                t.stage, t.aborted = "banner", str(exc) or type(exc).__name__
            elif isinstance(exc, aiosmtplib.SMTPConnectResponseError):
                t.banner = Answer(exc.code, exc.message)
            elif isinstance(exc, aiosmtplib.SMTPConnectTimeoutError):
                t.banner_timeout = True
            elif isinstance(cause, ssl.SSLError):
                t.tls_error = str(cause)
            else:
                t.failed.append(Attempt(t.address or "", "closed", str(exc)))
                t.address = None
            return False
        if first:
            t.banner, t.banner_seconds = _answer(banner), self.clock() - started
        t.stage = "ehlo"
        try:
            ehlo = await smtp.ehlo()
        except aiosmtplib.SMTPHeloError as exc:
            t.ehlo, t.helo_only = Answer(exc.code, exc.message), True
            await smtp.helo()
            return True
        if first:
            t.ehlo = _answer(ehlo)
            t.extensions = dict(smtp.esmtp_extensions)
            t.starttls_offered = smtp.supports_extension("starttls")
        return True

    async def _tls(self, smtp: SMTP, mode: str, implicit: bool) -> None:
        """STARTTLS (or the implicit TLS of port 465) and the certificate; _Retry when it fails."""
        t = self.t
        if not implicit:
            if not smtp.supports_extension("starttls"):
                return
            t.stage = "starttls"
            try:
                await smtp.starttls(
                    server_hostname=t.mx_host,
                    tls_context=tls_context(self.settings, verify=mode == VERIFY),
                )
            except ssl.SSLCertVerificationError as exc:
                raise self._retry_after_tls(exc) from exc
            except aiosmtplib.SMTPResponseException as exc:
                t.tls_error = str(Answer(exc.code, exc.message))
                return  # refused STARTTLS: the plain session goes on
            except (ssl.SSLError, aiosmtplib.SMTPException, ConnectionError) as exc:
                t.tls_error = str(exc) or type(exc).__name__
                raise _Retry(PLAIN) from exc
            t.stage = "ehlo after starttls"
            await smtp.ehlo()
        if mode == VERIFY:
            t.tls = certificate(smtp.get_transport_info("ssl_object"))

    def _retry_after_tls(self, exc: ssl.SSLCertVerificationError) -> _Retry:
        """Note why the certificate failed, then go on over unverified TLS, as most senders do."""
        self.t.tls = Certificate(
            version="",
            verified=False,
            error=str(exc.verify_message or exc.reason or exc),
            error_code=int(exc.verify_code or 0),
        )
        return _Retry(NO_VERIFY)

    async def _recipient(self, smtp: SMTP) -> None:
        """MAIL FROM:<> and RCPT TO:<rcpt>; if accepted, the same for a made-up address."""
        t = self.t
        if t.rcpt is None:
            return
        options: tuple[bytes, ...] = ()
        if not t.rcpt.isascii():
            if not smtp.supports_extension("smtputf8"):
                t.rcpt_not_ascii = True
                return
            options = (b"SMTPUTF8",)
        t.stage = "mail"
        t.mail = _answer(await smtp.execute_command(b"MAIL", b"FROM:<>", *options))
        if t.mail.code != 250:
            return
        t.stage = "rcpt"
        t.rcpt_answer = await self._rcpt(smtp, t.rcpt)
        if not 200 <= t.rcpt_answer.code < 300:
            return
        domain = t.rcpt.rpartition("@")[2]
        t.decoy = f"mailtriage-nx-{secrets.token_hex(6)}@{domain}"
        t.stage = "rset"
        await smtp.execute_command(b"RSET")
        if (await smtp.execute_command(b"MAIL", b"FROM:<>", *options)).code == 250:
            t.stage = "rcpt"
            t.decoy_answer = await self._rcpt(smtp, t.decoy)
        t.stage = "rset"
        await smtp.execute_command(b"RSET")

    @staticmethod
    async def _quit(smtp: SMTP) -> None:
        """Say goodbye; a server that hangs up first has told us everything already."""
        with contextlib.suppress(aiosmtplib.SMTPException, ConnectionError):
            await smtp.execute_command(b"QUIT")

    @staticmethod
    async def _rcpt(smtp: SMTP, address: str) -> Answer:
        return _answer(await smtp.execute_command(b"RCPT", b"TO:<" + address.encode() + b">"))
