"""``hepvision app``: the live session in the browser, on the patient's own computer.

The app serves the patient page of :mod:`hepvision.phone` (the page phones get from
``hepvision serve``) in its local mode: no enrolment, the exercises or program of the app's
settings, and the session saved here (a report file, then the upload queue). The page's poses
come from the browser (MediaPipe Tasks in the page; only landmarks reach this process) or from
this process (the page sends camera JPEGs and the pose backend runs here, as
:class:`~hepvision.app.session.BrowserSession`); either way the same
:class:`~hepvision.live.session.LiveSession` analyses the set. Nothing leaves this machine:
the page, its scripts and the frames stay on the loopback interface.
"""

from typing import TYPE_CHECKING, Any

from hepvision.app.config import AppSettings

if TYPE_CHECKING:
    from hepvision.app.main import create_app

__all__ = ["AppSettings", "create_app"]


def __getattr__(name: str) -> Any:
    # create_app is imported on first use: it loads the web app and the phone's analysis,
    # which itself uses this package's replies, so an eager import here made importing
    # hepvision.phone.analysis first a circular import.
    if name == "create_app":
        from hepvision.app.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
