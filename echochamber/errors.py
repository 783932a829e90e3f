"""The one exception tree of echochamber.

Every error a user can cause or meet is an :class:`EchoChamberError`; the command line turns it
into one line on stderr and a non-zero exit, and a daemon job logs it and carries on.  Messages
name what was wrong (the setting, file and line, or stream) and how to fix it.
"""

from __future__ import annotations


class EchoChamberError(Exception):
    """Base of every error echochamber raises on purpose."""

    exit_code = 1


class ConfigError(EchoChamberError):
    """A setting is missing, malformed or contradictory."""

    exit_code = 2


class SourceError(EchoChamberError):
    """A source (API server) failed in a way we could not recover from."""


class AuthError(SourceError):
    """The source refused our credentials (401/403)."""


class RateLimited(SourceError):
    """The source's rate limit is exhausted and the wait exceeds what we may spend."""

    def __init__(self, message: str, reset_in: float | None = None) -> None:
        super().__init__(message)
        self.reset_in = reset_in


class SourceUnavailable(SourceError):
    """The source kept failing (5xx, timeouts, malformed bodies) after retries."""


class BudgetExhausted(SourceError):
    """The per-run request budget is spent; the next run resumes from the cursor."""


class ImportFormatError(EchoChamberError):
    """An archive file or line is not in the format we expected."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.reason = message


class StoreError(EchoChamberError):
    """The database is unreachable, too old or too new, or a write failed."""


class ReportError(EchoChamberError):
    """A report could not be rendered or sent."""


class NotFound(EchoChamberError):
    """A queried account, post or snapshot does not exist in the store."""

    exit_code = 3
