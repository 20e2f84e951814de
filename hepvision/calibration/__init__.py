"""Calibration: the stage between pose and analysis that fits the pipeline to one camera and
one patient.

- :mod:`~hepvision.calibration.demonstration` and :mod:`~hepvision.calibration.learn`: a
  personal template (counter thresholds, target ROM, tempo, hold) learned from three good
  repetitions, written as the patient's template overrides.
- :mod:`~hepvision.calibration.intrinsics`: camera intrinsics and lens distortion from a
  checkerboard (OpenCV), saved per camera and resolution, and the default without one.
- :mod:`~hepvision.calibration.undistort`: landmarks undistorted before any angle.
- :mod:`~hepvision.calibration.board`: the printable board.

Submodules are imported on use (OpenCV is loaded only by the ones that need it).
"""
