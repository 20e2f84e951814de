"""``hepvision export fhir|data --patient ID --out FILE --server URL`` (the therapist's side).

Downloads a patient's FHIR R4 bundle (``GET /api/v1/patients/{id}/fhir``) or their full data
export (``GET /api/v1/patients/{id}/export``: JSON with the FHIR bundle inside) from the
therapist's server. The server audits each download.

Authentication, first that applies:

- ``--token TOKEN`` or ``$HEPVISION_TOKEN``: a therapist access token (``hvt_...``, from
  ``POST /api/v1/auth/login``; it expires after ``HEPVISION_ACCESS_TOKEN_MINUTES``);
- ``--email EMAIL``: log in with the password from a prompt (or the first line of standard
  input with ``--password-stdin``) and log out again afterwards, so no token outlives the
  command.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used, so `hepvision --help` does not load httpx
    from hepvision.upload.transport import Response, Transport

log = logging.getLogger(__name__)

TOKEN_ENV = "HEPVISION_TOKEN"
_ROUTES = {"fhir": "fhir", "data": "export"}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "export", help="download a patient's FHIR R4 bundle or data export (therapist)",
        description="Download a patient's records from the therapist's server: 'fhir' is a "
        "FHIR R4 Bundle for the clinic's EMR, 'data' everything stored about the patient "
        "(JSON, FHIR bundle inside) for a patient's access request. Authenticate with "
        f"--token or ${TOKEN_ENV} (a therapist access token), or with --email (logs in, and "
        "out again afterwards).")
    e.add_argument("what", choices=sorted(_ROUTES), help="fhir or data")
    e.add_argument("--patient", type=int, required=True, metavar="ID", help="patient id")
    e.add_argument("--out", type=Path, required=True, metavar="FILE", help="file to write")
    e.add_argument("--server", required=True, metavar="URL", help="e.g. https://clinic.example")
    e.add_argument("--token", metavar="TOKEN",
                   help=f"therapist access token (default: ${TOKEN_ENV})")
    e.add_argument("--email", metavar="EMAIL", help="log in as this therapist instead")
    e.add_argument("--password-stdin", action="store_true",
                   help="with --email: read the password from the first line of stdin")
    e.set_defaults(handler=run_export)


def _request(transport: Transport, method: str, url: str, token: str | None = None,
             body: dict[str, Any] | None = None) -> Response:
    from hepvision.upload.transport import Request

    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    content = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(body).encode()
    return transport.request(Request(method, url, headers, content), timeout_s=120.0)


def _login(transport: Transport, base: str, args: argparse.Namespace) -> str:
    from hepvision.upload.errors import UploadError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.email}: ")
    r = _request(transport, "POST", f"{base}/auth/login",
                 body={"email": args.email, "password": password})
    if r.status != 200:
        raise UploadError(f"login refused: HTTP {r.status} {r.detail()}")
    return str(r.json()["access_token"])


def _download(transport: Transport, url: str, token: str, patient: int) -> bytes:
    from hepvision.upload.errors import UploadError

    r = _request(transport, "GET", url, token)
    if r.status == 401:
        raise UploadError(f"the server refused the token ({r.detail()}): log in again, or "
                          "use --email")
    if r.status in (403, 404):
        raise UploadError(f"patient {patient}: {r.detail()} (HTTP {r.status}; only the "
                          "patient's own therapist may export)")
    if r.status != 200:
        raise UploadError(f"HTTP {r.status}: {r.detail()}")
    return r.content


def _summary(what: str, document: dict[str, Any]) -> str:
    bundle = document if what == "fhir" else document.get("fhir", {})
    kinds = Counter(e["resource"]["resourceType"] for e in bundle.get("entry", []))
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    extra = f"{len(document['sessions'])} session(s); " if what == "data" else ""
    return f"{extra}FHIR resources: {sum(kinds.values())} ({listed or 'none'})"


def run_export(args: argparse.Namespace) -> int:
    from hepvision.upload.client import API, normalise_server_url
    from hepvision.upload.errors import UploadError
    from hepvision.upload.transport import HttpxTransport

    base = normalise_server_url(args.server) + API
    token = args.token or (None if args.email else os.environ.get(TOKEN_ENV))
    if not token and not args.email:
        raise UploadError(f"no credentials: give --token, set ${TOKEN_ENV}, or use --email")
    url = f"{base}/patients/{args.patient}/{_ROUTES[args.what]}"
    with HttpxTransport() as transport:
        session_token = token or _login(transport, base, args)
        try:
            content = _download(transport, url, session_token, args.patient)
        finally:
            if not token:
                _request(transport, "POST", f"{base}/auth/logout", session_token)
    document = json.loads(content)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".part")
    partial.write_bytes(content)
    partial.replace(args.out)
    print(f"wrote {args.out}: {_summary(args.what, document)}")
    return 0
