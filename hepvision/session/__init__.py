"""Wiring the stages for an offline (``track``) or live run, and the session report."""
