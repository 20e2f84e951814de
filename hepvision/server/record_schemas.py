"""Response bodies of the clinic-record routes: calendar feed, data export and erasure.

(The FHIR bundle and the JSON export are documents, not models: see
:mod:`hepvision.server.fhir` and :mod:`hepvision.server.data.export`.)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CalendarFeedPublic(_Out):
    """A new calendar feed: subscribe to ``url`` (or open ``webcal_url`` on a phone). The token
    is shown this once; issuing another revokes it."""

    url: str
    webcal_url: str
    token: str


class FeedsRevoked(_Out):
    revoked: int


class ErasurePublic(_Out):
    """What an erasure did. ``receipt_id`` is also in the audit log (which keeps no personal
    data of the patient): note it in the clinic's own record of the request."""

    receipt_id: uuid.UUID
    erased_at: datetime
    rows_deleted: dict[str, int]
    audit_entries_anonymised: int
