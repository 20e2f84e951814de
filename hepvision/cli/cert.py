"""``hepvision cert``: a self-signed certificate for a LAN trial of the phone page.

Browsers open the camera only on ``https://`` pages (and on localhost), so a phone on the
clinic's or home Wi-Fi needs ``hepvision serve --tls-cert F --tls-key F``. This writes a
certificate a phone accepts once the patient or therapist confirms the warning: an ECDSA P-256
key, every address and name as a subject alternative name (phones ignore the common name),
extended key usage serverAuth, and at most 825 days of validity (the longest iOS accepts).
No authority signs it, so the phone warns: it is for a trial only. Real use puts a CA-issued
certificate on a reverse proxy (README: "Run it for a clinic").

With no ``--host`` the machine's LAN addresses are found without any traffic: the IPv4 address
of each interface that is up and running (Linux), and the address the default route would use
(a UDP socket's ``connect`` only looks up the route; it sends nothing).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shlex
import socket
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hepvision.errors import HepvisionError

CERT_NAME = "hepvision-cert.pem"
KEY_NAME = "hepvision-key.pem"
DEFAULT_DAYS = 30
MAX_DAYS = 825  # Apple's limit for TLS server certificates
PORT = 8443  # the port of the printed serve command and phone URLs
#: Issued this long before now, so a phone whose clock runs a little behind accepts it.
BACKDATE = timedelta(minutes=10)
#: Only used for a route look-up (TEST-NET-3, RFC 5737): no packet is sent.
_ROUTE_PROBE = "203.0.113.1"
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def host_name_or_ip(text: str) -> Address | str:
    """An IP address, or a DNS name (lower case, IDNA-encoded); else an argparse error."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            raise argparse.ArgumentTypeError(f"{text!r}: give the IPv6 address without %zone")
        return ip
    name = text.rstrip(".")
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an IP address nor a DNS name") from None
    labels = name.split(".")
    valid = (0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels)
             and not labels[-1].isdigit())  # 300.1.1.1 is a bad address, not a name
    if not valid:
        raise argparse.ArgumentTypeError(f"{text!r} is neither an IP address nor a DNS name")
    return name


def validity_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{days} is outside 1..{MAX_DAYS} days")
    return days


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "cert", help="write a self-signed HTTPS certificate for a LAN trial of the phone page",
        description="Write a self-signed certificate and its private key for "
        "`hepvision serve --tls-cert/--tls-key`, so a phone on the same network can open "
        "the camera page over https://. Its names are every --host given (or, with none, "
        "this machine's LAN IPv4 addresses) plus localhost and 127.0.0.1. It prints the "
        "SHA-256 fingerprint to compare with the phone's certificate details, the serve "
        "command and the phone's URL. The phone warns before it opens the page: for a trial "
        "only; for a clinic use a CA-issued certificate on a reverse proxy.")
    c.add_argument("--host", action="append", type=host_name_or_ip, default=[],
                   metavar="NAME_OR_IP", help="an address or DNS name the phone uses to reach "
                   "this machine (repeatable; default: this machine's LAN IPv4 addresses)")
    c.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                   help=f"folder for {CERT_NAME} and {KEY_NAME} (created if missing; "
                   "default: the current folder)")
    c.add_argument("--days", type=validity_days, default=DEFAULT_DAYS, metavar="N",
                   help=f"validity in days, 1 to {MAX_DAYS} (default: {DEFAULT_DAYS})")
    c.add_argument("--force", action="store_true", help="replace existing files")
    c.set_defaults(handler=run_cert)


def _interface_addresses() -> list[ipaddress.IPv4Address]:
    """The IPv4 address of each interface that is up and running (Linux only; else none)."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl
    import struct

    siocgifflags, siocgifaddr, iff_up, iff_running = 0x8913, 0x8915, 0x1, 0x40
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack("H", fcntl.ioctl(s, siocgifflags, request)[16:18])[0]
                if flags & (iff_up | iff_running) != iff_up | iff_running:
                    continue
                found.append(ipaddress.IPv4Address(
                    fcntl.ioctl(s, siocgifaddr, request)[20:24]))
            except OSError:  # no IPv4 address on this interface, or it went away
                continue
    return found


def _default_route_address() -> ipaddress.IPv4Address | None:
    """The source address of the default route, or None without one. ``connect`` on a UDP
    socket only picks the route: nothing is sent, and it works offline."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((_ROUTE_PROBE, 9))
            return ipaddress.IPv4Address(s.getsockname()[0])
    except OSError:  # no route (offline, no default gateway)
        return None


def lan_addresses() -> list[ipaddress.IPv4Address]:
    """This machine's non-loopback, non-link-local IPv4 addresses, the default route's first."""
    ordered = [_default_route_address(), *_interface_addresses()]
    found: list[ipaddress.IPv4Address] = []
    for ip in ordered:
        if ip is not None and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified) \
                and ip not in found:
            found.append(ip)
    return found


def subject_names(hosts: list[Address | str]) -> list[Address | str]:
    """The certificate's names: ``hosts`` (or the LAN addresses), localhost and 127.0.0.1."""
    names: list[Address | str] = []
    for host in [*(hosts or lan_addresses()), "localhost", ipaddress.IPv4Address("127.0.0.1")]:
        if host not in names:
            names.append(host)
    return names


def _prepare_out(out: Path, force: bool) -> tuple[Path, Path]:
    if out.exists() and not out.is_dir():
        raise HepvisionError(f"--out: {out} is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HepvisionError(f"--out: cannot create {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise HepvisionError(f"--out: cannot write to {out}")
    cert, key = out.resolve() / CERT_NAME, out.resolve() / KEY_NAME
    existing = [str(p) for p in (cert, key) if p.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        raise HepvisionError(f"{' and '.join(existing)} already {verb}: pass --force to "
                             "replace")
    return cert, key


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` whole or not at all; the file never has looser ``mode``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise HepvisionError(f"cannot write {path}: {exc.strerror or exc}") from None


def _build(names: list[Address | str], days: int) -> tuple[bytes, bytes, str, datetime,
                                                             datetime]:
    """(certificate PEM, key PEM, SHA-256 fingerprint, not before, not after)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hepvision trial"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hepvision")])
    sans = [x509.DNSName(n) if isinstance(n, str) else x509.IPAddress(n) for n in names]
    not_before = datetime.now(UTC).replace(microsecond=0) - BACKDATE
    not_after = not_before + BACKDATE + timedelta(days=days)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM), key_pem,
            fingerprint(cert.fingerprint(hashes.SHA256())), not_before, not_after)


def fingerprint(digest: bytes) -> str:
    """``AB:CD:...``, the form certificate viewers show (some with spaces for colons)."""
    return ":".join(f"{b:02X}" for b in digest)


def _san_text(name: Address | str) -> str:
    return f"DNS:{name}" if isinstance(name, str) else f"IP:{name}"


def _url_host(name: Address | str) -> str:
    return f"[{name}]" if isinstance(name, ipaddress.IPv6Address) else str(name)


def phone_hosts(names: list[Address | str]) -> list[str]:
    """The names a phone can use: all but localhost and loopback addresses."""
    return [_url_host(n) for n in names
            if (n != "localhost" if isinstance(n, str) else not n.is_loopback)]


def _report(cert: Path, key: Path, names: list[Address | str], fp: str,
            valid: tuple[datetime, datetime], days: int) -> None:
    when = "%Y-%m-%d %H:%M UTC"
    print(f"Wrote a self-signed certificate for a LAN trial of the phone page:\n"
          f"  certificate  {cert}\n"
          f"  private key  {key}  (mode 0600: keep it on this machine)\n"
          f"  names        {', '.join(_san_text(n) for n in names)}\n"
          f"  valid        {valid[0].strftime(when)} to {valid[1].strftime(when)} "
          f"({days} days)\n"
          f"  SHA-256      {fp}\n")
    print("Start the server with it (off loopback it needs HEPVISION_SECRET_KEY set):\n"
          f"  hepvision serve --host 0.0.0.0 --port {PORT} --tls-cert {shlex.quote(str(cert))} "
          f"--tls-key {shlex.quote(str(key))}\n")
    hosts = phone_hosts(names)
    if hosts:
        print("Open on the phone (same network):")
        for host in hosts:
            print(f"  https://{host}:{PORT}/phone/")
    else:
        print("No LAN address found: the phone cannot reach this machine with this "
              "certificate. Run again with --host and the address the phone uses.")
    shown = hosts[0] if hosts else "the address"
    print("\nNo authority the phone trusts signed this certificate, so the phone warns "
          "first.\nCompare the SHA-256 fingerprint above with the one under the "
          "certificate's details, then:\n"
          "  Chrome on Android: \"Your connection is not private\" "
          "(NET::ERR_CERT_AUTHORITY_INVALID):\n"
          f"    Advanced, then Proceed to {shown} (unsafe).\n"
          "  Safari on iOS: \"This Connection Is Not Private\": Show Details, then visit "
          "this website.\n"
          "This is for a trial only. For real use put a CA-issued certificate on a reverse "
          "proxy\n(README: Run it for a clinic).")


def run_cert(args: argparse.Namespace) -> int:
    cert_path, key_path = _prepare_out(args.out, args.force)
    names = subject_names(args.host)
    cert_pem, key_pem, fp, not_before, not_after = _build(names, args.days)
    _write(key_path, key_pem, 0o600)
    _write(cert_path, cert_pem, 0o644)
    _report(cert_path, key_path, names, fp, (not_before, not_after), args.days)
    return 0
