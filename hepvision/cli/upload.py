"""``hepvision enroll CODE --server URL`` and ``hepvision sync [--status]`` (patient device)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import platform
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so `hepvision --help` does not load httpx
    from hepvision.upload.client import ServerClient
    from hepvision.upload.device import DeviceConfig

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "enroll", help="enrol this device with the therapist's server",
        description="Exchange the one-time enrolment code from the therapist for a device "
        "token, saved in the data dir ($HEPVISION_HOME or ~/.local/share/hepvision), and "
        "fetch the current prescription. CODE is the code, or the text of the enrolment QR "
        "code (hepvision://enrol?server=...&code=...), which also names the server.")
    e.add_argument("code", metavar="CODE", help="the enrolment code or the QR code's text")
    e.add_argument("--server", metavar="URL",
                   help="e.g. https://clinic.example (not needed with the QR code's text)")
    e.add_argument("--label", default=None, help="device name shown to the therapist")
    e.add_argument("--insecure", action="store_true",
                   help="allow plain http:// to another machine (unencrypted; test networks "
                   "only)")
    e.add_argument("--force", action="store_true",
                   help="replace an existing enrolment (e.g. after the therapist revoked "
                   "this device and gave a new code)")
    e.set_defaults(handler=run_enroll)

    s = sub.add_parser(
        "sync", help="upload finished sessions (offline-safe)",
        description="Upload the sessions waiting in the local outbox, with retries and "
        "backoff, then fetch the current prescription. Sessions stay queued while the server "
        "is unreachable; a session is never sent twice into the server's records.")
    s.add_argument("--status", action="store_true", help="show the outbox and exit")
    s.add_argument("--insecure", action="store_true",
                   help="allow plain http:// to another machine (unencrypted; test networks "
                   "only)")
    s.add_argument("--retries", type=int, default=5, metavar="N",
                   help="retries per session in this run while the server is down (default 5)")
    s.add_argument("--watch", type=float, metavar="SECONDS",
                   help="keep running, syncing every SECONDS")
    s.set_defaults(handler=run_sync)


def _invite(args: argparse.Namespace) -> tuple[str, str]:
    """(server URL, code) from CODE (a code or the QR code's text) and --server."""
    from hepvision.upload.errors import UploadError
    from hepvision.wire.enrolment import parse_enrolment

    try:
        invite = parse_enrolment(args.code)
    except ValueError as exc:
        raise UploadError(str(exc)) from None
    if invite.server_url and args.server and (invite.server_url.rstrip("/")
                                              != args.server.rstrip("/")):
        raise UploadError(f"the QR code names the server {invite.server_url}, "
                          f"but --server says {args.server}")
    server = invite.server_url or args.server
    if not server:
        raise UploadError("which server? run 'hepvision enroll CODE --server URL', or give "
                          "the text of the enrolment QR code")
    return server, invite.code


def _previous_enrolment(force: bool) -> DeviceConfig | None:
    """The enrolment being replaced (``None``: none, or a damaged one under --force)."""
    from hepvision.upload.device import DeviceConfig
    from hepvision.upload.errors import UploadError

    if not DeviceConfig.exists():
        return None
    if not force:
        raise UploadError(f"this device is already enrolled ({DeviceConfig.path()}); to "
                          "replace it run 'hepvision enroll --force CODE'")
    try:
        return DeviceConfig.load()
    except UploadError:
        return None  # a damaged device.json is what --force replaces


def _set_aside_previous(previous: DeviceConfig) -> None:
    """Another patient or server: the old queue and prescription must not follow."""
    from hepvision.upload.outbox import outbox_path
    from hepvision.upload.prescription import discard_prescription
    from hepvision.upload.recovery import SQLITE_COMPANIONS, quarantine

    kept = quarantine(outbox_path(), companions=SQLITE_COMPANIONS, label="previous-enrolment")
    discard_prescription()
    if kept is not None:
        log.warning("sessions queued for patient %d on %s are not sent to the new enrolment; "
                    "kept in %s", previous.patient_id, previous.server_url, kept)


def run_enroll(args: argparse.Namespace) -> int:
    from hepvision.upload.client import ServerClient, normalise_server_url, require_secure
    from hepvision.upload.device import DeviceConfig
    from hepvision.upload.transport import HttpxTransport

    server, code = _invite(args)
    previous = _previous_enrolment(args.force)
    require_secure(normalise_server_url(server), insecure=args.insecure)
    with HttpxTransport() as transport:
        answer = ServerClient(server, transport).enrol(code,
                                                       label=args.label or platform.node()[:100])
        now = datetime.now(UTC).isoformat()
        config = DeviceConfig(server_url=normalise_server_url(server),
                              device_token=answer.device_token, patient_id=answer.patient_id,
                              enrolled_at=now)
        if previous is not None and previous.same_enrolment(config):
            # The same patient again (a revoked token replaced): queued sessions still count.
            config = dataclasses.replace(config, enrolled_at=previous.enrolled_at)
        elif previous is not None:
            _set_aside_previous(previous)
        path = config.save()
        print(f"enrolled as patient {answer.patient_id} with {config.server_url} ({path})")
        _fetch_prescription(ServerClient(config.server_url, transport,
                                         token=config.device_token), config.patient_id)
    return 0


def _fetch_prescription(client: ServerClient, patient_id: int) -> None:
    from hepvision.upload.errors import DeviceRevokedError, UploadError
    from hepvision.upload.prescription import pull_prescription

    try:
        pulled = pull_prescription(client, patient_id)
    except DeviceRevokedError:
        raise
    except UploadError as exc:  # offline or a server error: the next sync fetches it
        print(f"prescription: not fetched ({exc}); 'hepvision sync' fetches it")
        return
    if pulled.version is None:
        print("prescription: none yet")
    else:
        print(f"prescription: version {pulled.version}" + (" (new)" if pulled.changed else ""))


def _print_status() -> None:
    from hepvision.upload.device import DeviceConfig
    from hepvision.upload.outbox import Outbox
    from hepvision.upload.prescription import load_prescription

    enrolled = DeviceConfig.load() if DeviceConfig.exists() else None
    with Outbox.default() as outbox:
        st = outbox.status()
        rejected = outbox.rejected()
    print(f"server: {enrolled.server_url if enrolled else '(not enrolled)'}")
    print(f"pending={st.pending} sent={st.sent} rejected={st.rejected}")
    prescription = load_prescription()
    print(f"prescription: version {prescription['version']}" if prescription
          else "prescription: none received yet")
    if st.oldest_pending_at is not None:
        age_h = (time.time() - st.oldest_pending_at) / 3600
        print(f"oldest pending: {age_h:.1f} h ago")
    if st.last_error:
        print(f"last error: {st.last_error}")
    for session_id, error in rejected[-5:]:
        print(f"rejected {session_id}: {error}")


def run_sync(args: argparse.Namespace) -> int:
    from hepvision.upload.client import ServerClient, require_secure
    from hepvision.upload.device import DeviceConfig, data_dir
    from hepvision.upload.outbox import Outbox
    from hepvision.upload.sync import Backoff, exclusive, sync
    from hepvision.upload.transport import HttpxTransport

    if args.status:
        _print_status()
        return 0
    config = DeviceConfig.load()
    require_secure(config.server_url, insecure=args.insecure)
    with exclusive(data_dir()), HttpxTransport() as transport, Outbox.default() as outbox:
        client = ServerClient(config.server_url, transport, token=config.device_token)
        while True:
            report = sync(outbox, client, config.patient_id,
                          backoff=Backoff(retries=max(0, args.retries)))
            print(f"sent={report.sent} already_there={report.duplicates} "
                  f"rejected={report.rejected} pending={report.pending}"
                  + (" (server unreachable: will retry)" if report.offline else ""))
            if not report.offline:
                _fetch_prescription(client, config.patient_id)
            if args.watch is None:
                break
            time.sleep(max(1.0, args.watch))
    return 1 if report.offline and args.watch is None else 0
