"""The patient's phone: pose runs in the phone's browser, only landmarks reach the server.

``hepvision serve`` mounts :func:`hepvision.phone.routes.phone_router` at ``/phone``: the patient
page (enrolment with the dashboard's QR code, today's program with animated demonstrations,
the set), the vendored MediaPipe Tasks Vision files and the bundled ``pose_landmarker_full.task``
the page runs, and the landmark WebSocket. Each frame's 33 image and world landmarks (about
0.5 KB, :mod:`hepvision.phone.wire`) feed the same :class:`~hepvision.live.session.LiveSession`
``track`` and ``live`` use (:mod:`hepvision.phone.analysis`); at the end of the session its
record is stored as an upload from the patient's enrolled device.

Importing this package and :mod:`hepvision.phone.routes` loads no part of the pipeline: a
server-only install can build the router; the WebSocket and the program endpoints import the
pipeline when first used, and :func:`pipeline_installed` says whether they can.
"""

from __future__ import annotations

from importlib.util import find_spec

#: Third-party modules the analysis needs that a server-only install does not have.
PIPELINE_MODULES = ("cv2", "numpy", "scipy")


def pipeline_installed() -> bool:
    """Whether the analysis stack (OpenCV, NumPy, SciPy) is importable here."""
    return all(find_spec(name) is not None for name in PIPELINE_MODULES)
