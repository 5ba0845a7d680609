"""The exceptions handlers raise; only the dispatcher turns them into replies.

MailtriageError
 ├── UsageError        the request is malformed: answer with what to send instead
 ├── RefusedError      the request is understood but not allowed (private network, not an admin)
 ├── LookupFailedError a fact could not be found out (DNS timeout, SERVFAIL, HTTP 5xx)
 └── ApplianceError    the mail appliance's API is unreachable, refuses us or answers nonsense

Expected outcomes (NXDOMAIN, no SPF record, an IP that is listed) are findings, never exceptions.
"""

from __future__ import annotations


class MailtriageError(Exception):
    """Base of every error mailtriage raises on purpose; `str()` is safe to show a user."""


class UsageError(MailtriageError):
    """The user sent something we cannot work with; `usage` names the command whose help to show."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class RefusedError(MailtriageError):
    """A well-formed request that policy forbids; the message says why."""


class LookupFailedError(MailtriageError):
    """Could not find out (timeout, SERVFAIL, unreachable server): not a verdict on the target."""


class ApplianceError(MailtriageError):
    """The appliance API failed; the message names which appliance and what it said."""
