"""The upload client: the only HTTP client code in hepvision.

Finished sessions go into a local outbox (SQLite) first; ``hepvision sync`` sends them with
retries and backoff; the server stores each session id once, so a retry or a crash mid-upload
never loses or duplicates a session. Works offline and catches up later.

- :mod:`~hepvision.upload.transport`: the small ``Transport`` interface (httpx behind it; tests
  use a mock transport)
- :mod:`~hepvision.upload.device`: the device's enrolment (server URL, token, patient id)
- :mod:`~hepvision.upload.client`: typed calls to the server API
- :mod:`~hepvision.upload.outbox`: the outbox and ``enqueue_session(record)``
- :mod:`~hepvision.upload.sync`: the retrying uploader

Errors (all :class:`hepvision.errors.HepvisionError`)::

    UploadError
    ├── NotEnrolledError   no device enrolment in the data dir
    ├── EnrolmentError     the server refused the enrolment code
    ├── DeviceRevokedError the server refused the device token (401/403)
    └── TransportError     the server could not be reached (retryable)
"""
