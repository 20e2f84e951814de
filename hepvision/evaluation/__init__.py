"""Benchmarks behind ``hepvision bench``: speed per stage, rep-counting accuracy."""
