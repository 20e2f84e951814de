"""The device's prescription for ``track``, ``live`` and ``app``."""

from __future__ import annotations

import logging

from hepvision.errors import HepvisionError
from hepvision.wire.prescription import Prescription

log = logging.getLogger(__name__)

NO_PRESCRIPTION = ("no prescription on this device: enroll with your therapist's code "
                   "('hepvision enroll CODE') and run 'hepvision sync', or choose an exercise "
                   "with --exercise ID")


def synced_prescription() -> Prescription | None:
    """The prescription last synced from the therapist's server, or None without one (an
    unreadable one is a warning: the session runs without it)."""
    from hepvision.upload.prescription import read_prescription

    try:
        return read_prescription()
    except HepvisionError as exc:
        log.warning("%s; this session runs without it", exc)
        return None


def required_prescription() -> Prescription:
    """The synced prescription, for a session that runs the prescribed program.

    Raises:
        HepvisionError: none on this device, or one this version cannot run (one line).
    """
    from hepvision.upload.prescription import read_prescription

    prescription = read_prescription()
    if prescription is None:
        raise HepvisionError(NO_PRESCRIPTION)
    return prescription
