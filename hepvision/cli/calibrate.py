"""``hepvision calibrate camera | setup | neutral | board``.

``camera``: solves the camera's intrinsics and lens distortion from a printed checkerboard
(:mod:`hepvision.calibration.intrinsics`), reports the RMS reprojection error and saves the
result per camera and resolution in the data dir, where ``hepvision live`` finds it and
undistorts that camera's landmarks before any angle. ``setup``: the camera's pitch, roll and
distance from the standing patient, with a warning when the tilt distorts angles (saved per
camera, then used to level its landmarks). ``neutral``: the patient's neutral of an exercise
(:mod:`hepvision.calibration.neutral`). ``board``: writes the printable board
(SVG at true scale). The procedure: ``calibration/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built without numpy (a server-only install has none)
    import numpy as np

BOARD_HELP = ("inner corners across x down, and the printed square size in mm "
              "(default 9x6@25: the board of calibration/)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="calibrate a camera (intrinsics, lens distortion)",
                       description="Camera calibration: the camera's intrinsics and lens "
                       "distortion from a printed checkerboard; see calibration/README.md.")
    csub = p.add_subparsers(dest="calibrate_command", metavar="ACTION", required=True)
    cam = csub.add_parser(
        "camera", help="solve and save a camera's intrinsics from views of the board",
        description="Show the printed board to the camera (or film it) at many places and "
        "angles; the frames that cover the image best are used; the result is saved per "
        "camera and resolution and used automatically by 'hepvision live' on that camera.")
    src = cam.add_mutually_exclusive_group(required=True)
    src.add_argument("--camera", type=int, metavar="N", help="camera index (live capture)")
    src.add_argument("--video", type=Path, metavar="FILE", help="a video of the board")
    cam.add_argument("--board", default="9x6@25", metavar="COLSxROWS[@MM]", help=BOARD_HELP)
    cam.add_argument("--name", metavar="NAME",
                     help="save under this camera name (default: cameraN for --camera N; "
                     "the video's name for --video)")
    cam.add_argument("--seconds", type=float, default=30.0,
                     help="how long to capture from --camera (default: 30)")
    cam.add_argument("--no-save", action="store_true", help="report only, save nothing")
    cam.set_defaults(handler=run_camera)
    board = csub.add_parser("board", help="write the printable board (SVG, true scale)")
    board.add_argument("--board", default="9x6@25", metavar="COLSxROWS[@MM]", help=BOARD_HELP)
    board.add_argument("--out", type=Path, required=True, metavar="FILE.svg")
    board.set_defaults(handler=run_board)
    add_setup_parser(csub)
    add_neutral_parser(csub)


def run_camera(args: argparse.Namespace) -> int:
    from hepvision.calibration.intrinsics import Board, calibrate_images, save_intrinsics

    board = Board.parse(args.board)
    if args.video is not None:
        name = args.name or args.video.stem
        images = _video_images(args.video)
    else:
        name = args.name or f"camera{args.camera}"
        print(f"show the {board.cols}x{board.rows} board to camera {args.camera} for "
              f"{args.seconds:g} s: near and far, at the edges and corners, tilted",
              file=sys.stderr)
        images = _camera_images(args.camera, args.seconds)
    cal = calibrate_images(images, board)
    intr = cal.intrinsics
    print(f"{name} {intr.width_px}x{intr.height_px}: fx {intr.fx_px:.1f} fy {intr.fy_px:.1f} "
          f"cx {intr.cx_px:.1f} cy {intr.cy_px:.1f} px; distortion k1 {intr.dist[0]:.4f} "
          f"k2 {intr.dist[1]:.4f} p1 {intr.dist[2]:.5f} p2 {intr.dist[3]:.5f}")
    print(f"RMS reprojection error {intr.rms_px:.3f} px over {intr.views} views (board found "
          f"in {cal.views_found} of {cal.frames_examined} frames; {cal.coverage:.0%} of the "
          "image covered)")
    if intr.rms_px > 1.0:
        print("warning: RMS above 1 px: the board may be bent, blurred or mis-sized",
              file=sys.stderr)
    if cal.coverage < 0.75:
        print("warning: the board did not reach every part of the image; show it near the "
              "edges and corners too", file=sys.stderr)
    if not args.no_save:
        print(f"saved to {save_intrinsics(intr, name)}")
    return 0


def run_board(args: argparse.Namespace) -> int:
    from hepvision.calibration.board import board_svg
    from hepvision.calibration.intrinsics import Board

    board = Board.parse(args.board)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(board_svg(board), encoding="utf-8")
    print(f"board written to {args.out}: print at 100 % (no 'fit to page') and check the "
          "100 mm scale bar with a ruler", file=sys.stderr)
    return 0


def _video_images(path: Path) -> Iterator[np.ndarray]:
    """Grey frames of a video, evenly spaced, at most MAX_FRAMES_EXAMINED."""
    from hepvision.calibration.intrinsics import MAX_FRAMES_EXAMINED, CalibrationError
    from hepvision.capture.sources import open_source

    if not path.is_file():
        raise CalibrationError(f"{path}: no such file")
    with open_source(path) as src:
        total = src.frame_count
        step = max(1, (total or 0) // MAX_FRAMES_EXAMINED) if total else 5
        for i, frame in enumerate(src):
            if i % step == 0:
                yield _grey(frame.image)


def _camera_images(index: int, seconds: float) -> Iterator[np.ndarray]:
    """Grey frames from a camera for ``seconds``, about five a second."""
    from hepvision.capture.sources import CameraSource

    end = time.monotonic() + seconds
    last = 0.0
    with CameraSource(index) as src:
        for frame in src:
            now = time.monotonic()
            if now > end:
                break
            if now - last >= 0.2:
                last = now
                yield _grey(frame.image)


def _grey(image: np.ndarray) -> np.ndarray:
    import cv2

    out: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return out


def add_setup_parser(csub: argparse._SubParsersAction) -> None:
    st = csub.add_parser(
        "setup", help="the camera's pitch, roll and distance from the standing patient",
        description="Measure the camera's tilt (pitch, roll) and distance from a few seconds "
        "of the patient standing upright, whole body in view; warn when the tilt distorts "
        "the angles. With --camera (or --name) the tilt is saved and that camera's landmarks "
        "are levelled with it from then on (measure again after moving the camera).")
    src = st.add_mutually_exclusive_group(required=True)
    src.add_argument("--camera", type=int, metavar="N", help="camera index (live capture)")
    src.add_argument("--video", type=Path, metavar="FILE",
                     help="a video (or .npz landmark recording) starting with the patient "
                     "standing")
    st.add_argument("--seconds", type=float, default=3.0,
                    help="standing time to measure (default: 3)")
    st.add_argument("--height-cm", type=float, default=170.0,
                    help="the patient's height for the distance (default: 170)")
    st.add_argument("--name", metavar="NAME",
                    help="save the tilt for this camera name (default with --camera N: cameraN)")
    st.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    st.set_defaults(handler=run_setup)


def run_setup(args: argparse.Namespace) -> int:
    from hepvision.calibration.intrinsics import CalibrationError, load_intrinsics
    from hepvision.calibration.setup import assess_setup
    from hepvision.calibration.source import demonstration_results
    from hepvision.calibration.tiltfile import save_tilt
    from hepvision.kinematics.camera_tilt import CameraTilt

    if not 0.3 <= args.seconds <= 60.0 or not 80.0 <= args.height_cm <= 250.0:
        raise CalibrationError("--seconds must be 0.3-60 and --height-cm 80-250")
    spec = str(args.camera) if args.camera is not None else args.video
    name = args.name or (f"camera{args.camera}" if args.camera is not None else None)
    results = demonstration_results(spec, args.backend, seconds=args.seconds)
    first = next(r for r in results if r.detected)
    size = (first.image_width_px, first.image_height_px)
    intr = load_intrinsics(name, *size) if name else None
    setup = assess_setup(results, intr, args.height_cm / 100.0)
    print(f"camera pitch {setup.pitch_deg:+.1f} deg (+ looks down), roll {setup.roll_deg:+.1f} "
          f"deg, distance {setup.distance_m:.2f} m for a {args.height_cm:g} cm patient "
          f"({setup.frames} standing frames; {setup.intrinsics_source} intrinsics)")
    for line in setup.advice:
        print(f"warning: {line}", file=sys.stderr)
    if name:
        tilt = CameraTilt(setup.pitch_deg, setup.roll_deg, setup.frames)
        print(f"tilt saved to {save_tilt(tilt, name, *size)}")
    return 0


def add_neutral_parser(csub: argparse._SubParsersAction) -> None:
    from hepvision.cli.server import db_options

    nt = csub.add_parser(
        "neutral", parents=[db_options()],
        help="capture the patient's neutral for an exercise (3 s holding still)",
        description="Capture the patient's neutral reading of an exercise's counted signal "
        "(standing, or the template's start posture, held still for a few seconds). It "
        "becomes the patient's override 'neutral': ROM is reported relative to it too and "
        "the counter's rest level starts from it. With --patient/--therapist (on the server) "
        "it is written into the patient's prescription as a new version (neutral_deg, shown "
        "on the dashboard); with --out as an overrides file; else printed.")
    src = nt.add_mutually_exclusive_group(required=True)
    src.add_argument("--camera", type=int, metavar="N", help="camera index (live capture)")
    src.add_argument("--video", type=Path, metavar="FILE",
                     help="a video (or .npz landmark recording) starting in neutral")
    nt.add_argument("--exercise", required=True, metavar="ID", help="exercise template id")
    nt.add_argument("--seconds", type=float, default=3.0, help="capture length (default: 3)")
    nt.add_argument("--patient", type=int, metavar="ID",
                    help="write it into this patient's prescription (needs --therapist)")
    nt.add_argument("--therapist", metavar="EMAIL")
    nt.add_argument("--out", type=Path, metavar="FILE", help="write an overrides file (TOML)")
    nt.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    nt.set_defaults(handler=run_neutral)


def run_neutral(args: argparse.Namespace) -> int:
    from hepvision.calibration.intrinsics import CalibrationError
    from hepvision.calibration.neutral import capture_neutral
    from hepvision.calibration.overrides_file import overrides_toml
    from hepvision.calibration.source import demonstration_results
    from hepvision.cli.learn import emit_overrides, write_prescription
    from hepvision.templates import TemplateOverrides, load_template

    if not 0.5 <= args.seconds <= 30.0:
        raise CalibrationError("--seconds must be 0.5-30")
    if args.patient is not None and not args.therapist:
        raise CalibrationError("--patient needs --therapist EMAIL")
    template = load_template(args.exercise)
    spec = str(args.camera) if args.camera is not None else args.video
    neutral = capture_neutral(demonstration_results(spec, args.backend, seconds=args.seconds),
                              template, args.seconds)
    sides = ", ".join(f"{s.value} {v:.1f}" for s, v in neutral.sides.items() if v == v)
    print(f"neutral {neutral.signal} {neutral.value:g} {neutral.unit} ({sides}; measured in "
          f"{neutral.measured} of {neutral.frames} frames)", file=sys.stderr)
    if args.patient is not None:
        if neutral.unit != "deg":
            raise CalibrationError(f"{template.id!r} counts {neutral.unit}, and the "
                                   "prescription keeps a neutral in degrees; use --out")
        write_prescription(args, template.id, {"neutral_deg": neutral.value}, None,
                           f"the {template.id} neutral")
    text = overrides_toml(TemplateOverrides(template=template.id, neutral=neutral.value),
                          [f"Neutral of {template.id!r} ({neutral.signal})"])
    return emit_overrides(args, text)
