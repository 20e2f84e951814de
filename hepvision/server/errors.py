"""Errors of the server's data layer and command line.

    HepvisionError
    └── ServerError            a server-side operation cannot be done
        ├── ConfigError        settings are unsafe or invalid (e.g. default secret in production)
        ├── NotFoundError      a therapist, patient, prescription or session does not exist
        ├── ConflictError      a unique value is taken (email, session id with other content)
        ├── InvalidInputError  input passes the schema but not the data (unknown template)
        └── AuthError          bad credentials, expired or revoked token, used enrolment code
            └── TooManyAttemptsError  login throttled (per address or account backoff)

Routes translate them into HTTP status codes (404, 409, 422, 401, 429); the command line prints the
message on one line.
"""

from hepvision.errors import HepvisionError


class ServerError(HepvisionError):
    """Base class of the server's errors."""


class ConfigError(ServerError):
    """Settings are unsafe or invalid."""


class NotFoundError(ServerError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class ConflictError(ServerError):
    """A unique value is already taken."""


class InvalidInputError(ServerError):
    """The input is well-formed but refers to something invalid."""


class AuthError(ServerError):
    """Credentials or token are wrong, expired or revoked."""


class TooManyAttemptsError(AuthError):
    """Too many failed logins from this address or for this account: wait ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
