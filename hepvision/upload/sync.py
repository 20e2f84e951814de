"""Send the outbox: each due session once, with retries and exponential backoff.

Per session: 201/200 -> sent; 409/413/422 (the record itself is refused) -> rejected, kept;
no answer, 5xx, 408 or 429 -> retried in this run up to ``retries`` times with backoff
(``base_s * 2**k``, capped, with jitter), then left pending with a ``next_attempt_at`` for a
later run. 401/403 stops the run (``DeviceRevokedError``). Only one sync runs at a time per
data dir (a lock file).
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hepvision.upload.client import Outcome, ServerClient
from hepvision.upload.errors import TransportError, UploadError
from hepvision.upload.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    base_s: float = 0.5
    cap_s: float = 60.0
    retries: int = 5

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before retry number ``attempt`` (0-based), with +-50 % jitter."""
        return min(self.cap_s, self.base_s * 2.0 ** attempt) * rng.uniform(0.5, 1.5)


@dataclass(frozen=True, slots=True)
class SyncReport:
    sent: int
    duplicates: int
    rejected: int
    pending: int
    retried: int
    offline: bool


def sync(outbox: Outbox, client: ServerClient, patient_id: int, *,
         backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.time, rng: random.Random | None = None,
         include_not_due: bool = True) -> SyncReport:
    """Upload pending sessions, oldest first. ``include_not_due`` ignores backoff schedules
    left by earlier runs (a run the user asked for tries everything now)."""
    rng = rng or random.Random()
    sent = duplicates = rejected = retried = 0
    offline = False
    while not offline:
        batch = outbox.due(float("inf") if include_not_due else clock(), limit=50)
        if not batch:
            break
        for item in batch:
            outcome = None
            error = ""
            for attempt in range(backoff.retries + 1):
                try:
                    result = client.upload_session(patient_id, item.record_json)
                except TransportError as exc:
                    outcome, error = Outcome.RETRY, str(exc)
                else:
                    outcome, error = result.outcome, result.message or f"HTTP {result.status}"
                if outcome is not Outcome.RETRY:
                    break
                if attempt < backoff.retries:
                    retried += 1
                    delay = backoff.delay(attempt, rng)
                    log.debug("upload of %s failed (%s); retry in %.1f s", item.session_id,
                              error, delay)
                    sleep(delay)
            if outcome is Outcome.STORED:
                outbox.mark_sent(item.session_id, clock())
                sent += 1
            elif outcome is Outcome.DUPLICATE:
                outbox.mark_sent(item.session_id, clock())
                duplicates += 1
            elif outcome is Outcome.REJECTED:
                outbox.mark_rejected(item.session_id, error)
                rejected += 1
                log.warning("the server rejected session %s: %s", item.session_id, error)
            else:
                delay = backoff.delay(item.attempts + backoff.retries, rng)
                outbox.mark_retry(item.session_id, error, clock() + delay)
                offline = True  # the server is unreachable: stop, keep the rest queued
                log.warning("server unreachable (%s); sessions stay queued", error)
                break
    return SyncReport(sent=sent, duplicates=duplicates, rejected=rejected,
                      pending=outbox.status().pending, retried=retried, offline=offline)


@contextlib.contextmanager
def exclusive(home_dir: Path) -> Iterator[None]:
    """Hold the data dir's sync lock; ``UploadError`` when another sync holds it."""
    home_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the server still deduplicates
        yield
        return
    with open(home_dir / "sync.lock", "w") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UploadError("another 'hepvision sync' is running") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
