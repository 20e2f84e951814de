"""Test and benchmark fixtures that are not part of the installed package.

- :mod:`tests.support.databases`: empty SQLite / PostgreSQL databases for server tests.
- :mod:`tests.support.session_records`: a synthetic, valid session record.
- :mod:`tests.support.fakecam`: a clip as Chromium's fake camera (Y4M files).

Benchmarks import them too; run benchmarks from the repository root as modules
(``python -m benchmarks.server_load``), so ``tests`` is importable without path changes.
"""
