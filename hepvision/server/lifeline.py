"""Workers that do not outlive their parent.

``hepvision serve --workers N`` runs uvicorn's process manager, which starts N worker
processes. If the manager is killed with ``SIGKILL`` (an OOM killer, ``kill -9``), nothing tells
the workers: they keep the port and serve on, and the next ``serve`` fails with "Address already
in use". Each worker therefore ties itself to the manager's pid (``HEPVISION_SUPERVISOR_PID``):

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` asks the kernel to signal it when its parent
  dies;
- everywhere, a daemon thread polls the parent pid twice a second and sends ``SIGTERM`` to its
  own process when the parent is gone (re-parented), which also covers the case where the
  manager died before the ``prctl`` call.

``SIGTERM`` lets uvicorn finish the requests in flight and close the listening socket.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

SUPERVISOR_ENV = "HEPVISION_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def _parent_gone(supervisor_pid: int) -> bool:
    return os.getppid() != supervisor_pid


def _exit_with_parent(supervisor_pid: int) -> None:
    import time

    while not _parent_gone(supervisor_pid):
        time.sleep(POLL_S)
    log.warning("the server's parent process (pid %d) is gone: this worker stops",
                supervisor_pid)
    os.kill(os.getpid(), signal.SIGTERM)


def tie_to_supervisor(environ: dict[str, str] | None = None) -> bool:
    """Make this worker exit when the ``serve`` process that started it dies.

    Does nothing (returns ``False``) outside a multi-worker ``serve`` or in that process itself.
    """
    value = (os.environ if environ is None else environ).get(SUPERVISOR_ENV, "")
    if not value.isdigit() or int(value) == os.getpid():
        return False
    supervisor_pid = int(value)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    threading.Thread(target=_exit_with_parent, args=(supervisor_pid,),
                     name="hepvision-lifeline", daemon=True).start()
    return True
