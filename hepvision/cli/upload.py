"""``hepvision enroll CODE --server URL`` and ``hepvision sync [--status]`` (patient device)."""

from __future__ import annotations

import argparse
import logging
import platform
import time
from datetime import UTC, datetime

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "enroll", help="enrol this device with the therapist's server",
        description="Exchange the one-time enrolment code from the therapist for a device "
        "token, saved in the data dir ($HEPVISION_HOME or ~/.local/share/hepvision).")
    e.add_argument("code", metavar="CODE")
    e.add_argument("--server", required=True, metavar="URL", help="e.g. https://clinic.example")
    e.add_argument("--label", default=None, help="device name shown to the therapist")
    e.add_argument("--force", action="store_true", help="replace an existing enrolment")
    e.set_defaults(handler=run_enroll)

    s = sub.add_parser(
        "sync", help="upload finished sessions (offline-safe)",
        description="Upload the sessions waiting in the local outbox, with retries and "
        "backoff. Sessions stay queued while the server is unreachable; a session is never "
        "sent twice into the server's records.")
    s.add_argument("--status", action="store_true", help="show the outbox and exit")
    s.add_argument("--retries", type=int, default=5, metavar="N",
                   help="retries per session in this run while the server is down (default 5)")
    s.add_argument("--watch", type=float, metavar="SECONDS",
                   help="keep running, syncing every SECONDS")
    s.set_defaults(handler=run_sync)


def run_enroll(args: argparse.Namespace) -> int:
    from hepvision.upload.client import ServerClient
    from hepvision.upload.device import DeviceConfig
    from hepvision.upload.errors import UploadError
    from hepvision.upload.transport import HttpxTransport

    if DeviceConfig.exists() and not args.force:
        raise UploadError(f"already enrolled ({DeviceConfig.path()}); use --force to replace")
    with HttpxTransport() as transport:
        client = ServerClient(args.server, transport)
        answer = client.enrol(args.code, label=args.label or platform.node()[:100])
    config = DeviceConfig(server_url=client.base.removesuffix("/api/v1"),
                          device_token=answer.device_token, patient_id=answer.patient_id,
                          enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"))
    path = config.save()
    print(f"enrolled as patient {answer.patient_id} with {config.server_url} ({path})")
    return 0


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
    from hepvision.upload.client import ServerClient
    from hepvision.upload.device import DeviceConfig, data_dir
    from hepvision.upload.errors import TransportError
    from hepvision.upload.outbox import Outbox
    from hepvision.upload.prescription import pull_prescription
    from hepvision.upload.sync import Backoff, exclusive, sync
    from hepvision.upload.transport import HttpxTransport

    if args.status:
        _print_status()
        return 0
    config = DeviceConfig.load()
    with exclusive(data_dir()), HttpxTransport() as transport, Outbox.default() as outbox:
        client = ServerClient(config.server_url, transport, token=config.device_token)
        while True:
            report = sync(outbox, client, config.patient_id,
                          backoff=Backoff(retries=max(0, args.retries)))
            print(f"sent={report.sent} already_there={report.duplicates} "
                  f"rejected={report.rejected} pending={report.pending}"
                  + (" (server unreachable: will retry)" if report.offline else ""))
            if not report.offline:
                try:
                    pulled = pull_prescription(client, config.patient_id)
                except TransportError as exc:
                    print(f"prescription: not fetched ({exc})")
                else:
                    print(f"prescription: version {pulled.version}"
                          + (" (new)" if pulled.changed else "") if pulled.version is not None
                          else "prescription: none yet")
            if args.watch is None:
                break
            time.sleep(max(1.0, args.watch))
    return 1 if report.offline and args.watch is None else 0
