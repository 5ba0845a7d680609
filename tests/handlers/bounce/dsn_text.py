"""A small RFC 3464 delivery report for one recipient, written for the bounce tests."""

from __future__ import annotations

from handlers.bounce import classify_text


def dsn(
    diagnostic: str,
    status: str,
    *,
    host: str | None = None,
    recipient: str = "bob@rcpt.example",
    diagnostic_type: str = "smtp",
) -> str:
    """A MAILER-DAEMON report: the recipient, its status, the refusing host (if any), the reply."""
    remote = f"Remote-MTA: dns; {host}\n" if host else ""
    return (
        "From: MAILER-DAEMON@mx.sender.example\n"
        "To: alice@sender.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
        "\n--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        "\n--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.sender.example\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        "Action: failed\n"
        f"Status: {status}\n"
        f"{remote}"
        f"Diagnostic-Code: {diagnostic_type}; {diagnostic}\n"
        "\n--B--\n"
    )


def reason_from(
    diagnostic: str, status: str, host: str | None, recipient: str = "bob@rcpt.example"
) -> str | None:
    """The reason the classifier gives the report's one recipient."""
    report = classify_text(dsn(diagnostic, status, host=host, recipient=recipient))
    assert report.recipients, report.error
    return report.recipients[0].reason
