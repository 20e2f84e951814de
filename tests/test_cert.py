"""``hepvision cert``: the self-signed certificate for a LAN trial of the phone page.

Real certificates, real files and a real ``hepvision serve`` over HTTPS: the generated
certificate is the client's only trust anchor, and a client without it must refuse.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from hepvision.cli.cert import BACKDATE, CERT_NAME, KEY_NAME, lan_addresses
from hepvision.cli.main import main
from tests.support.serve_process import ServeProcess, trust

SECRET = "test-secret-key-0123456789abcdef"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def _cert(out: Path, *args: str) -> tuple[x509.Certificate, str]:
    """Run ``hepvision cert --out OUT ARGS``: (the certificate written, what it printed)."""
    proc = subprocess.run([sys.executable, "-m", "hepvision", "cert", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return x509.load_pem_x509_certificate((out / CERT_NAME).read_bytes()), proc.stdout


def _printed_fingerprint(stdout: str) -> bytes:
    found = re.search(r"^  SHA-256\s+((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$", stdout, re.MULTILINE)
    assert found, stdout
    return bytes.fromhex(found.group(1).replace(":", ""))


def test_certificate_for_an_address_and_a_name(tmp_path: Path) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    cert, stdout = _cert(tmp_path, "--host", "127.0.0.1", "--host", "Trial-PC.example.org",
                         "--days", "7")
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [LOOPBACK]  # given once, listed once
    assert sans.get_values_for_type(x509.DNSName) == ["trial-pc.example.org", "localhost"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign and not usage.key_encipherment
    assert cert.issuer == cert.subject and cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha256"

    key_file = tmp_path / KEY_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert key.public_key() == cert.public_key()

    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=7) + BACKDATE
    assert started - BACKDATE <= cert.not_valid_before_utc <= started
    assert _printed_fingerprint(stdout) == cert.fingerprint(hashes.SHA256())
    assert (f"hepvision serve --host 0.0.0.0 --port 8443 --tls-cert {tmp_path / CERT_NAME} "
            f"--tls-key {key_file}") in stdout
    urls = re.findall(r"https://\S+", stdout)
    assert urls == ["https://trial-pc.example.org:8443/phone/"]  # never a loopback URL
    assert "NET::ERR_CERT_AUTHORITY_INVALID" in stdout
    assert "This Connection Is Not Private" in stdout and "trial only" in stdout


def test_without_a_host_the_names_are_the_lan_addresses_and_loopback(tmp_path: Path) -> None:
    lan = lan_addresses()
    assert all(not ip.is_loopback and not ip.is_link_local for ip in lan)
    assert len(set(lan)) == len(lan)
    cert, stdout = _cert(tmp_path)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [*lan, LOOPBACK]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    urls = re.findall(r"https://\S+", stdout)
    assert urls == [f"https://{ip}:8443/phone/" for ip in lan]
    if not lan:
        assert "No LAN address found" in stdout


def test_serials_are_random_and_existing_files_are_kept_without_force(tmp_path: Path) -> None:
    first, _ = _cert(tmp_path, "--host", "10.1.2.3")
    kept = {name: (tmp_path / name).read_bytes() for name in (CERT_NAME, KEY_NAME)}
    proc = subprocess.run([sys.executable, "-m", "hepvision", "cert", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "already exist" in proc.stderr
    assert "--force" in proc.stderr
    assert {name: (tmp_path / name).read_bytes() for name in kept} == kept
    second, _ = _cert(tmp_path, "--host", "10.1.2.3", "--force")
    assert second.serial_number != first.serial_number and second.serial_number > 0
    assert (tmp_path / KEY_NAME).read_bytes() != kept[KEY_NAME]
    assert (tmp_path / KEY_NAME).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)  # no temporary file left


@pytest.mark.parametrize("args, message", [
    (["--days", "0"], "outside 1..825 days"),
    (["--days", "826"], "outside 1..825 days"),
    (["--days", "thirty"], "not a whole number of days"),
    (["--host", "not_a_name!"], "neither an IP address nor a DNS name"),
    (["--host", "300.1.1.1"], "neither an IP address nor a DNS name"),
    (["--host=-trial.example.org"], "neither an IP address nor a DNS name"),
    (["--out", "{file}/sub"], "--out: cannot create"),
    (["--out", "{file}"], "is not a folder"),
])
def test_bad_input_is_one_line_without_a_traceback(tmp_path: Path, args: list[str],
                                                   message: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    args = [arg.format(file=a_file) for arg in args]
    if not any(arg.startswith("--out") for arg in args):
        args += ["--out", str(tmp_path / "out")]
    proc = subprocess.run([sys.executable, "-m", "hepvision", "cert", *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(("hepvision: error: ", "hepvision cert: error: ")), proc.stderr
    assert message in last
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_serve_with_the_certificate_is_trusted_only_by_a_client_that_holds_it(
        tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / CERT_NAME, tmp_path / KEY_NAME
    assert main(["cert", "--host", "127.0.0.1", "--out", str(tmp_path)]) == 0
    other = tmp_path / "other"  # the same names, another key: trusting it must not help
    assert main(["cert", "--host", "127.0.0.1", "--out", str(other)]) == 0
    env = {"HEPVISION_HOME": str(tmp_path / "home"), "HEPVISION_SECRET_KEY": SECRET,
           "HEPVISION_ENVIRONMENT": "development",
           "HEPVISION_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "HEPVISION_ARGON2_TIME_COST": "1", "HEPVISION_ARGON2_MEMORY_KIB": "8"}
    server = ServeProcess(["--tls-cert", str(cert_path), "--tls-key", str(key_path)], env,
                          tmp_path / "serve.log", scheme="https")
    server.start(verify=trust(cert_path))
    try:
        url = f"{server.base_url}/api/v1/health"
        r = httpx.get(url, verify=trust(cert_path), timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        for verify in (True, trust(other / CERT_NAME)):  # the system's CAs; the wrong key
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(url, verify=verify, timeout=10)
    finally:
        server.stop()
