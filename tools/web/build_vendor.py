"""Regenerate the vendored MediaPipe Tasks Vision files of the phone page from npm.

Writes into ``hepvision/phone/static/vendor/`` (or ``--out``):

- ``vision_bundle.mjs``: the package's ES module (the ``PoseLandmarker`` API);
- ``vision_wasm_internal.js``, ``vision_wasm_internal.wasm``: the SIMD WebAssembly build the
  page loads (every browser that can open the camera over HTTPS has WebAssembly SIMD; the
  non-SIMD and "module" variants are left out to keep the package small);
- ``LICENSE.txt``: the Apache-2.0 text (the npm package names the licence but ships no text;
  the text is the one in ``models/LICENSE.mediapipe.txt``, from the MediaPipe wheel);
- ``MANIFEST.json``: SHA-256, source (package, version, npm integrity, path inside the
  tarball) and licence of every file above.

The version is pinned to 0.10.35: versions 1.0.0 and 1.1.0 of ``@mediapipe/tasks-vision``
send usage logs to a Google endpoint, 0.10.35 sends nothing (the phone test records every
request the page makes and finds none off its origin). The build refuses any file that names
a logging endpoint.

Usage::

    python tools/web/build_vendor.py [--tarball PATH] [--out DIR]

Without ``--tarball`` it runs ``npm pack @mediapipe/tasks-vision@0.10.35`` in a temporary
directory (npm registry access needed). This is a maintainer tool; CI and the package never
run it (the vendored files are committed).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@mediapipe/tasks-vision"
VERSION = "0.10.35"
#: path inside the npm tarball -> vendored file name
FILES = {
    "package/vision_bundle.mjs": "vision_bundle.mjs",
    "package/wasm/vision_wasm_internal.js": "vision_wasm_internal.js",
    "package/wasm/vision_wasm_internal.wasm": "vision_wasm_internal.wasm",
}
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "hepvision" / "phone" / "static" / "vendor"
LICENCE_TEXT = ROOT / "models" / "LICENSE.mediapipe.txt"
#: Endpoints the usage-logging releases call; none may appear in what is vendored.
FORBIDDEN = (b"play.googleapis.com", b"firebaselogging", b"clearcut", b"/log?format=")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(workdir: Path) -> Path:
    """``npm pack`` of the pinned version into ``workdir``; returns the tarball."""
    done = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--json"], cwd=workdir,
                          check=True, capture_output=True, text=True)
    info = json.loads(done.stdout)[0]
    return workdir / str(info["filename"])


def integrity(tarball: Path) -> str:
    """npm's integrity string (sha512, base64) of the tarball."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def extract(tarball: Path) -> dict[str, bytes]:
    """The wanted members' bytes; checks the package's name, version and licence."""
    with tarfile.open(tarball, "r:gz") as tar:
        meta = json.loads(_member(tar, "package/package.json"))
        if (meta["name"], meta["version"], meta["license"]) != (PACKAGE, VERSION, "Apache-2.0"):
            raise SystemExit(f"unexpected package: {meta['name']} {meta['version']} "
                             f"{meta['license']}")
        return {name: _member(tar, name) for name in FILES}


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(name)
    if f is None:
        raise SystemExit(f"{name} is missing from the npm package")
    return f.read()


def check_no_logging(name: str, data: bytes) -> None:
    for needle in FORBIDDEN:
        if needle in data:
            raise SystemExit(f"{name} mentions {needle.decode()}: a usage-logging build?")


def write(files: dict[str, bytes], tarball: Path, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    source = (f"npm {PACKAGE}@{VERSION} ({tarball.name}, integrity {integrity(tarball)})")
    rows: dict[str, dict[str, str]] = {}
    for member, name in FILES.items():
        data = files[member]
        check_no_logging(name, data)
        (out / name).write_bytes(data)
        rows[name] = {"sha256": sha256(data), "source": f"{source}: {member}",
                      "licence": "Apache-2.0"}
    licence = LICENCE_TEXT.read_bytes()
    if not re.search(rb"Apache License\s+Version 2\.0", licence):
        raise SystemExit(f"{LICENCE_TEXT} is not the Apache-2.0 text")
    (out / "LICENSE.txt").write_bytes(licence)
    rows["LICENSE.txt"] = {"sha256": sha256(licence), "licence": "Apache-2.0",
                           "source": "models/LICENSE.mediapipe.txt (the MediaPipe wheel's "
                           "Apache-2.0 text; the npm package states Apache-2.0 in "
                           "package.json and ships no licence file)"}
    manifest: dict[str, Any] = {"package": PACKAGE, "version": VERSION, "generator": "tools/web/build_vendor.py",
                "files": rows}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="an already downloaded npm tarball")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hv-npm-") as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        if args.tarball:
            shutil.copy(args.tarball, Path(tmp) / args.tarball.name)
        manifest = write(extract(tarball), tarball, args.out)
    for name, row in sorted(manifest["files"].items()):
        size = (args.out / name).stat().st_size
        print(f"{name:32s} {size:>10d} B  sha256 {row['sha256'][:16]}…")


if __name__ == "__main__":
    main()
