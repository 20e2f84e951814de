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
- :mod:`~hepvision.upload.recovery`: damaged files set aside; the sessions folder read back

What a device keeps, in the data dir: every queued session is also a file in ``sessions/``
(``live`` and ``app`` save it there; ``enqueue_session`` keeps a copy of any other), so a
damaged outbox is set aside and rebuilt from those files, and a damaged ``prescription.json``
is set aside and fetched again by the next sync. Nothing is deleted: a damaged file is renamed
with a ``.damaged-<UTC time>`` suffix.

Errors (all :class:`hepvision.errors.HepvisionError`)::

    UploadError
    ├── NotEnrolledError   no device enrolment in the data dir
    ├── EnrolmentError     the server refused the enrolment code
    ├── DeviceRevokedError the server refused the device token (401/403)
    ├── OutboxDamagedError the outbox database is corrupt (set aside and rebuilt)
    └── TransportError     the server could not be reached (retryable)
"""
