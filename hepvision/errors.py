"""The exception hierarchy of hepvision.

Every error a user can cause (a bad file, a missing model, a bad template) derives from
:class:`HepvisionError`; the command line turns it into a one-line message and a non-zero exit.

    HepvisionError
    ├── CaptureError        a frame source cannot be opened or read
    ├── ModelError          a model file is missing, corrupt or fails its SHA-256 check
    ├── LandmarkFileError   a recorded landmark file cannot be read or is malformed
    ├── TemplateError       an exercise template is unknown or invalid
    └── NoPoseError         a run found nobody in view in any frame
"""


class HepvisionError(Exception):
    """Base class of every error hepvision reports to a user."""


class CaptureError(HepvisionError):
    """A frame source (video file, camera, image folder) cannot be opened or read."""


class ModelError(HepvisionError):
    """A model file is missing, unreadable or does not match its manifest SHA-256."""


class LandmarkFileError(HepvisionError):
    """A recorded landmark file (.npz) is missing, unreadable or malformed."""


class TemplateError(HepvisionError):
    """An exercise template is unknown or fails validation."""


class NoPoseError(HepvisionError):
    """No person was found in any frame of a run."""
