"""Errors of the upload client (see the package docstring for the hierarchy)."""

from hepvision.errors import HepvisionError


class UploadError(HepvisionError):
    """Base class of the upload client's errors."""


class NotEnrolledError(UploadError):
    """This device is not enrolled with a server."""


class EnrolmentError(UploadError):
    """The server refused the enrolment code."""


class DeviceRevokedError(UploadError):
    """The server refused this device's token: enrol again with a new code."""


class OutboxDamagedError(UploadError):
    """The outbox database is corrupt or truncated: it is set aside and rebuilt."""


class TransportError(UploadError):
    """The server could not be reached or the connection broke (retryable)."""
