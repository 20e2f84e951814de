"""Regenerate the bundled BlazePose model files from the official ``mediapipe`` wheel.

Writes into the repository's ``models/`` directory (or ``--out``):

- ``pose_detection.onnx``, ``pose_landmark_full.onnx``: ONNX conversions (``tflite_to_onnx``)
  of the wheel's ``pose_detection.tflite`` and ``pose_landmark_full.tflite``;
- ``pose_landmark_full_f16.onnx``: the same landmark model slimmed losslessly by
  ``lean_onnx.py`` (segmentation head removed, the wheel's float16 weights stored as float16);
  the build checks that its outputs are bit-identical to ``pose_landmark_full.onnx``'s;
- ``pose_landmarker_full.task``: a MediaPipe Tasks bundle of the detector (unchanged, it
  already carries Tasks metadata) and the landmark model with input metadata added by
  ``add_tflite_metadata.py`` under mediapipe 0.10.21 in a throwaway virtual environment;
- ``LICENSE.mediapipe.txt``: the wheel's Apache-2.0 licence text;
- ``MANIFEST.json``: SHA-256, source and licence of every file above.

The output is byte-for-byte reproducible: the source TFLite digests are pinned, the ONNX
protobufs are serialised deterministically with fixed producer fields, the zip entries carry a
fixed timestamp and the manifest is written with sorted keys.

Usage::

    python tools/models/build_models.py [--wheel PATH] [--metadata-venv DIR] [--verify]

Without ``--wheel`` it runs ``pip download --no-deps mediapipe==0.10.21`` into a temporary
directory. Without ``--metadata-venv`` it creates the mediapipe 0.10.21 environment in a
temporary directory and deletes it afterwards; with it, an existing environment there is
reused. ``--verify`` also installs ``ai-edge-litert`` into that environment and compares ONNX
Runtime against the TFLite interpreter (``check_onnx_vs_tflite.py``).

This is a maintainer tool: it needs network access to PyPI (unless given the wheel and a ready
environment) and is never run by the hepvision package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lean_onnx  # the sibling modules (run as `python tools/models/build_models.py`)
import numpy as np
import onnx
import onnxruntime as ort
import tflite_to_onnx

log = logging.getLogger("build_models")

MEDIAPIPE_VERSION = "0.10.21"
LICENCE = "Apache-2.0"
HERE = Path(__file__).resolve().parent
#: The bundled models' directory (installed as package data ``hepvision._models``).
MODELS_DIR = HERE.parents[1] / "models"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_ALIGNMENT = 64  # TFLite models inside the .task start at aligned offsets (mmap friendly)


@dataclass(frozen=True, slots=True)
class SourceModel:
    """A TFLite file inside the wheel and its pinned digest."""

    wheel_path: str
    sha256: str


DETECTOR = SourceModel(
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
LANDMARK = SourceModel(
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
)
LICENSE_PATH = f"mediapipe-{MEDIAPIPE_VERSION}.dist-info/LICENSE"

DETECTOR_OUTPUTS = ["regressors", "classificators"]
LANDMARK_OUTPUTS = ["landmarks", "pose_flag", "segmentation", "heatmap", "world_landmarks"]
#: What hepvision reads of the landmark model (no segmentation mask).
LEAN_LANDMARK_OUTPUTS = ["landmarks", "pose_flag", "heatmap", "world_landmarks"]
LEAN_LANDMARK = "pose_landmark_full_f16.onnx"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(directory: Path) -> Path:
    """``pip download`` the pinned mediapipe wheel for this interpreter into ``directory``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(directory),
            f"mediapipe=={MEDIAPIPE_VERSION}",
        ],
        check=True,
    )
    wheels = sorted(directory.glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one mediapipe wheel in {directory}, found {wheels}")
    return wheels[0]


def read_from_wheel(wheel: Path, source: SourceModel) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(source.wheel_path)
    if sha256_bytes(data) != source.sha256:
        raise SystemExit(
            f"{source.wheel_path} in {wheel.name} has SHA-256 {sha256_bytes(data)}, "
            f"expected {source.sha256}"
        )
    return data


def metadata_python(venv: Path, wheel: Path, verify: bool) -> Path:
    """Python of a virtual environment with mediapipe 0.10.21 (created when missing)."""
    python = venv / "bin" / "python"
    if not python.exists():
        log.info("creating the mediapipe %s environment in %s", MEDIAPIPE_VERSION, venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('mediapipe'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != MEDIAPIPE_VERSION:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    if verify:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "ai-edge-litert"], check=True
        )
    return python


def write_task(path: Path, members: list[tuple[str, bytes]]) -> None:
    """Deterministic, uncompressed zip with each member's data aligned to ZIP_ALIGNMENT."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            header = 30 + len(name.encode())
            offset = zf.fp.tell()
            padding = -(offset + header + 4) % ZIP_ALIGNMENT
            # extra field 0xD935 (as Android's zipalign): id, size, zero padding
            info.extra = (
                (0xD935).to_bytes(2, "little") + padding.to_bytes(2, "little") + bytes(padding)
            )
            zf.writestr(info, data)


def convert(data: bytes, outputs: list[str], graph_name: str) -> bytes:
    model = tflite_to_onnx.convert(
        data, input_names=["input"], output_names=outputs, graph_name=graph_name
    )
    return model.SerializeToString(deterministic=True)


def lean_landmark(full_bytes: bytes) -> tuple[bytes, str]:
    """The slimmed landmark model and the note on how it was made (see ``lean_onnx``).

    Refuses a result whose outputs differ from the full model's by a single bit on seeded
    random inputs.
    """
    source = onnx.load_from_string(full_bytes)
    pruned = lean_onnx.keep_outputs(source, LEAN_LANDMARK_OUTPUTS)
    lean, n16, n32 = lean_onnx.store_float16(pruned)
    onnx.checker.check_model(lean)
    data = lean.SerializeToString(deterministic=True)
    full = ort.InferenceSession(full_bytes, providers=["CPUExecutionProvider"])
    slim = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.uniform(0.0, 1.0, size=(1, 256, 256, 3)).astype(np.float32)
        for a, b, name in zip(full.run(LEAN_LANDMARK_OUTPUTS, {"input": x}),
                              slim.run(LEAN_LANDMARK_OUTPUTS, {"input": x}),
                              LEAN_LANDMARK_OUTPUTS, strict=True):
            if not np.array_equal(a, b):
                raise SystemExit(f"{LEAN_LANDMARK}: output {name} differs from the full model")
    note = (f"outputs {', '.join(LEAN_LANDMARK_OUTPUTS)} kept (segmentation head removed: "
            f"{len(pruned.graph.node)} of {len(source.graph.node)} nodes kept), {n16} weights stored as "
            f"float16 (exactly the wheel's float16 values, widened by Cast nodes ONNX Runtime "
            f"folds at load), {n32} kept float32; outputs bit-identical to "
            f"pose_landmark_full.onnx on seeded random inputs (checked by the build)")
    return data, note


def verify(
    python: Path, onnx_files: dict[str, bytes], tflite_files: dict[str, bytes], work: Path
) -> None:
    """Compare ONNX Runtime with the TFLite interpreter on seeded random inputs."""
    rng = np.random.default_rng(0)
    for name, onnx_bytes in onnx_files.items():
        session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
        shape = session.get_inputs()[0].shape
        low = -1.0 if name == "pose_detection.onnx" else 0.0
        inputs = rng.uniform(low, 1.0, size=[3, *shape[1:]]).astype(np.float32)
        outputs = [session.run(None, {"input": x[None]}) for x in inputs]
        names = [o.name for o in session.get_outputs()]
        arrays = {"input": inputs}
        arrays.update({n: np.concatenate([o[i] for o in outputs]) for i, n in enumerate(names)})
        npz = work / f"check_{Path(name).stem}.npz"
        np.savez(npz, **arrays)
        tflite_path = work / f"check_{Path(name).stem}.tflite"
        tflite_path.write_bytes(tflite_files[name])
        subprocess.run(
            [str(python), str(HERE / "check_onnx_vs_tflite.py"), str(tflite_path), str(npz)],
            check=True,
        )


def build(wheel: Path, out: Path, venv: Path, work: Path, check: bool) -> None:
    detector = read_from_wheel(wheel, DETECTOR)
    landmark = read_from_wheel(wheel, LANDMARK)
    with zipfile.ZipFile(wheel) as zf:
        licence_text = zf.read(LICENSE_PATH)
    wheel_sha = sha256_bytes(wheel.read_bytes())

    log.info("converting to ONNX")
    onnx_files = {
        "pose_detection.onnx": convert(detector, DETECTOR_OUTPUTS, "pose_detection"),
        "pose_landmark_full.onnx": convert(landmark, LANDMARK_OUTPUTS, "pose_landmark_full"),
    }
    log.info("slimming the landmark model")
    lean_bytes, lean_note = lean_landmark(onnx_files["pose_landmark_full.onnx"])

    python = metadata_python(venv, wheel, check)
    log.info("adding Tasks metadata to the landmark model")
    plain, with_md = work / "pose_landmark_full.tflite", work / "pose_landmarks_detector.tflite"
    plain.write_bytes(landmark)
    subprocess.run(
        [str(python), str(HERE / "add_tflite_metadata.py"), str(plain), str(with_md)], check=True
    )
    landmark_md = with_md.read_bytes()

    task = work / "pose_landmarker_full.task"
    write_task(
        task, [("pose_detector.tflite", detector), ("pose_landmarks_detector.tflite", landmark_md)]
    )

    if check:
        verify(
            python,
            onnx_files,
            {"pose_detection.onnx": detector, "pose_landmark_full.onnx": landmark},
            work,
        )

    wheel_desc = f"{wheel.name} (PyPI mediapipe=={MEDIAPIPE_VERSION}, sha256 {wheel_sha})"
    files = dict(onnx_files)
    files[LEAN_LANDMARK] = lean_bytes
    files["pose_landmarker_full.task"] = task.read_bytes()
    files["LICENSE.mediapipe.txt"] = licence_text
    sources = {
        "pose_detection.onnx": (
            f"{wheel_desc}: {DETECTOR.wheel_path} (sha256 {DETECTOR.sha256}), converted by "
            "tools/models/tflite_to_onnx.py (float16 weights widened, sparse weights densified, "
            "NHWC interface kept)"
        ),
        "pose_landmark_full.onnx": (
            f"{wheel_desc}: {LANDMARK.wheel_path} (sha256 {LANDMARK.sha256}), converted by "
            "tools/models/tflite_to_onnx.py (float16 weights widened, NHWC interface kept)"
        ),
        LEAN_LANDMARK: (
            f"{wheel_desc}: {LANDMARK.wheel_path} (sha256 {LANDMARK.sha256}), converted by "
            f"tools/models/tflite_to_onnx.py like pose_landmark_full.onnx, then slimmed by "
            f"tools/models/lean_onnx.py: {lean_note}"
        ),
        "pose_landmarker_full.task": (
            f"{wheel_desc}: zip (stored, fixed timestamps) of pose_detector.tflite = "
            f"{DETECTOR.wheel_path} unchanged (sha256 {DETECTOR.sha256}) and "
            f"pose_landmarks_detector.tflite = {LANDMARK.wheel_path} (sha256 {LANDMARK.sha256}) "
            f"with TFLite metadata added by tools/models/add_tflite_metadata.py under mediapipe "
            f"{MEDIAPIPE_VERSION} (RGB image input, NormalizationOptions mean 0 std 255; "
            f"result sha256 {sha256_bytes(landmark_md)})"
        ),
        "LICENSE.mediapipe.txt": f"{wheel_desc}: {LICENSE_PATH}",
    }
    manifest = {
        "generator": "tools/models/build_models.py",
        "mediapipe_wheel": {"name": wheel.name, "sha256": wheel_sha},
        "files": {
            name: {"sha256": sha256_bytes(data), "source": sources[name], "licence": LICENCE}
            for name, data in files.items()
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
        log.info("wrote %s (%d bytes, sha256 %s)", name, len(data), sha256_bytes(data))
    (out / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"mediapipe {MEDIAPIPE_VERSION} wheel")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="output directory")
    parser.add_argument(
        "--metadata-venv",
        type=Path,
        help=f"virtual environment with mediapipe {MEDIAPIPE_VERSION} "
        "(created or reused; default: a temporary one)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare ONNX Runtime with the TFLite interpreter (ai-edge-litert)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="hepvision-models-") as tmp:
        work = Path(tmp)
        wheel = args.wheel or download_wheel(work / "wheel")
        venv = args.metadata_venv or work / "mp-venv"
        build(wheel.resolve(), args.out.resolve(), venv.resolve(), work, args.verify)


if __name__ == "__main__":
    main()
