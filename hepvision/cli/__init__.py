"""The ``hepvision`` command line."""

from hepvision.cli.main import main

__all__ = ["main"]
