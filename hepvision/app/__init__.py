"""The browser front end of a live session (``hepvision app``).

A local FastAPI page opens the camera with ``getUserMedia``, streams JPEG frames over a
WebSocket to the same pipeline the desktop window uses (:class:`~hepvision.live.engine.LiveEngine`
driven by a :class:`~hepvision.live.flow.SessionFlow`) and draws what comes back. Nothing
leaves this machine: the page, its scripts and the frames stay on the loopback interface.
"""

from hepvision.app.config import AppSettings
from hepvision.app.main import create_app

__all__ = ["AppSettings", "create_app"]
